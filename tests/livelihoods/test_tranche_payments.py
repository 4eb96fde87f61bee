"""A tranche paid through the cash part: approved by a second person (not who recorded the milestone), sent in the
provider's signed payment file, and paid when the provider's report (staged, checked row by row, all or nothing)
says so; a failed payment makes it due again. The recorded payment stays for programmes without cash."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from liman.core import crypto
from liman.core.models import ImportBatch, StateChange
from liman.core.staging import import_commit, import_stage, problem_report
from liman.livelihoods import services as grants

pytestmark = pytest.mark.django_db


def _report(office, text: str, by) -> ImportBatch:
    return import_stage(kind="grant_tranche_report", file=io.BytesIO(text.encode()), file_name="report.csv",
                        office=office, by=by)  # fmt: skip


def _history(tranche) -> list[str]:
    return list(StateChange.objects.filter(workflow="livelihoods.tranche.status", object_id=str(tranche.pk))
                .order_by("id").values_list("to_state", flat=True))  # fmt: skip


def test_a_tranche_is_paid_when_the_providers_report_says_so(client, istanbul, grant_people, agreement):
    officer, supervisor, approver = grant_people["officer"], grant_people["supervisor"], grant_people["approver"]
    first = agreement.tranches.get(number=1)
    today = timezone.localdate()
    grants.tranche_milestone_met(tranche=first, evidence="Oven invoice", met_on=today, by=supervisor)
    with pytest.raises(PermissionDenied, match="committee or a cash approver"):
        grants.tranche_payable(tranche=first, provider="ptt_csv", by=officer)
    with pytest.raises(PermissionDenied, match="second person"):
        grants.tranche_payable(tranche=first, provider="ptt_csv", by=supervisor)
    with pytest.raises(ValidationError, match="Unknown payment provider"):
        grants.tranche_payable(tranche=first, provider="carrier-pigeon", by=approver)
    second = agreement.tranches.get(number=2)
    grants.tranche_milestone_met(tranche=second, evidence="Contracts", met_on=today, by=officer)
    with pytest.raises(ValidationError, match="earlier tranches"):
        grants.tranche_payable(tranche=second, provider="ptt_csv", by=approver)
    client.force_login(approver)
    detail = reverse("livelihoods:grant-application-detail", args=[agreement.application.reference])
    client.post(reverse("livelihoods:grant-tranche-payable", args=[first.pk]), {"provider": "ptt_csv"})
    first.refresh_from_db()
    reference = f"{agreement.reference}-T1"
    assert (first.status, first.payment_status, first.payment_reference) == ("payable", "listed", reference)
    assert first.approved_by == approver
    with pytest.raises(ValidationError, match="once its milestone is met"):
        grants.tranche_pay(tranche=first, paid_on=today, payment_reference="EFT-1", by=approver)
    # The signed payment file, in the provider's format.
    response = client.post(reverse("livelihoods:grant-tranche-payment-file", args=[first.pk]))
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        data = archive.read(f"{reference}.csv")
        signature = archive.read(f"{reference}.csv.sig").decode().strip()
    assert data.startswith(b"REFERANS;AD_SOYAD") and f"{reference};Nour Haddad".encode() in data
    assert b"30000,00;TRY" in data and crypto.payment_verify(data, signature)
    assert "Cash payment" in client.get(detail).content.decode()
    # A report with problems changes nothing; the report as paid pays the tranche.
    bad = _report(istanbul, f"reference,amount,status,date,transaction_id\n{reference},29000,ödendi,{today},T1\n"
                            "AGR-NONE-T1,5,paid,2026-01-01,\n", approver)  # fmt: skip
    problems = " | ".join(message for _row, _column, message, _blocking in problem_report(bad))
    assert bad.state == ImportBatch.State.INVALID
    assert "29000 reported, 30000.00 approved" in problems and "AGR-NONE-T1 is not a grant payment" in problems
    first.refresh_from_db()
    assert first.status == "payable"
    good = _report(istanbul, f"reference,amount,status,date,transaction_id\n{reference},30000,ödendi,{today},PTT-9\n",
                   approver)  # fmt: skip
    assert good.state == ImportBatch.State.VALID
    import_commit(batch=good, by=approver)
    first.refresh_from_db()
    assert (first.status, first.payment_status, first.paid_on, first.transaction_id) == ("paid", "paid", today, "PTT-9")
    assert _history(first) == ["due", "payable", "paid"]
    page = client.get(detail).content.decode()
    assert "PTT-9" in page and "Paid" in page
    again = _report(istanbul, f"reference,amount,status,date,transaction_id\n{reference},30000,paid,{today},X\n",
                    approver)  # fmt: skip
    assert "not waiting for the provider" in " ".join(m for _r, _c, m, _b in problem_report(again))


def test_a_failed_payment_makes_the_tranche_due_again(istanbul, grant_people, agreement):
    officer, approver = grant_people["officer"], grant_people["approver"]
    first = agreement.tranches.get(number=1)
    today = timezone.localdate()
    grants.tranche_milestone_met(tranche=first, evidence="Oven invoice", met_on=today, by=officer)
    grants.tranche_payable(tranche=first, provider="generic_csv", by=approver)
    batch = _report(istanbul, f"reference,amount,status,date,transaction_id\n{first.payment_reference},30000.00,"
                              "failed,,\n", approver)  # fmt: skip
    import_commit(batch=batch, by=approver)
    first.refresh_from_db()
    assert (first.status, first.payment_status) == ("due", "failed")
    assert StateChange.objects.filter(object_id=str(first.pk), to_state="due").last().reason.startswith(
        "The provider reported it")  # fmt: skip
    with pytest.raises(ValidationError, match="its report records the payment"):
        grants.tranche_pay(tranche=first, paid_on=today, payment_reference="EFT-1", by=approver)
    grants.tranche_payable(tranche=first, provider="generic_csv", by=approver)  # sent again, by the same approver
    first.refresh_from_db()
    assert first.status == "payable" and _history(first) == ["due", "payable", "due", "payable"]


def test_outside_the_office_the_payment_routes_are_not_found(client, izmir, grant_people, agreement):
    from liman.core.choices import Role
    from tests.factories import staff

    first = agreement.tranches.get(number=1)
    client.force_login(staff(Role.CASH_APPROVER, izmir, username="ca.izm"))
    assert (
        client.post(reverse("livelihoods:grant-tranche-payable", args=[first.pk]), {"provider": "ptt_csv"}).status_code
        == 404
    )
    assert client.post(reverse("livelihoods:grant-tranche-payment-file", args=[first.pk])).status_code == 404


def test_a_registered_owner_who_withdrew_consent_to_share_is_not_sent_to_the_provider(
    istanbul, grant_people, agreement
):
    """Consent everywhere: the withdrawal stops the sharing it covered, until the consent is recorded again."""
    from liman.registry import services as registry
    from liman.registry.choices import ConsentPurpose
    from liman.registry.consent import consent_for

    approver, supervisor = grant_people["approver"], grant_people["supervisor"]
    owner = registry.person_register(
        office=istanbul, by=None,
        data=registry.PersonInput(first_name="Nour", family_name="Haddad", sex="F", nationality="SYR"),
    )  # fmt: skip
    application = agreement.application
    application.owner = owner
    application.save(update_fields=["owner"])
    sharing = ConsentPurpose.SHARING_PAYMENT_PROVIDER
    registry.consent_record(person=owner, purpose=sharing, legal_basis="consent", by=approver)
    first = agreement.tranches.get(number=1)
    grants.tranche_milestone_met(tranche=first, evidence="Oven invoice", met_on=timezone.localdate(), by=supervisor)
    registry.consent_withdraw(consent=consent_for(owner, sharing), by=approver)
    with pytest.raises(ValidationError, match="withdrew their consent to share with the payment provider"):
        grants.tranche_payable(tranche=first, provider="ptt_csv", by=approver)
    registry.consent_record(person=owner, purpose=sharing, legal_basis="consent", by=approver)
    grants.tranche_payable(tranche=first, provider="ptt_csv", by=approver)
    registry.consent_withdraw(consent=consent_for(owner, sharing), by=approver)
    with pytest.raises(ValidationError, match="withdrew their consent to share with the payment provider"):
        grants.tranche_payment_file(tranche=first, by=approver)
    first.refresh_from_db()
    assert first.status == "payable"
