"""Demo messages: consent for contact (the registry's) and preferences for about two in three of IST's adults with a
phone, one of them withdrawn later, a changed text, a few hundred messages in every state (handed to the development
file backend, var/messages/outbox.jsonl), and, once assistance has seeded its distributions, a distribution-day
message to the households of IST's open plan.

Through the same services as the pages; the gateway's delivery reports go through the webhook's service."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from liman.core.choices import Role
from liman.core.messages import Recipient, message_kinds
from liman.core.models import User
from liman.registry import services as registry
from liman.registry.choices import ConsentPurpose
from liman.registry.consent import consent_for

from . import services
from .backends import DeliveryReport, get_backend
from .choices import ConsentHow, MessageState, OptOutHow
from .models import ContactPreference, Message

#: Share of IST's adults with a phone who agreed to be contacted, and of those who later asked to stop.
CONSENT_SHARE = 0.65
OPT_OUT_SHARE = 0.05
#: Gateway outcomes of the messages sent: delivered, failed (the rest stay "sent", no report yet).
DELIVERED_SHARE, FAILED_SHARE = 0.6, 0.1
DEMO_FAILURES = ["Absent subscriber", "Number not in service", "Handset memory full"]
DEMO_PLACES = ["IOM Istanbul, Zeytinburnu clinic", "Migration health centre, Fatih", "Şişli health point"]


def _user(role: str, code: str) -> User | None:
    from liman.core.demo import demo_username

    return User.objects.filter(username=demo_username(role, code)).first()


def _demo_backend():
    """The development file backend, whatever the settings say: the demo never reaches a real gateway."""
    from . import conf

    return get_backend("file", conf.options() if conf.backend_name() == "file" else {})


def seed_messaging(rng: random.Random, seed: int) -> None:
    from liman.core.models import Office
    from liman.registry.models import Person

    office = Office.objects.filter(code="IST").first()
    caseworker = _user(Role.CASEWORKER, "IST")
    if office is None or caseworker is None or ContactPreference.objects.filter(person__office=office).exists():
        return
    today = timezone.localdate()
    adults = [
        person
        for person in Person.objects.active().filter(office=office, phone_index__isnull=False).order_by("pk")
        if person.phone and (person.age is None or person.age >= 18)
    ]
    consenting = []
    for person in adults:
        if rng.random() >= CONSENT_SHARE:
            continue
        services.contact_preference_save(
            person=person,
            by=caseworker,
            language=services.language_for(person),
            consent_on=today - datetime.timedelta(days=rng.randint(1, 400)),
            consent_how=rng.choice(ConsentHow.values),
        )
        consenting.append(person)

    officer = _user(Role.PROGRAMME_OFFICER, "ANK") or _user(Role.PROGRAMME_OFFICER, "IST")
    services.template_save(
        kind="health_assessment_appointment",
        language="tr",
        body=(
            "{name}, sağlık değerlendirmesi randevunuz {date} tarihinde {place} adresinde. Lütfen kimliğinizi ve "
            "varsa sağlık belgelerinizi getirin. Mesaj almak istemezseniz DUR yazın."
        ),
        by=officer,
    )

    # A few hundred appointment reminders, queued by the caseworker, then the gateway's reminders for flights.
    kind = "health_assessment_appointment"
    recipients = [
        Recipient(
            person,
            {"date": today + datetime.timedelta(days=rng.randint(1, 30)), "place": rng.choice(DEMO_PLACES)},
            key=f"demo:{seed}:{round_}:{number}",
        )
        for round_ in (1, 2)
        for number, person in enumerate(consenting)
        if round_ == 1 or rng.random() < 0.5
    ]
    services.messages_queue(kind=kind, recipients=recipients, by=caseworker, source="Demo round")
    services.reminders_queue()

    # Handed over (most of them), then some asked to stop before the rest went out: those are not sent.
    backend = _demo_backend()
    queued = list(Message.objects.filter(state=MessageState.QUEUED).order_by("pk").values_list("pk", flat=True))
    keep_queued = set(queued[-min(40, len(queued) // 5) :]) if queued else set()
    held = list(Message.objects.filter(pk__in=keep_queued))
    Message.objects.filter(pk__in=keep_queued).update(next_attempt_at=timezone.now() + datetime.timedelta(days=3650))
    from .sender import send_pending

    send_pending(backend=backend, concurrency=1)
    Message.objects.filter(pk__in=keep_queued).update(next_attempt_at=timezone.now())
    stoppers = sorted({message.person_id for message in held})[: max(1, int(len(held) * 0.3))] if held else []
    for person in Person.objects.filter(pk__in=stoppers).order_by("pk"):
        services.contact_opt_out(person=person, by=caseworker, how=rng.choice([OptOutHow.CALL, OptOutHow.DESK]))
    for person in consenting:
        if rng.random() < OPT_OUT_SHARE:
            services.contact_opt_out(person=person, by=caseworker, how=OptOutHow.DESK)
    # One person still waiting for a message withdraws their consent for contact on the person page: the sender
    # will not hand that message over (the person page and the message pages show the withdrawal).
    waiting = sorted({message.person_id for message in held} - set(stoppers))
    if waiting:
        consent = consent_for(waiting[0], ConsentPurpose.CONTACT)
        if consent is not None:
            registry.consent_withdraw(consent=consent, by=caseworker)

    # The gateway's delivery reports (as its webhook would bring them).
    for number, message in enumerate(Message.objects.filter(state=MessageState.SENT).order_by("pk")):
        share = (number % 10) / 10  # every tenth report the same way: a small demo has each outcome too
        if share < DELIVERED_SHARE:
            report = DeliveryReport(provider_id=message.provider_message_id, delivered=True)
        elif share < DELIVERED_SHARE + FAILED_SHARE:
            report = DeliveryReport(provider_id=message.provider_message_id, error=rng.choice(DEMO_FAILURES))
        else:
            continue
        services.delivery_report_apply(backend=backend.name, report=report)


def seed_list_messages(rng: random.Random, seed: int) -> None:
    """After every app has seeded (a seeder run last): for each kind whose list names a demo record (`Audience.demo`:
    who sends it, for which record), the list message, as that user would send it from the record's page (a
    distribution-day message to the households of IST's open plan), handed over. Messages the demo left queued on
    purpose stay queued."""
    from .sender import send_pending

    waiting = list(Message.objects.filter(state=MessageState.QUEUED).values_list("pk", "next_attempt_at"))
    Message.objects.filter(pk__in=[pk for pk, _ in waiting]).update(
        next_attempt_at=timezone.now() + datetime.timedelta(days=3650)
    )
    for kind in message_kinds():
        if kind.audience is None or kind.audience.demo is None:
            continue
        if Message.objects.filter(kind=kind.key).exists():
            continue
        picked = kind.audience.demo()
        if picked is None:
            continue
        user, pk = picked
        listed = kind.audience.recipients(user, pk)
        services.messages_queue(kind=kind.key, recipients=listed.recipients, by=user, source=listed.title[:80])
        send_pending(backend=_demo_backend(), concurrency=1)
    by_time: dict = {}
    for pk, at in waiting:
        by_time.setdefault(at, []).append(pk)
    for at, pks in by_time.items():
        Message.objects.filter(pk__in=pks).update(next_attempt_at=at)
