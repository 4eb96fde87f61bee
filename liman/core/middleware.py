"""Request guards: query strings with NUL characters are refused; privileged roles need a second factor (after
the password, a TOTP code before anything else)."""

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers
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
            allowed = {reverse("second-factor"), reverse("logout")}
            if request.path not in allowed and not request.path.startswith(_OPEN_PREFIXES):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "A second factor is required for this account."}, status=403)
                return redirect(f"{reverse('second-factor')}?{urlencode({'next': request.get_full_path()})}")
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
    """Django's, except that a poll (a view that sets `request.is_poll`, such as a progress bar refreshing itself
    every second) does not save the session: polling is not the user's activity, and a write per second from
    every open progress page competed with the worker for SQLite's one write lock."""

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if getattr(request, "is_poll", False) and session is not None and not session.modified:
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)
