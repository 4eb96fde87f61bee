"""The answer when the database cannot be reached (restarting, failing over, out of connections): 503 with
Retry-After, which browsers, scripts and ODK Collect understand as "try again shortly", instead of a 500 that
says the request itself was wrong; and when the disk is full while a file is stored (storage.DiskFull): 507, saying
so, with nothing of the request saved (the file is written all or nothing, before its record).

Django calls `handler500` (liman/urls.py) inside the `except` block of the error, so the error is known here. The
answer is built without the database (no template context processors, no session). Every write of Liman runs in a
transaction (the services are atomic): a request cut off by the database going away leaves nothing half-written;
a request whose transaction committed just before the connection dropped may still get this answer, so a client
that tries again must be able to (OpenRosa submissions are de-duplicated by their instance ID).
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 5


def database_unreachable(exc: BaseException | None) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """503 when the error was the database going away, 507 when the disk is full, else Django's 500."""
    from .storage import DiskFull

    exc = sys.exc_info()[1]
    if isinstance(exc, DiskFull):
        return _answer(
            request,
            _(
                "The server's disk is full: the file was not stored and nothing of this request was saved. "
                "Tell your administrator, then try again."
            ),
            507,
        )
    if not database_unreachable(exc):
        return django_server_error(request)
    return _answer(
        request,
        _("The database cannot be reached for a moment (it may be restarting). Try again in a few seconds."),
        503,
    )


def _answer(request: HttpRequest, text: str, status: int) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": text}, status=status)
    else:
        response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
