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
    page = client.get(reverse("registry:person-detail", args=[household.head.reference])).content.decode()
    assert "Cash assistance" in page
    assert cycle.reference in page and "MPC" in page and "17,000" in page and "Paid" in page


def test_the_section_is_hidden_from_roles_that_do_not_read_cash(client, paid, istanbul):
    household, cycle = paid
    client.force_login(staff(Role.CASEWORKER, istanbul, username="cw.ist"))
    page = client.get(reverse("registry:person-detail", args=[household.head.reference])).content.decode()
    assert "Cash assistance" not in page and cycle.reference not in page


def test_a_household_without_cash_shows_no_section(client, paid, approver, istanbul):
    other = family(istanbul, "Omar", "Saleh", 1)
    client.force_login(approver)
    page = client.get(reverse("registry:person-detail", args=[other.head.reference])).content.decode()
    assert "Cash assistance" not in page


def test_the_household_page_shows_its_cash_with_a_complaint_link_per_payment(client, paid, approver):
    household, cycle = paid
    payment = cycle.payments.get(household=household)
    client.force_login(approver)
    page = client.get(reverse("registry:household-detail", args=[household.reference])).content.decode()
    assert 'id="section-cash"' in page and cycle.reference in page and "17,000" in page
    link = f"?about=cash.payment:{payment.pk}&amp;category=payment&amp;person={household.head.reference}"
    assert link in page


def test_the_household_section_is_hidden_from_roles_that_do_not_read_cash(client, paid, istanbul):
    household, cycle = paid
    client.force_login(staff(Role.CASEWORKER, istanbul, username="cw.ist"))
    page = client.get(reverse("registry:household-detail", args=[household.reference])).content.decode()
    assert 'id="section-cash"' not in page and cycle.reference not in page


def test_a_complaint_recorded_from_the_link_points_at_the_payment(client, paid, officer, istanbul):
    from liman.feedback.models import Feedback

    household, cycle = paid
    payment = cycle.payments.get(household=household)
    client.force_login(officer)
    url = reverse("feedback:feedback-create")
    about = f"cash.payment:{payment.pk}"
    form = client.get(url, {"about": about, "category": "payment", "person": household.head.reference})
    assert form.status_code == 200 and 'id="feedback-about"' in form.content.decode()

    response = client.post(url, {
        "office": istanbul.pk, "channel": "hotline", "category": "payment", "priority": "normal",
        "summary": "Only part of the money was on the card.", "person": household.head.reference, "about": about,
    })  # fmt: skip

    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert feedback.about == payment and feedback.person == household.head
    detail = client.get(response["Location"]).content.decode()
    assert cycle.reference in detail  # the payment is named on the feedback page


def test_a_payment_outside_the_users_offices_cannot_be_named(client, paid, izmir):
    household, cycle = paid
    payment = cycle.payments.get(household=household)
    client.force_login(staff(Role.PROGRAMME_OFFICER, izmir, username="po.izm"))
    response = client.get(reverse("feedback:feedback-create"), {"about": f"cash.payment:{payment.pk}"})
    assert response.status_code == 404
