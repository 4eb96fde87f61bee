"""The OpenRosa server ODK Collect and KoboCollect talk to, unchanged: form list, form and media download,
manifest, submission.

These routes sit outside the staff login page (`login_not_required`) and CSRF (phones post no token):
they authenticate each request themselves, with a field user's credentials over HTTP Digest (what
Collect uses over plain HTTP) or Basic (what Collect uses over HTTPS, and curl). A staff member
already signed in may read the form list and download forms of their offices; only field users submit.
Everything a field user sees or sends is held to their own office.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from liman.core.access import get_visible_or_404
from liman.core.models import User

from . import openrosa, selectors, services
from .models import FieldUser, FormMedia, FormVersion


def max_submission_bytes() -> int:
    return settings.LIMAN_OPENROSA_MAX_BYTES


def nonce_lifetime() -> int:
    return services.digest_nonce_lifetime()


def _openrosa(response: HttpResponse, *, accept_length: bool = False) -> HttpResponse:
    response["X-OpenRosa-Version"] = "1.0"
    if accept_length:
        response["X-OpenRosa-Accept-Content-Length"] = str(max_submission_bytes())
    return response


def _xml(body: bytes, status: int = 200, *, accept_length: bool = False) -> HttpResponse:
    return _openrosa(
        HttpResponse(body, status=status, content_type=openrosa.XML_CONTENT_TYPE), accept_length=accept_length
    )


def _message(text: str, status: int, *, nature: str = "") -> HttpResponse:
    return _xml(openrosa.response_document(text, nature=nature), status, accept_length=True)


@dataclass
class Caller:
    field_user: FieldUser | None = None
    staff: User | None = None


def _challenge(*, stale: bool = False) -> HttpResponse:
    realm = services.openrosa_realm()
    response = _message(_("Sign in with your field user name and password."), 401)
    nonce = openrosa.make_nonce(settings.SECRET_KEY)
    # Digest first (Collect over plain HTTP answers only Digest), then Basic (curl, Collect over HTTPS).
    response["WWW-Authenticate"] = f'{openrosa.digest_challenge(realm, nonce, stale=stale)}, Basic realm="{realm}"'
    return response


def _address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _held(username: str, until) -> HttpResponse:
    """The answer while an address is held back for a user name, right password or not (else guessing goes on).

    Only that (name, address) pair waits: the enumerator's own phone, elsewhere, signs in as usual."""
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    response = _message(
        _(
            "Too many wrong passwords for %(username)s from this device: wait %(seconds)s seconds and try again. "
            "If the password was changed, ask your office's administrator for the new one."
        )
        % {"username": username, "seconds": seconds},
        429,
    )
    response["Retry-After"] = str(seconds)
    return response


def _refused_while_held(request: HttpRequest, username: str) -> HttpResponse | None:
    until = services.field_login_held_until(username=username, ip_address=_address(request))
    if until is None:
        return None
    services.field_user_login_refused(username=username, ip_address=_address(request))
    return _held(username, until)


def _failed(request: HttpRequest, username: str) -> HttpResponse:
    _field_user, held_until = services.field_user_login_failed(username=username, ip_address=_address(request))
    if held_until is not None:
        return _held(username, held_until)
    return _challenge()


def _field_user(username: str) -> FieldUser | None:
    try:
        return FieldUser.objects.select_related("office").get(username=username, is_active=True)
    except FieldUser.DoesNotExist:
        return None


def _authenticate(request: HttpRequest) -> Caller | HttpResponse:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, credentials = header.partition(" ")
    if scheme.lower() == "digest":
        fields = openrosa.parse_digest(credentials)
        username = fields.get("username", "")
        nonce = fields.get("nonce", "")
        age = openrosa.nonce_age(settings.SECRET_KEY, nonce)
        count = openrosa.nonce_count(fields)
        # Only qop=auth carries a nonce count; without it a captured header could be sent again unnoticed.
        if age is None or age < -60 or count is None:
            return _challenge()
        if (held := _refused_while_held(request, username)) is not None:
            return held
        field_user = _field_user(username)
        if (
            field_user is None
            or field_user.digest_realm != fields.get("realm")
            or fields.get("realm") != services.openrosa_realm()
        ):
            return _failed(request, username)
        if fields.get("uri", "").split("?", 1)[0] != request.path:
            return _failed(request, username)
        if not openrosa.digest_matches(fields, ha1=field_user.digest_ha1, method=request.method):
            return _failed(request, username)
        if age > nonce_lifetime():
            return _challenge(stale=True)
        # RFC 7616 §3.4: the client counts its requests per nonce; a count not above the last one is a replay.
        if not services.digest_nonce_use(nonce=nonce, count=count):
            services.field_user_login_refused(
                username=username, ip_address=_address(request), reason="OpenRosa: Digest header sent again"
            )
            return _challenge()
        services.field_user_seen(field_user=field_user, ip_address=_address(request))
        return Caller(field_user=field_user)
    if scheme.lower() == "basic":
        try:
            username, _colon, password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return _challenge()
        if (held := _refused_while_held(request, username)) is not None:
            return held
        field_user = _field_user(username)
        if field_user is None or not services.field_user_check_password(field_user, password):
            return _failed(request, username)
        services.field_user_seen(field_user=field_user, ip_address=_address(request))
        return Caller(field_user=field_user)
    if getattr(request.user, "is_authenticated", False) and request.method in ("GET", "HEAD"):
        return Caller(staff=request.user)
    return _challenge()


def openrosa_view(view):
    """Outside the staff login and CSRF; authenticated by `_authenticate`, which the view receives."""

    def wrapped(request: HttpRequest, *args, **kwargs):
        caller = _authenticate(request)
        if isinstance(caller, HttpResponse):
            return caller
        return view(request, caller, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_not_required(csrf_exempt(wrapped))


def _version_for(caller: Caller, pk: int) -> FormVersion | None:
    if caller.field_user is not None:
        return selectors.form_version_for_field_user(caller.field_user, pk)
    return get_visible_or_404(selectors.form_versions_for(caller.staff), caller.staff, pk=pk)


@openrosa_view
def form_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The newest version of each open form of the caller's office (`?formID=` narrows it to one)."""
    if caller.field_user is not None:
        versions = selectors.current_versions_for_field_user(caller.field_user)
    else:
        versions = selectors.versions_for_staff_form_list(caller.staff)
    only = request.GET.get("formID")
    entries = [
        openrosa.FormListEntry(
            form_id=version.form.form_id,
            name=version.title,
            version=version.version,
            hash=version.hash,
            download_url=request.build_absolute_uri(reverse("dtm:openrosa-form", args=[version.pk])),
            manifest_url=request.build_absolute_uri(reverse("dtm:openrosa-manifest", args=[version.pk])),
        )
        for version in versions
        if not only or version.form.form_id == only
    ]
    return _xml(openrosa.form_list_document(entries))


@openrosa_view
def form_download(request: HttpRequest, caller: Caller, pk: int) -> HttpResponse:
    version = _version_for(caller, pk)
    if version is None:
        return _message(_("No such form."), 404)
    return _xml(version.xml.encode("utf-8"))


@openrosa_view
def form_manifest(request: HttpRequest, caller: Caller, pk: int) -> HttpResponse:
    version = _version_for(caller, pk)
    if version is None:
        return _message(_("No such form."), 404)
    entries = [
        openrosa.MediaEntry(
            filename=media.filename,
            hash=f"md5:{media.md5}",
            download_url=request.build_absolute_uri(reverse("dtm:openrosa-media", args=[version.pk, media.filename])),
        )
        for media in version.media.all()
    ]
    return _xml(openrosa.manifest_document(entries))


@openrosa_view
def form_media(request: HttpRequest, caller: Caller, pk: int, filename: str) -> HttpResponse:
    if caller.field_user is not None:
        media = selectors.media_for_field_user(caller.field_user, pk, filename)
    else:
        media = get_visible_or_404(FormMedia, caller.staff, version_id=pk, filename=filename)
    if media is None:
        return _message(_("No such media file."), 404)
    response = FileResponse(media.file.open("rb"), content_type=media.content_type or "application/octet-stream")
    return _openrosa(response)


@openrosa_view
def submission(request: HttpRequest, caller: Caller) -> HttpResponse:
    """HEAD: Collect asks where and how much it may send (204). POST: one instance and its attachments."""
    if caller.field_user is None:
        # Staff sessions may look, not submit: a phone submits with its own credentials.
        if request.method == "HEAD":
            return _challenge()
        return _openrosa(HttpResponse(status=405, headers={"Allow": "HEAD, POST"}))
    if request.method == "HEAD":
        return _openrosa(HttpResponse(status=204), accept_length=True)
    if request.method != "POST":
        return _openrosa(HttpResponse(status=405, headers={"Allow": "HEAD, POST"}))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_submission_bytes():
        return _message(
            _("The submission is larger than this server accepts (%(limit)s bytes).")
            % {"limit": max_submission_bytes()},
            413,
        )
    xml, attachments = _read_submission(request)
    if xml is None:
        return _message(_("The request carries no xml_submission_file."), 400)
    try:
        receipt = services.submission_receive(
            office=caller.field_user.office, xml=xml, attachments=attachments, field_user=caller.field_user
        )
    except services.SubmissionRefused as refused:
        return _message(refused.message, refused.status)
    text = {
        "created": _("Form received successfully."),
        "edit": _("Edited form received successfully."),
        "duplicate": _("This form was already received; nothing was changed."),
    }[receipt.outcome]
    return _message(text, 201, nature="submit_success")


def _read_submission(request: HttpRequest) -> tuple[bytes | None, list[services.AttachmentUpload]]:
    content_type = request.content_type or ""
    if content_type in ("text/xml", "application/xml"):
        return request.body, []
    xml_file = request.FILES.get("xml_submission_file")
    if xml_file is None:
        return None, []
    attachments = [
        services.AttachmentUpload(name=upload.name, content=upload.read(), content_type=upload.content_type or "")
        for name, uploads in request.FILES.lists()
        if name != "xml_submission_file"
        for upload in uploads
    ]
    return xml_file.read(), attachments


@login_not_required
def base(request: HttpRequest) -> HttpResponse:
    """The server URL Collect is configured with; it appends /formList and /submission itself."""
    return _message(_("Liman's OpenRosa server: give this address to ODK Collect or KoboCollect."), 200)
