"""Request guards: query strings with NUL characters are refused; privileged roles need a second factor (after
the password, a TOTP code before anything else)."""

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .access import has_role

_OPEN_PREFIXES = ("/static/", "/i18n/", "/health")


def needs_second_factor(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_verified():
        return False
    return user.is_superuser or has_role(user, settings.LIMAN_SECOND_FACTOR_ROLES)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if needs_second_factor(request.user):
            allowed = {reverse("core:second-factor"), reverse("core:logout")}
            if request.path not in allowed and not request.path.startswith(_OPEN_PREFIXES):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "A second factor is required for this account."}, status=403)
                return redirect(f"{reverse('core:second-factor')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class NulCharacterMiddleware:
    """A NUL character in the query string is refused with 400 before any view runs: no field may hold one
    (PostgreSQL text cannot), so a filter built from it would fail as a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest("The query string contains a NUL character.", content_type="text/plain")
        return self.get_response(request)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, with the idle timeout kept by saving an existing session at most once a minute: a session ends
    `SESSION_COOKIE_AGE` after the user's last activity (to within `REFRESH_SECONDS`), without a database write
    on every request (a transaction per page, and on SQLite its one write lock taken by every page view).

    A poll (a view that sets `request.is_poll`, such as a progress bar refreshing itself every second) does not
    refresh the session at all: polling is not the user's activity."""

    REFRESH_SECONDS = 60
    REFRESHED_KEY = "_liman_refreshed"

    @classmethod
    def mark_refreshed(cls, session) -> None:
        """The session's expiry was just set (it is being saved): no need to write it again within the minute."""
        session[cls.REFRESHED_KEY] = int(time.time())

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if (
            session is not None
            and not getattr(request, "is_poll", False)
            and session.session_key is not None
            and not session.is_empty()
        ):
            if int(time.time()) - session.get(self.REFRESHED_KEY, 0) >= self.REFRESH_SECONDS:
                self.mark_refreshed(session)
        return super().process_response(request, response)
