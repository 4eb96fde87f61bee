"""Demo feedback: a few weeks of hotline calls, desk visits and box notes in IST and HTY, in every state, some
overdue, and complaints in the protected channel followed up by the office's PSEA focal point."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from liman.core.choices import Role
from liman.core.demo import demo_username
from liman.core.models import Office, User
from liman.registry.models import Person

from . import services
from .choices import Category, Channel, Priority
from .models import Feedback

OFFICES = ("IST", "HTY")
#: (channel, category, what the person said)
CALLS = [
    (Channel.HOTLINE, Category.INFORMATION, "When is the next cash payment loaded on the card?"),
    (Channel.HOTLINE, Category.PAYMENT, "The card was blocked at the ATM; the payment did not come out."),
    (Channel.DESK, Category.ASSISTANCE_NOT_RECEIVED, "Our family was not called for the food distribution."),
    (Channel.BOX, Category.QUALITY, "The blankets in the last round were wet."),
    (Channel.SMS, Category.INFORMATION, "Where can I renew my residence permit?"),
    (Channel.FIELD_VISIT, Category.OTHER, "The distribution point has no shade for the elderly who wait."),
    (Channel.PARTNER, Category.ASSISTANCE_NOT_RECEIVED, "Referred by the municipality: no hygiene kit received."),
    (Channel.HOTLINE, Category.PAYMENT, "Paid 13,000 but the letter said 17,000 for six people."),
]
PROTECTED = [
    (Channel.DESK, Category.SEA, "A man at the distribution asked her to meet him in exchange for a card."),
    (Channel.HOTLINE, Category.FRAUD, "Someone asks for money to put families on the cash list."),
]


def _user(role: str, code: str) -> User:
    return User.objects.get(username=demo_username(role, code))


def seed_feedback(rng: random.Random, seed: int) -> None:
    if Feedback.objects.exists():
        return
    now = timezone.now()
    for code in OFFICES:
        office = Office.objects.filter(code=code).first()
        if office is None:
            continue
        desk, handler = _user(Role.CASEWORKER, code), _user(Role.SUPERVISOR, code)
        focal = _user(Role.PSEA_FOCAL_POINT, code)
        people = list(Person.objects.filter(office=office).order_by("pk")[:200])
        for number, (channel, category, said) in enumerate(CALLS):
            anonymous = channel == Channel.BOX
            feedback = services.feedback_record(
                office=office, channel=channel, category=category, summary=said, anonymous=anonymous,
                person=None if anonymous or not people else rng.choice(people),
                priority=rng.choice([Priority.NORMAL, Priority.NORMAL, Priority.HIGH]), by=desk,
                received_at=now - datetime.timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 8)),
            )  # fmt: skip
            # Some are answered and closed, some wait at each step (and a few are overdue).
            steps = number % 5
            if steps >= 1:
                services.feedback_triage(feedback=feedback, priority=feedback.priority, by=handler)
            if steps >= 2:
                services.feedback_assign(feedback=feedback, to=handler, by=handler)
            if steps >= 3:
                services.feedback_resolve(
                    feedback=feedback, resolution="Checked with the programme team and put right.", by=handler
                )
            if steps >= 4:
                if anonymous:
                    services.feedback_close(feedback=feedback, by=handler)
                else:
                    services.feedback_respond(
                        feedback=feedback, response="Called back and explained what was done.", by=handler
                    )
                    services.feedback_close(feedback=feedback, by=handler)
        named = _user(Role.DISTRIBUTION, code)
        for channel, category, said in PROTECTED:
            complaint = services.feedback_record(
                office=office, channel=channel, category=category, summary=said, priority=Priority.URGENT,
                person=rng.choice(people) if people else None, about_staff=named, by=desk,
                received_at=now - datetime.timedelta(days=rng.randint(1, 5)),
            )  # fmt: skip
            services.feedback_triage(feedback=complaint, priority=Priority.URGENT, by=focal)
            services.feedback_assign(feedback=complaint, to=focal, by=focal)
