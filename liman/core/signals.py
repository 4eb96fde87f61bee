"""Logins, failed logins and logouts go into the audit log; a sign-in marks its session as just refreshed."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .choices import AuditAction
from .middleware import SessionMiddleware


def _address(request) -> str:
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit.record(AuditAction.LOGIN, actor=user, obj=user, ip_address=_address(request))


@receiver(user_logged_in)
def session_refreshed_at_login(sender, request, user, **kwargs):
    """A session written at sign-in has its expiry set: the first page after it need not write it again."""
    if request is not None and hasattr(request, "session"):
        SessionMiddleware.mark_refreshed(request.session)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(AuditAction.LOGOUT, actor=user, obj=user, ip_address=_address(request))


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        AuditAction.LOGIN_FAILED,
        actor_username=username,
        object_type="core.user",
        object_repr=username,
        ip_address=_address(request),
    )
