"""Every write of messaging, in a transaction, audited: how a person wants to be reached and whether they may be,
the texts, queueing (from one person to a list of a hundred thousand), staff's cancel and retry, opt-outs, delivery
reports and inbound texts.

A message is never queued to a person without a consent to be contacted (the registry's consent for contact, the
one every app reads), nor to a person or a number that asked to
stop; the sender checks again when it hands the message over (`sender.py`). The sender's own hand-overs and the
gateway's delivery reports leave a history row per state change (`StateChange`), not an audit event each: they are
the machine's doing, recorded on the message itself (attempts, times, the gateway's id and answer); what people do
(queue, cancel, retry, consent, opt-out, texts) is audited.
"""

from __future__ import annotations

import datetime
import decimal
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core import audit, crypto
from liman.core.access import has_role, strictest
from liman.core.choices import AuditAction
from liman.core.messages import (
    LANGUAGES,
    RIGHT_TO_LEFT,
    InboundText,
    MessageKind,
    Recipient,
    inbound_handlers,
    message_kind,
    message_kinds,
    render,
    template_problems,
)
from liman.core.models import Office, User
from liman.core.services import record_create, record_create_many, record_delete, record_update
from liman.core.workflows import record_state_change, record_state_changes, state_set
from liman.registry.choices import ConsentPurpose, LegalBasis
from liman.registry.consent import consent_for, consented_among
from liman.registry.models import Person
from liman.registry.services import consent_record

from . import conf, permissions
from .backends import DeliveryReport, InboundReport
from .choices import Channel, ConsentHow, InboundOutcome, MessageState, OptOutHow
from .models import ContactPreference, InboundReceipt, Message, MessageTemplate, PhoneOptOut, phone_key


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def kind_or_error(key: str) -> MessageKind:
    kind = message_kind(key)
    if kind is None:
        raise ValidationError(_("No app offers a message called “%(kind)s”.") % {"kind": key})
    return kind


# --- languages and texts ---------------------------------------------------------------------------------------

#: A first guess of the language to write in, by nationality, when the person's preference does not say.
LANGUAGE_BY_NATIONALITY = {
    **dict.fromkeys(("SYR", "IRQ", "PSE", "EGY", "LBN", "JOR", "SDN", "YEM", "LBY", "DZA", "MAR", "TUN"), "ar"),
    **dict.fromkeys(("AFG", "IRN", "TJK"), "fa"),
    "TUR": "tr",
}


def language_for(person: Person, preference: ContactPreference | None = None) -> str:
    """The person's preferred language; else the first language they speak that messages are written in; else a
    guess from their nationality; else English."""
    if preference is not None and preference.language in LANGUAGES:
        return preference.language
    for code in person.languages or []:
        if code in LANGUAGES:
            return code
    return LANGUAGE_BY_NATIONALITY.get(person.nationality, "en")


def texts_of(kind: MessageKind) -> dict[str, str]:
    """The text of `kind` in every language: as edited, else the kind's default."""
    texts = dict(kind.templates)
    texts.update(dict(MessageTemplate.objects.filter(kind=kind.key).values_list("language", "body")))
    return texts


def template_save(*, kind: str, language: str, body: str, by: User | None) -> MessageTemplate | None:
    """Change the wording of a kind of message in one language; each placeholder the kind offers must be there and
    no other. The kind's own default text again removes the change (None)."""
    if by is not None:
        _require(has_role(by, permissions.TEMPLATE_ROLES), _("Your role does not word the messages."))
    found = kind_or_error(kind)
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Messages are written in %(languages)s.") % {
            "languages": ", ".join(LANGUAGES)}})  # fmt: skip
    body = body.replace("\r\n", "\n").strip()
    problems = template_problems(body, found.placeholders)
    if problems:
        raise ValidationError({"body": problems})
    with transaction.atomic():
        current = MessageTemplate.objects.select_for_update().filter(kind=kind, language=language).first()
        if body == found.templates[language].strip():
            if current is not None:
                record_delete(current, by=by, reason=_("Back to the default text"))
            return None
        if current is None:
            return record_create(MessageTemplate(kind=kind, language=language, body=body, updated_by=by), by=by)
        if current.body == body:
            return current
        return record_update(current, by=by, changes={"body": body, "updated_by": by, "updated_at": timezone.now()})


# --- contact preferences, consent and opt-out ----------------------------------------------------------------


def may_edit_contact(user: User, person: Person) -> bool:
    """Staff who send messages in the person's office record how to reach them (never on a merged record)."""
    if person.merged_into_id is not None:
        return False
    return has_role(user, permissions.MESSAGE_SEND_ROLES, office=person.office_id)


def _preference_locked(person: Person) -> ContactPreference | None:
    return ContactPreference.objects.select_for_update().filter(person=person).first()


def contact_preference_save(
    *,
    person: Person,
    by: User | None,
    language: str,
    channel: str = Channel.SMS,
    consent_on: datetime.date | None = None,
    consent_how: str = "",
    legal_basis: str = LegalBasis.CONSENT,
) -> ContactPreference:
    """How the person wants to be reached and, when they agreed to be contacted, when, how and on which legal basis:
    that agreement is recorded as the registry's consent for contact (`registry.consent`, audited there), which
    every check reads. A consent dated on or after an opt-out means they agreed again: the opt-out ends (their
    number's too). Leaving the date out changes nothing of the consent: it ends by an opt-out or by its withdrawal
    on the person page."""
    if by is not None:
        _require(may_edit_contact(by, person), _("Your role does not record how this person is contacted."))
    if consent_on is not None:
        _contact_consent_check(consent_on=consent_on, consent_how=consent_how, legal_basis=legal_basis)
    with transaction.atomic():
        preference = _preference_locked(person)
        changes: dict = {"language": language, "channel": channel}
        agreed_again = False
        if consent_on is not None and preference is not None and preference.opted_out_at is not None:
            stopped = timezone.localtime(preference.opted_out_at).date()
            if consent_on < stopped:
                raise ValidationError({"consent_on": _(
                    "The person asked to stop on %(day)s: give the day they agreed to be contacted again."
                ) % {"day": stopped.isoformat()}})  # fmt: skip
            agreed_again = True
            changes.update(opted_out_at=None, opt_out_how="", opt_out_by=None)
        if consent_on is not None:
            current = consent_for(person, ConsentPurpose.CONTACT)
            if agreed_again or current is None or (current.given_on, current.legal_basis) != (consent_on, legal_basis):
                consent_record(
                    person=person, purpose=ConsentPurpose.CONTACT, legal_basis=legal_basis, by=by,
                    given_on=consent_on, note=str(ConsentHow(consent_how).label) if consent_how else "",
                )  # fmt: skip
        if preference is None:
            preference = record_create(ContactPreference(person=person, **changes), by=by)
        else:
            reason = _("Agreed to be contacted again") if agreed_again else ""
            preference = record_update(preference, by=by, changes=changes, reason=reason)
        if agreed_again and person.phone:
            for entry in PhoneOptOut.objects.filter(phone_index=phone_key(person.phone)):
                record_delete(entry, by=by, reason=_("The person of this number agreed to be contacted again"))
    return preference


def _contact_consent_check(*, consent_on: datetime.date, consent_how: str, legal_basis: str) -> None:
    errors = {}
    if consent_on > timezone.localdate():
        errors["consent_on"] = _("Consent cannot be dated in the future.")
    if legal_basis not in LegalBasis.values:
        errors["legal_basis"] = _("Choose the legal basis, one of: %(choices)s.") % {
            "choices": ", ".join(LegalBasis.values)
        }
    elif legal_basis == LegalBasis.CONSENT and consent_how not in ConsentHow.values:
        errors["consent_how"] = _("Say how the person agreed to be contacted.")
    elif consent_how and consent_how not in ConsentHow.values:
        errors["consent_how"] = _("Choose how the person agreed, one of: %(choices)s.") % {
            "choices": ", ".join(ConsentHow.values)
        }
    if errors:
        raise ValidationError(errors)


def contact_opt_out(
    *, person: Person, by: User | None, how: str, at: datetime.datetime | None = None
) -> ContactPreference:
    """The person asked to stop: nothing more is sent to them (what is queued and not yet handed over is not sent)."""
    if by is not None:
        _require(may_edit_contact(by, person), _("Your role does not record how this person is contacted."))
    if how not in OptOutHow.values:
        raise ValidationError({"how": _("Say how the person asked to stop.")})
    when = at or timezone.now()
    with transaction.atomic():
        preference = _preference_locked(person)
        changes = {"opted_out_at": when, "opt_out_how": how, "opt_out_by": by}
        reason = str(OptOutHow(how).label)
        if preference is None:
            preference = record_create(
                ContactPreference(person=person, language=language_for(person), **changes), by=by, reason=reason
            )
        elif preference.opted_out_at is None:
            preference = record_update(preference, by=by, changes=changes, reason=reason)
        _cancel_queued(Message.objects.filter(person=person), by=by, reason=_("The person asked to stop."))
    return preference


def number_opt_out(*, number: str, how: str = OptOutHow.STOP_REPLY, at: datetime.datetime | None = None) -> int:
    """A number asked to stop (a STOP reply): it goes on the opt-out register, every person registered with it is
    opted out, and what is queued to it is not sent. Returns how many people were opted out."""
    key = phone_key(number)
    if key is None:
        raise ValidationError(_("An opt-out needs the number it came from."))
    when = at or timezone.now()
    with transaction.atomic():
        if not PhoneOptOut.objects.filter(phone_index=key).exists():
            record_create(
                PhoneOptOut(phone_index=key, opted_out_at=when, how=how), by=None, reason=str(OptOutHow(how).label)
            )
        people = list(Person.objects.filter(phone_index=number).select_related("office"))
        for person in people:
            contact_opt_out(person=person, by=None, how=how, at=when)
        _cancel_queued(Message.objects.filter(phone_index=number), by=None, reason=_("The number asked to stop."))
    return len(people)


def _cancel_queued(messages, *, by: User | None, reason: str) -> int:
    """Cancel the queued messages not in a sender's hands (those are being handed over; the sender checks again)."""
    rows = list(
        messages.select_for_update(of=("self",))
        .filter(state=MessageState.QUEUED, claim_token="")
        .select_related("person")
        .only("pk", "state", "kind", "sensitivity", "person__office_id", "person__sensitivity")
    )
    if not rows:
        return 0
    Message.objects.filter(pk__in=[m.pk for m in rows], state=MessageState.QUEUED, claim_token="").update(
        state=MessageState.CANCELLED, error=reason[:300]
    )
    record_state_changes(
        Message,
        [(m.pk, m.state, MessageState.CANCELLED, m.person.office_id, _tier(m)) for m in rows],
        field="state",
        by=by,
        reason=reason,
    )
    audit.record_many(
        AuditAction.UPDATE,
        rows,
        actor=by,
        reason=reason,
        changes=lambda m: {"state": [MessageState.QUEUED, MessageState.CANCELLED]},
    )
    return len(rows)


def _tier(message: Message) -> str:
    return strictest([message.person.sensitivity, message.sensitivity])


# --- who may be contacted ----------------------------------------------------------------------------------------

NO_PHONE = "no_phone"
NO_CONSENT = "no_consent"
OPTED_OUT = "opted_out"
NUMBER_OPTED_OUT = "number_opted_out"
MERGED = "merged"
ALREADY_QUEUED = "already_queued"
NOT_VISIBLE = "not_visible"
PHONE_CHANGED = "phone_changed"

SKIP_REASONS = {
    NO_PHONE: gettext_lazy("no phone number"),
    NO_CONSENT: gettext_lazy("no consent to be contacted"),
    OPTED_OUT: gettext_lazy("asked to stop"),
    NUMBER_OPTED_OUT: gettext_lazy("their number replied STOP"),
    MERGED: gettext_lazy("a merged record"),
    ALREADY_QUEUED: gettext_lazy("already queued"),
    NOT_VISIBLE: gettext_lazy("not a person you can see"),
    PHONE_CHANGED: gettext_lazy("their number changed since it was queued"),
}


def contact_problem(
    person: Person, preference: ContactPreference | None, stopped_numbers: set[str], consented: set[int]
) -> str | None:
    """Why `person` may not be sent a message now (None: they may). `stopped_numbers` holds the blind indexes of
    numbers on the opt-out register (at least the person's); `consented`, the people whose consent for contact is
    in force (`registry.consent.consented_among`, at least for this person)."""
    if person.merged_into_id is not None:
        return MERGED
    if not person.phone:
        return NO_PHONE
    if preference is not None and preference.opted_out_at is not None:
        return OPTED_OUT
    if person.pk not in consented:
        return NO_CONSENT
    if phone_key(person.phone) in stopped_numbers:
        return NUMBER_OPTED_OUT
    return None


def stopped_numbers_among(numbers: Iterable[str]) -> set[str]:
    keys = {key for key in (phone_key(number) for number in numbers if number) if key}
    found: set[str] = set()
    keys_list = sorted(keys)
    for start in range(0, len(keys_list), 500):
        found |= set(
            PhoneOptOut.objects.filter(phone_index__in=keys_list[start : start + 500]).values_list(
                "phone_index", flat=True
            )
        )
    return found


def contactable(person: Person) -> tuple[bool, str]:
    """Whether the person may be sent a message now, and if not why (in words)."""
    preference = ContactPreference.objects.filter(person=person).first()
    problem = contact_problem(person, preference, stopped_numbers_among([person.phone]), contact_consented([person]))
    return problem is None, str(SKIP_REASONS[problem]) if problem else ""


def contact_consented(people: Iterable[Person]) -> set[int]:
    """Of `people`, those whose consent for contact is in force today (the registry's one consent check)."""
    return consented_among(list(people), ConsentPurpose.CONTACT)


# --- queueing ------------------------------------------------------------------------------------------------------


@dataclass
class QueueOutcome:
    """What became of a list: how many were queued, and how many were not, by reason."""

    queued: int = 0
    skipped: Counter = field(default_factory=Counter)
    message_ids: list[int] = field(default_factory=list)

    @property
    def skipped_in_words(self) -> list[tuple[str, int]]:
        return [(str(SKIP_REASONS.get(reason, reason)), n) for reason, n in self.skipped.most_common()]

    def add(self, other: QueueOutcome) -> None:
        self.queued += other.queued
        self.skipped.update(other.skipped)
        self.message_ids += other.message_ids


def _as_text(value) -> str:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return f"{value:,.2f}"
    return str(value)


def name_for(person: Person, language: str) -> str:
    """The name a message greets: in the original script for a right-to-left text when it is recorded."""
    if language in RIGHT_TO_LEFT and person.original_name:
        return person.original_name
    return person.full_name


def idempotency_key(kind: str, person_pk: int, key: str) -> str:
    """The key a gateway de-duplicates on: the same kind, person and key give the same one (a reminder asked for
    twice is queued once); keyed, so the gateway learns nothing from it."""
    if not key:
        return uuid.uuid4().hex
    return crypto.blind_index(f"{kind}\x00{person_pk}\x00{key}", purpose="messaging.idempotency")[:32]


def messages_queue(
    *,
    kind: str,
    recipients: Iterable[Recipient],
    by: User | None,
    source: str = "",
    chunk: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> QueueOutcome:
    """Queue a kind of message to each recipient that may be contacted (or to the first of its fallbacks who may),
    in their language, and start the sender. Each chunk is one transaction; a list queued again (after a failure
    half-way) queues only what is missing, for recipients with a `key`.

    `by` must be allowed to send the kind in each person's office and see each person; the demo and reminders
    pass None."""
    found = kind_or_error(kind)
    texts = texts_of(found)
    outcome = QueueOutcome()
    batch: list[Recipient] = []
    done = 0
    for recipient in recipients:
        batch.append(recipient)
        if len(batch) >= chunk:
            outcome.add(_queue_chunk(found, texts, batch, by=by, source=source))
            done += len(batch)
            batch = []
            if progress is not None:
                progress(done)
    if batch:
        outcome.add(_queue_chunk(found, texts, batch, by=by, source=source))
        done += len(batch)
        if progress is not None:
            progress(done)
    if outcome.queued:
        start_sender()
    return outcome


def _plan_chunk(
    kind: MessageKind, texts: dict, recipients: list[Recipient], *, by: User | None, source: str
) -> tuple[list[Message], QueueOutcome]:
    """The messages a chunk of recipients gives (not saved), and who was skipped and why."""
    outcome = QueueOutcome()
    people: dict[int, Person] = {}
    for recipient in recipients:
        for person in (recipient.person, *recipient.fallbacks):
            people[person.pk] = person
    if by is not None:
        for office_id in {person.office_id for person in people.values()}:
            _require(permissions.may_send(by, kind, office_id), _("Your role does not send this message."))
        visible = set(Person.objects.visible_to(by).filter(pk__in=list(people)).values_list("pk", flat=True))
    else:
        visible = set(people)
    preferences = {p.person_id: p for p in ContactPreference.objects.filter(person_id__in=list(people))}
    stopped = stopped_numbers_among(person.phone for person in people.values())
    consented = contact_consented(people.values())
    now = timezone.now()
    planned: list[tuple[Recipient, Person, str]] = []
    for recipient in recipients:
        problem, chosen = None, None
        for person in (recipient.person, *recipient.fallbacks):
            reason = NOT_VISIBLE if person.pk not in visible else None
            reason = reason or contact_problem(person, preferences.get(person.pk), stopped, consented)
            if reason is None:
                chosen = person
                break
            problem = problem or reason
        if chosen is None:
            outcome.skipped[problem] += 1
            continue
        planned.append((recipient, chosen, idempotency_key(kind.key, recipient.person.pk, recipient.key)))
    keys = [key for _recipient, _person, key in planned]
    existing: set[str] = set()
    for start in range(0, len(keys), 500):
        existing |= set(
            Message.objects.filter(idempotency_key__in=keys[start : start + 500]).values_list(
                "idempotency_key", flat=True
            )
        )
    messages = []
    for recipient, person, key in planned:
        if key in existing:
            outcome.skipped[ALREADY_QUEUED] += 1
            continue
        existing.add(key)
        language = language_for(person, preferences.get(person.pk))
        context = {"name": name_for(person, language)}
        context.update({name: _as_text(value) for name, value in recipient.context.items()})
        try:
            body = render(texts[language], context)
        except KeyError as exc:
            raise ValidationError(_("The message needs a value for {%(name)s}.") % {"name": exc.args[0]}) from None
        messages.append(
            Message(
                person=person,
                kind=kind.key,
                language=language,
                channel=Channel.SMS,
                body=body,
                phone=person.phone,
                sensitivity=kind.sensitivity,
                idempotency_key=key,
                source=source[:80],
                queued_at=now,
                next_attempt_at=now,
                queued_by=by,
            )
        )
    return messages, outcome


def _queue_chunk(kind: MessageKind, texts: dict, recipients: list[Recipient], *, by: User | None, source: str):
    messages, outcome = _plan_chunk(kind, texts, recipients, by=by, source=source)
    if messages:
        with transaction.atomic():
            created = record_create_many(Message, messages, by=by, reason=str(kind.label))
        outcome.queued = len(created)
        outcome.message_ids = [message.pk for message in created]
    return outcome


@dataclass
class QueuePreview:
    """What queueing a list would do, before anything is written."""

    total: int
    outcome: QueueOutcome
    #: language -> (how many, the first message's text)
    languages: dict[str, tuple[int, str]]


def queue_preview(*, kind: str, recipients: list[Recipient], by: User | None) -> QueuePreview:
    found = kind_or_error(kind)
    messages, outcome = _plan_chunk(found, texts_of(found), recipients, by=by, source="")
    outcome.queued = len(messages)
    languages: dict[str, tuple[int, str]] = {}
    for message in messages:
        count, sample = languages.get(message.language, (0, message.body))
        languages[message.language] = (count + 1, sample)
    return QueuePreview(total=len(recipients), outcome=outcome, languages=languages)


def message_queue_one(*, kind: str, person: Person, context: dict, by: User | None, source: str = "") -> Message:
    """Queue one message to one person (from the person page); refused with the reason when they may not be
    contacted."""
    outcome = messages_queue(kind=kind, recipients=[Recipient(person, context)], by=by, source=source)
    if not outcome.queued:
        reason = next(iter(outcome.skipped), NO_CONSENT)
        raise ValidationError(
            _("Not queued: %(name)s — %(reason)s.") % {"name": person.full_name, "reason": SKIP_REASONS[reason]}
        )
    return Message.objects.get(pk=outcome.message_ids[0])


def reminders_queue(*, now: datetime.datetime | None = None) -> dict[str, QueueOutcome]:
    """Queue every reminder that is due (each kind's `reminders`); one already queued is not queued again."""
    now = now or timezone.now()
    outcomes = {}
    for kind in message_kinds():
        if kind.reminders is None:
            continue
        outcomes[kind.key] = messages_queue(
            kind=kind.key, recipients=list(kind.reminders(now)), by=None, source=_("reminder")
        )
    return outcomes


def start_sender() -> None:
    """Once the queueing commits, have a background worker hand the new messages over."""
    from .tasks import enqueue_sender

    transaction.on_commit(enqueue_sender)


# --- staff's cancel and retry -------------------------------------------------------------------------------------


def message_cancel(*, message: Message, by: User | None, reason: str) -> Message:
    """Keep a queued message from being sent (a sender already handing it over cannot be stopped)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the message is not to be sent.")})
    if by is not None:
        _require(permissions.may_handle_outbox(by, message.person.office_id), _("Your role does not do this."))
    with transaction.atomic():
        message = Message.objects.select_for_update(of=("self",)).select_related("person").get(pk=message.pk)
        if message.state != MessageState.QUEUED:
            raise ValidationError(_("Only a queued message can be kept from being sent."))
        if message.claim_token:
            raise ValidationError(_("The message is being handed to the gateway: it can no longer be stopped."))
        return state_set(
            message, field="state", new=MessageState.CANCELLED, by=by, reason=reason.strip(),
            changes={"error": reason.strip()[:300]}, office_id=message.person.office_id, sensitivity=_tier(message),
        )  # fmt: skip


def message_retry(*, message: Message, by: User | None) -> Message:
    """Queue a failed message again, under a new idempotency key (the gateway would drop the old one as already
    sent). The person must still be contactable, at the same number."""
    if by is not None:
        _require(permissions.may_handle_outbox(by, message.person.office_id), _("Your role does not do this."))
    with transaction.atomic():
        message = Message.objects.select_for_update(of=("self",)).select_related("person").get(pk=message.pk)
        if message.state != MessageState.FAILED:
            raise ValidationError(_("Only a failed message is queued again."))
        person = message.person
        preference = ContactPreference.objects.filter(person=person).first()
        stopped = stopped_numbers_among([person.phone, message.phone])
        problem = contact_problem(person, preference, stopped, contact_consented([person]))
        if problem is None and phone_key(person.phone) != message.phone_index:
            problem = PHONE_CHANGED
        if problem is not None:
            raise ValidationError(_("Not queued again: %(reason)s.") % {"reason": SKIP_REASONS[problem]})
        message = state_set(
            message, field="state", new=MessageState.QUEUED, by=by, reason=_("Queued again"),
            changes={"idempotency_key": uuid.uuid4().hex, "next_attempt_at": timezone.now(), "error": "",
                     "claim_token": "", "failed_at": None, "provider_message_id": ""},
            office_id=person.office_id, sensitivity=_tier(message),
        )  # fmt: skip
        start_sender()
    return message


# --- from the gateway: delivery reports and inbound texts ------------------------------------------------------


def delivery_report_apply(*, backend: str, report: DeliveryReport) -> str:
    """Mark a sent message delivered or failed; a report for a message already in a final state changes nothing
    (gateways send them again). Returns what happened: delivered, failed, unchanged or unknown."""
    condition = Q()
    if report.provider_id:
        condition |= Q(backend=backend, provider_message_id=report.provider_id)
    if report.reference:
        condition |= Q(idempotency_key=report.reference)
    with transaction.atomic():
        message = Message.objects.select_for_update(of=("self",)).select_related("person").filter(condition).first()
        if message is None:
            return "unknown"
        if message.state not in (MessageState.SENT, MessageState.QUEUED):
            return "unchanged"
        now = timezone.now()
        new = MessageState.DELIVERED if report.delivered else MessageState.FAILED
        changes = {
            "state": new,
            "claim_token": "",
            "sent_at": message.sent_at or now,
            "provider_message_id": message.provider_message_id or report.provider_id,
            "backend": message.backend or backend,
        }
        if report.delivered:
            changes["delivered_at"] = now
        else:
            changes.update(failed_at=now, error=(report.error or _("The gateway could not deliver it."))[:300])
        old = message.state
        Message.objects.filter(pk=message.pk).update(**changes)
        record_state_change(
            message, field="state", old=old, new=new, by=None, reason=_("Delivery report"),
            office_id=message.person.office_id, sensitivity=_tier(message),
        )  # fmt: skip
    return str(new)


#: Words that ask to stop: English, Turkish, Arabic, Farsi, Pashto (folded: no case, accents, hamza seats).
OPT_OUT_WORDS = frozenset(
    {
        "stop", "stopall", "unsubscribe", "cancel", "end", "quit",
        "dur", "iptal", "durdur",
        "توقف", "الغاء", "ايقاف",
        "لغو",
        "بند", "ودروه",
    }
)  # fmt: skip
#: Of those, the ones that still ask to stop with one more word ("STOP please", "DUR lütfen", "توقف رجاء").
STRONG_OPT_OUT_WORDS = frozenset({"stop", "dur", "iptal", "توقف", "لغو"})


def _folded(text: str) -> str:
    from liman.core.text import tr_lower

    text = unicodedata.normalize("NFKC", text).strip()
    text = tr_lower(text)
    # Turkish without its letters (İPTAL, IPTAL, iptal), Arabic without hamza seats, tatweel and short vowels.
    text = text.translate(str.maketrans({"ı": "i", "ş": "s", "ğ": "g", "ç": "c", "ö": "o", "ü": "u"}))
    text = text.translate(str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ـ": None, "ى": "ي", "ي": "ي", "ک": "ك"}))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def is_opt_out(text: str) -> bool:
    """Whether an inbound text asks to stop: an opt-out word alone, whatever the case, accents or punctuation ("Stop!",
    "İPTAL", "توقف"), or a strong one followed by one more word ("STOP please", "DUR lütfen"). "Cancel my
    appointment" is a message, not an opt-out."""
    words = [word.strip(".,!?؟،;:()[]\"'«»-_*") for word in _folded(text).split()]
    words = [word for word in words if word]
    if len(words) == 1:
        return words[0] in OPT_OUT_WORDS
    return len(words) == 2 and words[0] in STRONG_OPT_OUT_WORDS


def normalised_number(number: str) -> str:
    from liman.registry.identifiers import normalise_phone

    try:
        return normalise_phone(number)
    except ValueError:
        return number.strip()


def _inbound_office(number: str, person: Person | None) -> Office | None:
    """Where a text belongs: its person's office; else the office of the person last written to at that number;
    else the configured inbound office; else the country office."""
    if person is not None:
        return person.office
    last = Message.objects.filter(phone_index=number).select_related("person__office").order_by("-queued_at").first()
    if last is not None:
        return last.person.office
    code = conf.inbound_office_code()
    if code:
        office = Office.objects.filter(code=code.upper()).first()
        if office is not None:
            return office
    return Office.objects.filter(type="country").order_by("code").first() or Office.objects.order_by("code").first()


def inbound_receive(*, backend: str, report: InboundReport) -> str:
    """A text from a person: an opt-out word opts the number out; anything else goes to the apps' inbound handlers
    (feedback from the SMS channel). The same text posted again by the gateway changes nothing.

    Whose text it is: the one registered person with that number, if exactly one is (a phone shared in a family
    names no one: the text is kept with the number as the way to answer, and no person)."""
    number = normalised_number(report.number)
    received_at = report.received_at or timezone.now()
    with transaction.atomic():
        if report.provider_id:
            if InboundReceipt.objects.filter(backend=backend, provider_id=report.provider_id).exists():
                return "duplicate"
        if is_opt_out(report.text):
            number_opt_out(number=number, how=OptOutHow.STOP_REPLY, at=received_at)
            outcome = InboundOutcome.OPT_OUT
        else:
            people = list(Person.objects.active().filter(phone_index=number).select_related("office")[:2])
            person = people[0] if len(people) == 1 else None
            text = InboundText(
                number=number,
                text=report.text.strip(),
                received_at=received_at,
                backend=backend,
                provider_id=report.provider_id,
                person=person,
                office=_inbound_office(number, person),
            )
            handlers = inbound_handlers()
            for handler in handlers:
                handler(text)
            outcome = InboundOutcome.HANDLED if handlers else InboundOutcome.UNHANDLED
        if report.provider_id:
            InboundReceipt.objects.create(
                backend=backend, provider_id=report.provider_id[:100], received_at=received_at, outcome=outcome
            )
    return str(outcome)


def webhook_receive(*, backend: str, events: Iterable[DeliveryReport | InboundReport]) -> Counter:
    """Apply what a gateway's callback carried; returns a count per outcome."""
    counts: Counter = Counter()
    for event in events:
        if isinstance(event, InboundReport):
            counts[f"inbound_{inbound_receive(backend=backend, report=event)}"] += 1
        else:
            counts[delivery_report_apply(backend=backend, report=event)] += 1
    return counts
