"""The demo: consent for contact (one withdrawn) and preferences for IST's people, a changed text, messages in every
state through the development backend, and a distribution-day message to the households of IST's open distribution."""

import random

import pytest
from django.core.management import call_command

from liman.assistance.models import DistributionPlan
from liman.core.choices import Role
from liman.messaging.demo import seed_list_messages
from liman.messaging.models import ContactPreference, Message, MessageTemplate
from liman.registry.models import Consent
from tests.messaging.conftest import distribution_with_households

pytestmark = pytest.mark.django_db


def test_the_demo_has_consent_a_changed_text_and_messages_in_every_state(tmp_path):
    call_command("seed", "--seed", "11", "--quiet")

    contact = Consent.objects.filter(person__office__code="IST", purpose="contact")
    assert contact.count() >= 5 and contact.filter(withdrawn_on__isnull=False).exists()
    assert ContactPreference.objects.filter(opted_out_at__isnull=False).exists()
    assert MessageTemplate.objects.filter(kind="health_assessment_appointment", language="tr").exists()
    states = set(Message.objects.values_list("state", flat=True))
    assert states == {"queued", "sent", "delivered", "failed", "cancelled"}
    assert len(set(Message.objects.values_list("language", flat=True))) >= 2
    outbox = (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(outbox) == Message.objects.exclude(state__in=["queued", "cancelled"]).count()


def test_the_demo_tells_the_households_of_ists_open_distribution(istanbul):
    plan, clerk = distribution_with_households(istanbul)
    DistributionPlan.objects.filter(pk=plan.pk).update(state="open")
    assert clerk.username == "distribution.ist" and Role.DISTRIBUTION in clerk.roles

    seed_list_messages(random.Random(1), 1)

    told = Message.objects.filter(kind="distribution_day")
    assert told.count() == 2 and set(told.values_list("state", flat=True)) == {"sent"}
    assert all(message.source.startswith(plan.reference) for message in told)
