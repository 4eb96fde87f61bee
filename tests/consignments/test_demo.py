"""The demo: a year of consignments at both hubs in every state, two partners who each see only their own."""

import random

import pytest

from liman.assistance.demo import seed_assistance
from liman.assistance.selectors import ledger_differences
from liman.consignments.choices import ConsignmentState
from liman.consignments.demo import PARTNERS, seed_consignments
from liman.consignments.models import Consignment, DistributionReport, TransitLoss
from liman.core.demo import DEMO_PASSWORD, seed_core
from liman.core.models import User
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_without_hubs_the_seed_does_nothing(istanbul):
    """(First: the module's seeded data is not there yet.)"""
    staff("warehouse", istanbul)
    seed_consignments(random.Random(1), 1)
    assert not Consignment.objects.exists()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            rng = random.Random(5)
            seed_core(rng, 5)
            seed_assistance(rng, 5)
            seed_consignments(rng, 5)
            yield
            transaction.set_rollback(True)


def test_both_hubs_have_a_consignment_in_every_state(seeded):
    states = set(Consignment.objects.values_list("office__code", "state"))

    assert states == {(code, state) for code in ("GAZ", "HTY") for state in ConsignmentState.values}


def test_each_demo_partner_signs_in_and_sees_only_its_organisations_consignments(seeded):
    for name, _acronym, username, _destination in PARTNERS:
        user = User.objects.get(username=username)
        seen = Consignment.objects.visible_to(user)
        assert user.check_password(DEMO_PASSWORD)
        assert seen.exists() and set(seen.values_list("partner__name", flat=True)) == {name}
        assert set(seen.values_list("office__code", flat=True)) == {"GAZ", "HTY"}  # it receives from both hubs


def test_reports_add_up_and_the_ledger_follows_the_trucks(seeded):
    reports = DistributionReport.objects.prefetch_related("lines__people_counts")
    assert reports.count() == 2 * 6
    for report in reports:
        for line in report.lines.all():
            assert line.people == sum(row.count for row in line.people_counts.all()) >= line.households
    assert TransitLoss.objects.exists()
    assert ledger_differences() == []


def test_the_seed_runs_once(seeded):
    before = Consignment.objects.count()
    seed_consignments(random.Random(5), 5)
    assert Consignment.objects.count() == before
