"""Every write in core, in a transaction, with its audit event.

`record_create`, `record_update` and `record_delete` are the building blocks later
apps' services use, so no change to a record can skip validation or the audit log.
"""

from __future__ import annotations

from django.db import models, transaction

from . import audit
from .access import forget_grants
from .choices import AuditAction, OfficeType, Role
from .models import AdminArea, Office, Programme, RoleGrant, TaskProgress, User


def record_create(obj: models.Model, *, by: User | None, reason: str = "") -> models.Model:
    with transaction.atomic():
        obj.full_clean()
        obj.save()
        audit.record(AuditAction.CREATE, actor=by, obj=obj, changes=audit.diff({}, audit.snapshot(obj)), reason=reason)
    return obj


def record_update(obj: models.Model, *, by: User | None, changes: dict, reason: str = "") -> models.Model:
    with transaction.atomic():
        before = audit.snapshot(obj)
        for name, value in changes.items():
            setattr(obj, name, value)
        obj.full_clean()
        obj.save()
        delta = audit.diff(before, audit.snapshot(obj))
        if delta:
            audit.record(AuditAction.UPDATE, actor=by, obj=obj, changes=delta, reason=reason)
    return obj


def record_delete(obj: models.Model, *, by: User | None, reason: str = "") -> None:
    with transaction.atomic():
        audit.record(AuditAction.DELETE, actor=by, obj=obj, changes=audit.diff(audit.snapshot(obj), {}), reason=reason)
        obj.delete()


def office_create(
    *, code: str, name: str, province: AdminArea, type: str = OfficeType.FIELD, by: User | None
) -> Office:
    return record_create(Office(code=code.upper(), name=name, province=province, type=type), by=by)


def programme_ensure(*, code: str, name: str) -> Programme:
    programme, _ = Programme.objects.get_or_create(code=code, defaults={"name": name})
    return programme


def user_create(
    *, username: str, password: str | None, by: User | None, first_name: str = "", last_name: str = "", email: str = ""
) -> User:
    with transaction.atomic():
        user = User(username=username, first_name=first_name, last_name=last_name, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean()
        user.save()
        audit.record(AuditAction.CREATE, actor=by, obj=user, changes={"username": [None, username]})
    return user


def role_grant_add(
    *,
    user: User,
    role: str,
    office: Office | None,
    programme: Programme | None = None,
    by: User | None,
    expires_on=None,
) -> RoleGrant:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; roles are: {', '.join(Role.values)}.")
    existing = RoleGrant.objects.filter(user=user, role=role, office=office, programme=programme).first()
    if existing is not None:
        return existing
    grant = record_create(
        RoleGrant(user=user, role=role, office=office, programme=programme, granted_by=by, expires_on=expires_on),
        by=by,
    )
    forget_grants(user)
    return grant


def role_grant_revoke(*, grant: RoleGrant, by: User, reason: str) -> None:
    record_delete(grant, by=by, reason=reason)
    forget_grants(grant.user)


def task_progress_start(*, name: str, owner: User | None, office: Office | None = None, total: int = 0) -> TaskProgress:
    return TaskProgress.objects.create(name=name, owner=owner, office=office, total=total)


REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: references are read out on the phone


def new_reference(prefix: str, model: type[models.Model], length: int = 8) -> str:
    """A short random reference (`IST-7K3X9Q2M`) not yet used by `model`; random, so two offices never race."""
    import secrets

    while True:
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))
        reference = f"{prefix}-{code}"
        if not model._default_manager.filter(reference=reference).exists():
            return reference


def second_factor_device_pending(*, user: User):
    """The TOTP device being set up for `user` (created unconfirmed on first need)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Liman", confirmed=False)


def second_factor_confirm(*, device, by: User) -> None:
    """The first correct code confirms the device; from then on it is required at every sign-in."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(AuditAction.UPDATE, actor=by, obj=by, changes={"second_factor": [None, "confirmed"]})


def api_token_issue(*, user: User) -> str:
    """A new API token for `user`, replacing the old one; the key is returned once."""
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        key = Token.objects.create(user=user).key
        audit.record(AuditAction.CREATE, actor=user, obj=user, reason="API token issued")
    return key
