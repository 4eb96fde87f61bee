"""Messaging pages: the outbox and a message, the texts, how to reach a person (on the person page), a message to
a list an app offers (a distribution's households), and the gateway's webhook. Thin: parse, call a selector or a
service, render."""

from __future__ import annotations

import hmac

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.access import has_role, record_tier
from liman.core.choices import AuditAction
from liman.core.lists import Listing
from liman.core.messages import LANGUAGE_NAMES, LANGUAGES, RIGHT_TO_LEFT, message_kind, message_kinds
from liman.core.messages import render as fill
from liman.core.text import masked
from liman.core.views import paginate, role_required
from liman.core.workflows import history
from liman.registry.choices import ConsentPurpose
from liman.registry.consent import withdrawn
from liman.registry.selectors import person_get

from . import conf, forms, lists, permissions, selectors, services
from .backends import WebhookError, get_backend
from .choices import MessageState
from .permissions import MESSAGE_READ_ROLES, TEMPLATE_ROLES
from .segments import segments

#: Example values for the previews of the texts page.
SAMPLE_VALUES = {"name": "Ayşe Yılmaz", "date": "2026-12-05", "place": "Esenyurt", "amount": "3,000.00 TRY"}


def _errors_of(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [message for found in exc.message_dict.values() for message in found]
        return list(exc.messages)
    return [str(exc) or _("You cannot do this.")]


# --- the outbox ---------------------------------------------------------------------------------------------------


@role_required(MESSAGE_READ_ROLES)
def message_list(request: HttpRequest) -> HttpResponse:
    listing = Listing.read(request, lists.MESSAGES)
    rows = selectors.messages_for(request.user, **listing.values)
    counts = selectors.message_counts(request.user)
    page = paginate(request, listing.ordered(rows))
    for message in page:
        message.phone_masked = masked(message.phone)
    context = {
        "page": page,
        "listing": listing,
        "counts": [(label, counts.get(value, 0)) for value, label in MessageState.choices],
        "may_word": has_role(request.user, TEMPLATE_ROLES),
    }
    return render(request, "messaging/message_list.html", context)


def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_get(request.user, pk)
    if record_tier(message) != "normal":
        audit.record(AuditAction.VIEW, actor=request.user, obj=message, reason="message page",
                     ip_address=audit.client_address(request))  # fmt: skip
    may_handle = permissions.may_handle_outbox(request.user, message.person.office_id)
    context = {
        "message": message,
        "phone_masked": masked(message.phone),
        "segments": segments(message.body),
        "history": history(message),
        "may_cancel": may_handle and message.state == MessageState.QUEUED and not message.claim_token,
        "may_retry": may_handle and message.state == MessageState.FAILED,
        "reason_form": forms.ReasonForm(),
    }
    return render(request, "messaging/message_detail.html", context)


def _message_step(request: HttpRequest, pk: int, act) -> HttpResponse:
    message = selectors.message_get(request.user, pk)
    if not permissions.may_handle_outbox(request.user, message.person.office_id):
        raise Http404
    try:
        act(message)
    except (ValidationError, PermissionDenied) as exc:
        for text in _errors_of(exc):
            messages.error(request, text)
    return redirect("messaging:message-detail", pk=pk)


@require_POST
def message_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def act(message):
        services.message_cancel(message=message, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("The message will not be sent."))

    return _message_step(request, pk, act)


@require_POST
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    def act(message):
        services.message_retry(message=message, by=request.user)
        messages.success(request, _("The message is queued again."))

    return _message_step(request, pk, act)


# --- the texts ------------------------------------------------------------------------------------------------------


@role_required(MESSAGE_READ_ROLES | TEMPLATE_ROLES)
def template_list(request: HttpRequest) -> HttpResponse:
    rows = []
    for kind in message_kinds():
        texts = services.texts_of(kind)
        rows.append(
            {
                "kind": kind,
                "languages": [
                    {
                        "code": language,
                        "name": LANGUAGE_NAMES[language],
                        "rtl": language in RIGHT_TO_LEFT,
                        "text": texts[language],
                        "edited": texts[language] != kind.templates[language],
                    }
                    for language in LANGUAGES
                ],
            }
        )
    return render(
        request, "messaging/template_list.html", {"rows": rows, "may_word": has_role(request.user, TEMPLATE_ROLES)}
    )


@role_required(TEMPLATE_ROLES)
def template_edit(request: HttpRequest, kind_key: str) -> HttpResponse:
    kind = message_kind(kind_key)
    if kind is None:
        raise Http404
    texts = services.texts_of(kind)
    form = forms.TemplatesForm(request.POST or None, kind=kind, texts=texts)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                for language in LANGUAGES:
                    if form.cleaned_data[language] != texts[language]:
                        services.template_save(
                            kind=kind.key, language=language, body=form.cleaned_data[language], by=request.user
                        )
        except (ValidationError, PermissionDenied) as exc:
            for text in _errors_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, _("The texts of “%(kind)s” are saved.") % {"kind": kind.label})
            return redirect("messaging:message-template-list")
    sample = {name: SAMPLE_VALUES.get(name, f"[{name}]") for name in kind.placeholders}
    previews = []
    for language in LANGUAGES:
        text = form[language].value() or ""
        try:
            preview = fill(text, sample) if not form.errors.get(language) else ""
        except KeyError:
            preview = ""
        previews.append((form[language], language in RIGHT_TO_LEFT, preview, segments(preview) if preview else None))
    context = {"kind": kind, "form": form, "previews": previews, "defaults": kind.templates}
    return render(request, "messaging/template_edit.html", context)


# --- a person: how to reach them, opt-out, one message ------------------------------------------------------------


def _person_to_contact(request: HttpRequest, reference: str):
    person = person_get(request.user, reference=reference)
    if not services.may_edit_contact(request.user, person):
        raise Http404
    return person


def _back_to_person(person) -> HttpResponse:
    return redirect(f"{reverse('registry:person-detail', args=[person.reference])}#section-messages")


def person_contact(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_contact(request, reference)
    preference = selectors.person_preference(request.user, person)
    initial = {"language": services.language_for(person, preference)}
    if preference is not None:
        initial.update(channel=preference.channel)
    form = forms.ContactPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_preference_save(person=person, by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            for text in _errors_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, _("How to reach %(name)s is saved.") % {"name": person.full_name})
            return _back_to_person(person)
    context = {
        "person": person,
        "preference": preference,
        "consent": selectors.person_contact_consent(request.user, person),
        "withdrawn": withdrawn(person, purposes=[ConsentPurpose.CONTACT]),
        "form": form,
        "phone_masked": masked(person.phone),
    }
    return render(request, "messaging/person_contact.html", context)


def person_opt_out(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_contact(request, reference)
    form = forms.OptOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_opt_out(person=person, by=request.user, how=form.cleaned_data["how"])
        except (ValidationError, PermissionDenied) as exc:
            for text in _errors_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, _("%(name)s will not be sent messages.") % {"name": person.full_name})
            return _back_to_person(person)
    return render(request, "messaging/person_opt_out.html", {"person": person, "form": form})


def person_send(request: HttpRequest, reference: str) -> HttpResponse:
    person = person_get(request.user, reference=reference)
    kinds = [k for k in message_kinds() if k.manual and permissions.may_send(request.user, k, person.office_id)]
    if not kinds:
        raise Http404
    chosen = message_kind(request.POST.get("kind") or request.GET.get("kind", "")) if len(kinds) > 1 else kinds[0]
    if chosen is not None and chosen not in kinds:
        raise Http404
    form = forms.SendForm(request.POST or None, kind=chosen) if chosen is not None else None
    ready, why = services.contactable(person)
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            message = services.message_queue_one(
                kind=chosen.key, person=person, context=form.cleaned_data, by=request.user, source=person.reference
            )
        except (ValidationError, PermissionDenied) as exc:
            for text in _errors_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, _("Message queued to %(name)s.") % {"name": person.full_name})
            return redirect("messaging:message-detail", pk=message.pk)
    context = {
        "person": person,
        "kinds": kinds,
        "kind": chosen,
        "form": form,
        "ready": ready,
        "why": why,
        "withdrawn": withdrawn(person, purposes=[ConsentPurpose.CONTACT]),
    }
    return render(request, "messaging/person_send.html", context)


# --- a message to a list (a distribution's households) -----------------------------------------------------------


def audience_message(request: HttpRequest, pk: int, kind_key: str) -> HttpResponse:
    from liman.core.services import task_progress_start

    from .tasks import audience_queue_task

    kind = message_kind(kind_key)
    if kind is None or kind.audience is None:
        raise Http404
    listed = kind.audience.recipients(request.user, pk)
    if not permissions.may_send(request.user, kind, listed.office):
        raise Http404
    if request.method == "POST":
        with transaction.atomic():
            progress = task_progress_start(
                name=_("%(kind)s: %(title)s") % {"kind": kind.label, "title": listed.title},
                owner=request.user,
                office=listed.office,
                total=len(listed.recipients),
            )
            arguments = (str(progress.pk), kind.key, pk, request.user.pk)
            transaction.on_commit(lambda: audience_queue_task.enqueue(*arguments))
        return redirect("core:task-detail", pk=progress.pk)
    preview = services.queue_preview(kind=kind.key, recipients=listed.recipients, by=request.user)
    languages = [
        (LANGUAGE_NAMES[code], code in RIGHT_TO_LEFT, count, sample)
        for code, (count, sample) in sorted(preview.languages.items(), key=lambda item: -item[1][0])
    ]
    context = {"kind": kind, "listed": listed, "preview": preview, "by_language": languages}
    return render(request, "messaging/audience_message.html", context)


# --- the gateway's webhook ----------------------------------------------------------------------------------------


def _token_given(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-Liman-Token", "") or request.GET.get("token", "")


@csrf_exempt
@login_not_required
@require_POST
def webhook(request: HttpRequest, backend: str) -> HttpResponse:
    """Delivery reports and inbound texts from the configured gateway, authenticated by the shared token
    (`LIMAN_MESSAGE_WEBHOOK_TOKEN`: a Bearer header, an X-Liman-Token header, or ?token= for gateways that only
    take a URL). Without a token configured, there is no webhook."""
    token = conf.webhook_token()
    configured = get_backend()
    if not token or backend != configured.name:
        raise Http404
    if not hmac.compare_digest(_token_given(request).encode(), token.encode()):
        return JsonResponse({"error": "A valid token is required."}, status=403)
    try:
        events = configured.parse_webhook(
            body=request.body, content_type=request.content_type or "", query=request.GET.dict()
        )
    except WebhookError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    counts = services.webhook_receive(backend=configured.name, events=events)
    return JsonResponse({"received": len(events), "at": timezone.now().isoformat(), **counts})
