"""The demo seed: every state of every case type, with notes, referrals and overdue follow-ups."""

import random

import pytest

from liman.cases.demo import DEMO_OFFICES, seed_cases
from liman.cases.models import Case, CaseNote, FollowUp, Referral
from liman.cases.workflows import WORKFLOWS
from liman.core.demo import seed_core
from liman.core.models import Office
from liman.privacy.demo import seed_agreements
from tests.cases.builders import register

pytestmark = pytest.mark.django_db


def test_without_people_the_seed_does_nothing():
    seed_core(random.Random(1), 1)
    seed_cases(random.Random(1), 1)
    assert not Case.objects.exists()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            seed_core(random.Random(1), 1)
            for code in DEMO_OFFICES:
                office = Office.objects.get(code=code)
                # Enough people for a counter-trafficking case in each state: one open case per person.
                for n in range(24):
                    register(office, first_name=f"Demo{n}", family_name=code.title())
            seed_agreements(random.Random(1), 1)  # referrals to partners go out under a data-sharing agreement
            seed_cases(random.Random(1), 1)
            yield
            transaction.set_rollback(True)


def test_every_state_of_every_type_has_a_case(seeded):
    for case_type, workflow in WORKFLOWS.items():
        states = set(Case.objects.filter(type=case_type).values_list("state", flat=True))
        assert states >= set(workflow.states.values), (case_type, set(workflow.states.values) - states)


def test_every_demo_office_has_cases(seeded):
    assert set(Case.objects.values_list("office__code", flat=True)) == set(DEMO_OFFICES)


def test_the_demo_has_notes_referrals_and_overdue_follow_ups(seeded):
    assert CaseNote.objects.count() > 50
    assert set(Referral.objects.values_list("status", flat=True)) == {"pending", "accepted", "declined"}
    assert Referral.objects.filter(kind="transfer").exists() and Referral.objects.filter(to_partner__isnull=False)
    assert FollowUp.objects.overdue().count() > 10


def test_partner_users_of_the_demo_answer_referrals(seeded):
    from liman.core.models import User

    lawyer = User.objects.get(username="partner.ist")
    assert Referral.objects.visible_to(lawyer).exists()


def test_seeding_twice_adds_nothing(seeded):
    before = Case.objects.count()
    seed_cases(random.Random(2), 2)
    assert Case.objects.count() == before
