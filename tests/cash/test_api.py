"""The cash API: read-only, scoped to the caller's offices, a few queries whatever the length of the list; payments
never carry the sealed snapshot (name, foreigner ID, phone)."""

from __future__ import annotations

import datetime

import pytest

from liman.cash import services
from liman.cash.choices import PaymentStatus
from liman.core.choices import Role
from tests.cash.conftest import family
from tests.factories import OfficeFactory, staff

pytestmark = pytest.mark.django_db

HEADS = [("Amira", "Haddad"), ("Layla", "Nouri"), ("Fatima", "Darwish"), ("Rania", "Barakat"), ("Huda", "Mansour"),
         ("Nour", "Khoury"), ("Samira", "Jaber"), ("Yasmin", "Qasim"), ("Dalia", "Hamdan"), ("Maha", "Suleiman"),
         ("Reem", "Aziz"), ("Salma", "Karimi")]  # fmt: skip


@pytest.fixture
def approved(programme, istanbul, officer, approver):
    """Twelve households enrolled, a cycle approved and sent, a second one in draft."""
    for number, (first, last) in enumerate(HEADS):
        born = datetime.date(1960 + 3 * number, 1 + number, 9)
        family(istanbul, first, last, 2 + number % 4, foreigner_id=f"9912345{number:04d}",
               phone=f"+90532{number * 7919 + 1000000:07d}", born=born)  # fmt: skip
    run = services.targeting_run(programme=programme, office=istanbul, by=officer)
    services.enrol(run=run, by=officer)
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    services.cycle_export(cycle=cycle, by=officer)
    services.cycle_create(programme=programme, office=istanbul, provider="ptt_csv", by=officer)
    return cycle


@pytest.mark.parametrize("route", ["programmes", "cycles", "payments"])
def test_cash_lists_cost_the_same_few_queries(client, approved, approver, route, django_assert_max_num_queries):
    client.force_login(approver)
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/cash/{route}/")
    assert response.status_code == 200 and response.json()["count"] > 0


def test_payments_of_one_cycle_without_the_sealed_snapshot(client, approved, approver):
    client.force_login(approver)
    rows = client.get(f"/api/cash/payments/?cycle={approved.reference}&limit=100").json()["results"]
    assert len(rows) == approved.payments.count() == 12
    assert {row["cycle"] for row in rows} == {approved.reference}
    assert set(rows[0]) == {"id", "cycle", "household", "amount", "currency", "rules_version", "status",
                            "hold_reason", "paid_on", "transaction_id", "reported_amount"}  # fmt: skip
    body = client.get(f"/api/cash/payments/?cycle={approved.reference}&limit=100").content.decode()
    assert "99123450000" not in body and "+905321000000" not in body and "Amira" not in body
    assert client.get("/api/cash/payments/?status=held").json()["count"] == 0
    listed = client.get(f"/api/cash/payments/?status={PaymentStatus.LISTED}").json()["count"]
    assert listed == 24


def test_a_cycle_and_a_programme_by_their_keys(client, approved, approver, programme):
    client.force_login(approver)
    cycle = client.get(f"/api/cash/cycles/{approved.reference}/").json()
    assert cycle["state"] == "sent" and cycle["approved_by"] == "approver.ist" and cycle["prepared_by"] == "po.ist"
    assert len(cycle["list_hash"]) == 64 and cycle["currency"] == "TRY"
    assert [c["state"] for c in client.get("/api/cash/cycles/?state=draft").json()["results"]] == ["draft"]
    found = client.get(f"/api/cash/programmes/{programme.code}/").json()
    assert found["offices"] == ["IST"] and found["current_rules"]["number"] == 1


def test_another_office_sees_nothing_of_it(client, approved, programme):
    other = staff(Role.CASH_APPROVER, OfficeFactory(code="IZM", name="Izmir"), username="approver.izm")
    client.force_login(other)
    for route in ("programmes", "cycles", "payments"):
        assert client.get(f"/api/cash/{route}/").json()["count"] == 0
    assert client.get(f"/api/cash/cycles/{approved.reference}/").status_code == 404
    assert client.get(f"/api/cash/programmes/{programme.code}/").status_code == 404
    payment = approved.payments.first()
    assert client.get(f"/api/cash/payments/{payment.pk}/").status_code == 404


def test_roles_that_do_not_read_cash_see_nothing(client, approved, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul, username="cw.ist"))
    assert client.get("/api/cash/payments/").json()["count"] == 0
