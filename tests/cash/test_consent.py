"""Consent to share with the payment provider: the provider's file names each head (name, foreigner ID, phone), so a
household is on it only while its head's consent for that purpose is in force. Held back at verification (put
back once the consent is recorded), held back from the file when withdrawn after approval, never released by
hand, read in bulk."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liman.cash import services
from liman.cash.choices import CycleState, PaymentStatus
from liman.cash.importers import ProviderReportImporter
from liman.core.models import AuditEvent, StateChange
from liman.core.staging import StagedValues
from liman.registry import services as registry
from liman.registry.choices import ConsentPurpose
from liman.registry.consent import consent_for
from tests.cash.conftest import family

pytestmark = pytest.mark.django_db


@pytest.fixture
def households(istanbul):
    return {
        "amira": family(istanbul, "Amira", "Haddad", 5, foreigner_id="99123456780", phone="+905321110001",
                        born=datetime.date(1979, 6, 2)),
        "layla": family(istanbul, "Layla", "Nouri", 2, nationality="AFG", phone="+905321110002",
                        born=datetime.date(1988, 1, 23)),
        # Enrolled, but she did not agree to have her details given to the bank.
        "huda": family(istanbul, "Huda", "Barakat", 3, phone="+905321110003", born=datetime.date(1993, 10, 7),
                       shares_with_provider=False),
    }  # fmt: skip


@pytest.fixture
def cycle(programme, istanbul, officer, households):
    run = services.targeting_run(programme=programme, office=istanbul, by=officer)
    services.enrol(run=run, by=officer)
    return services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)


def _file_references(data: bytes) -> set[str]:
    return {row["reference"] for row in csv.DictReader(io.StringIO(data.decode("utf-8")))}


def _withdraw(household, by):
    consent = consent_for(household.head_id, ConsentPurpose.SHARING_PAYMENT_PROVIDER)
    registry.consent_withdraw(consent=consent, by=by)


def test_verification_holds_back_a_household_without_consent_and_puts_it_back_once_given(
    cycle, officer, approver, households
):
    outcome = services.cycle_verify(cycle=cycle, by=officer)
    assert outcome == {"checked": 3, "held": 0, "no_consent": 1}
    huda = cycle.payments.get(household=households["huda"])
    assert huda.status == PaymentStatus.NO_CONSENT
    assert huda.hold_reason.startswith("No consent to share with the payment provider")
    cycle.refresh_from_db()
    assert cycle.households == 2 and cycle.total == sum(p.amount for p in cycle.payments.exclude(pk=huda.pk))
    event = AuditEvent.objects.get(object_type="cash.payment", object_id=str(huda.pk), action="update")
    assert event.changes["status"] == [PaymentStatus.LISTED, PaymentStatus.NO_CONSENT]
    assert StateChange.objects.filter(object_id=str(huda.pk), to_state=PaymentStatus.NO_CONSENT).exists()

    # Not released by hand: the consent is what puts it back.
    with pytest.raises(ValidationError, match="record the head's consent"):
        services.payment_release(payment=huda, by=officer, reason="she agreed on the phone")

    registry.consent_record(
        person=households["huda"].head, purpose=ConsentPurpose.SHARING_PAYMENT_PROVIDER, legal_basis="consent",
        by=officer,
    )  # fmt: skip
    services.cycle_send_back(cycle=cycle, by=officer, reason="Huda's consent recorded")
    assert services.cycle_verify(cycle=cycle, by=officer)["no_consent"] == 0
    huda.refresh_from_db()
    assert huda.status == PaymentStatus.LISTED and huda.hold_reason == "", huda.hold_reason
    services.cycle_approve(cycle=cycle, by=approver)
    data, _signature = services.cycle_export(cycle=cycle, by=officer)
    assert _file_references(data) == {home.reference for home in households.values()}


def test_a_household_held_back_is_not_approved_nor_in_the_file(cycle, officer, approver, households):
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    huda = cycle.payments.get(household=households["huda"])
    assert huda.snapshot == ""  # nothing of hers sealed for the provider
    data, _signature = services.cycle_export(cycle=cycle, by=officer)
    assert _file_references(data) == {households["amira"].reference, households["layla"].reference}
    assert b"Barakat" not in data


def test_a_consent_withdrawn_after_approval_holds_the_household_back_from_the_file(
    cycle, officer, approver, households
):
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    _withdraw(households["layla"], officer)

    data, _signature = services.cycle_export(cycle=cycle, by=officer)
    assert _file_references(data) == {households["amira"].reference}
    assert b"Nouri" not in data and b"+905321110002" not in data
    cycle.refresh_from_db()
    assert cycle.state == CycleState.SENT and cycle.households == 1
    layla = cycle.payments.get(household=households["layla"])
    assert layla.status == PaymentStatus.NO_CONSENT and "withdrawn after approval" in layla.hold_reason
    # The list as approved still hashes as it did: held back is not changed behind the approval.
    assert [line["reference"] for line in services.cycle_check_frozen(cycle)] == [households["amira"].reference]
    export = AuditEvent.objects.filter(object_type="cash.paymentcycle", action="export").get()
    assert export.changes == {"households": [None, "1"], "held_back": [None, "1"]}

    # A report naming her is refused: she was never sent; the rest reconciles to what was sent.
    importer = ProviderReportImporter(office=cycle.office)
    importer.declared = {"cycle": cycle.reference}
    rows = [
        StagedValues(row=1, values={"reference": households["amira"].reference, "amount": "19000.00",
                                    "status": "paid", "date": "2026-12-01", "transaction_id": "TX1"}),
        StagedValues(row=2, values={"reference": households["layla"].reference, "amount": "13000.00",
                                    "status": "paid", "date": "2026-12-01", "transaction_id": "TX2"}),
    ]  # fmt: skip
    problems = importer.check_batch(rows)
    assert [(problem.row, problem.column) for problem in problems] == [(2, "reference")]
    assert "is not on the list" in problems[0].message
    services.reconcile_rows(cycle=cycle, rows=[rows[0].values], by=officer)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.RECONCILED


def test_once_sent_a_download_writes_the_same_file(cycle, officer, approver, households):
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    first, signature = services.cycle_export(cycle=cycle, by=officer)
    _withdraw(households["amira"], officer)  # the provider holds the file already: the next cycle leaves her out
    assert services.cycle_export(cycle=cycle, by=officer) == (first, signature)
    assert cycle.payments.get(household=households["amira"]).status == PaymentStatus.LISTED


def test_no_file_when_nobody_on_the_list_consents(cycle, officer, approver, households):
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    for key in ("amira", "layla"):
        _withdraw(households[key], officer)
    with pytest.raises(ValidationError, match="no file to send"):
        services.cycle_export(cycle=cycle, by=officer)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.APPROVED and cycle.sent_at is None
    assert set(cycle.payments.values_list("status", flat=True)) == {PaymentStatus.NO_CONSENT}
    assert not AuditEvent.objects.filter(object_type="cash.paymentcycle", action="export").exists()


def test_the_consent_check_costs_the_same_queries_for_any_number_of_households(
    programme, istanbul, officer, households
):
    def check_queries() -> int:
        run = services.targeting_run(programme=programme, office=istanbul, by=officer)
        services.enrol(run=run, by=officer)
        cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
        with CaptureQueriesContext(connection) as queries:
            services._consent_to_share(cycle, by=officer, reason="test", put_back=True)
        return len(queries)

    check_queries()  # once first: what is read once per process (content types) is read
    few = check_queries()
    for number in range(6):
        family(istanbul, f"Head{number}", "Khoury", 2, born=datetime.date(1970 + number, 2, 1 + number),
               shares_with_provider=number % 2 == 0)  # fmt: skip
    assert check_queries() == few


def test_the_cycle_page_lists_the_households_held_back_and_why(client, cycle, officer, households):
    client.force_login(officer)
    response = client.post(reverse("cash:cash-cycle-verify", args=[cycle.pk]), follow=True)
    shown = [str(message) for message in response.context["messages"]]
    assert any("1 held back: no consent to share with the payment provider" in text for text in shown)
    page = response.content.decode()
    row = page.split(f'data-household="{households["huda"].reference}"')[1].split("</tr>")[0]
    assert 'data-status="no_consent"' in page and "No consent to share with the payment provider" in row
    assert "Release" not in row
    listed = client.get(reverse("cash:cash-cycle-detail", args=[cycle.pk]), {"status": "no_consent"}).content.decode()
    assert households["huda"].reference in listed and households["amira"].reference not in listed
