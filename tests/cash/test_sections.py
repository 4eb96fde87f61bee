"""The person page's cash section: the household's enrolments and payments, for cash roles of its office only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from liman.cash import services
from liman.core.choices import Role
from tests.cash.conftest import family
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(programme, istanbul, officer, approver):
    household = family(istanbul, "Amira", "Haddad", 4)
    run = services.targeting_run(programme=programme, office=istanbul, by=officer)
    services.enrol(run=run, by=officer)
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    services.cycle_export(cycle=cycle, by=officer)
    services.reconcile_rows(
        cycle=cycle,
        rows=[{"reference": household.reference, "amount": "17000.00", "status": "paid", "date": "2026-11-20",
               "transaction_id": "TX-77"}],
        by=officer,
    )  # fmt: skip
    return household, cycle


def test_the_person_page_shows_the_households_cash_to_cash_roles(client, paid, approver, istanbul):
    household, cycle = paid
    client.force_login(approver)
    page = client.get(reverse("person-detail", args=[household.head.reference])).content.decode()
    assert "Cash assistance" in page
    assert cycle.reference in page and "MPC" in page and "17,000" in page and "Paid" in page


def test_the_section_is_hidden_from_roles_that_do_not_read_cash(client, paid, istanbul):
    household, cycle = paid
    client.force_login(staff(Role.CASEWORKER, istanbul, username="cw.ist"))
    page = client.get(reverse("person-detail", args=[household.head.reference])).content.decode()
    assert "Cash assistance" not in page and cycle.reference not in page


def test_a_household_without_cash_shows_no_section(client, paid, approver, istanbul):
    other = family(istanbul, "Omar", "Saleh", 1)
    client.force_login(approver)
    page = client.get(reverse("person-detail", args=[other.head.reference])).content.decode()
    assert "Cash assistance" not in page
