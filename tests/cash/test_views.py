"""The cash pages: programmes and their rules, targeting in the background, enrolment, a payment cycle from draft
to closed (partner file, four eyes, the signed zip, the provider's report through staging), the check of a payment
file; another office's records answer 404."""

from __future__ import annotations

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from liman.cash import services
from liman.cash.choices import CycleState, PaymentStatus
from liman.cash.models import CashProgramme, Enrolment, PaymentCycle, RuleVersion, TargetingRun
from liman.cash.tasks import targeting_run_task
from liman.core.choices import Role
from liman.core.models import ImportBatch, TaskProgress
from tests.cash.conftest import ELIGIBILITY, VALUE, family
from tests.factories import OfficeFactory, staff

pytestmark = pytest.mark.django_db

PARTNER_HEADER = (
    "record_id,first_name,father_name,family_name,sex,birth_date,nationality,phone,foreigner_id,household_id"
)


@pytest.fixture
def households(istanbul):
    return {
        "amira": family(istanbul, "Amira", "Haddad", 5, foreigner_id="99123456780", phone="+905321110001"),
        "layla": family(istanbul, "Layla", "Nouri", 2, nationality="AFG", phone="+905321110002"),
        "omar": family(istanbul, "Omar", "Saleh", 1),
        "zainab": family(istanbul, "Zainab", "Kareem", 4, nationality="IRQ"),
    }


@pytest.fixture
def enrolled(programme, istanbul, officer, households):
    run = services.targeting_run(programme=programme, office=istanbul, by=officer)
    services.enrol(run=run, by=officer)
    return run


@pytest.fixture
def cycle(programme, istanbul, officer, enrolled):
    return services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)


@pytest.fixture
def outsider(db):
    """Every cash role, in another office."""
    other = OfficeFactory(code="IZM", name="Izmir Field Office")
    user = staff(Role.PROGRAMME_OFFICER, other, username="po.izm")
    from tests.factories import grant

    grant(user, Role.CASH_APPROVER, other)
    grant(user, Role.SUPERVISOR, other)
    return user


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- programmes and rules -----------------------------------------------------------------------------------


def test_a_programme_is_created_on_its_page_and_shows_its_rules_in_words(client, officer, istanbul):
    client.force_login(officer)
    assert client.get(reverse("cash:cash-programme-create")).status_code == 200
    response = client.post(
        reverse("cash:cash-programme-create"),
        {"code": "mpc-t", "name": "Test cash", "offices": [istanbul.pk], "currency": "try",
         "eligibility": ELIGIBILITY, "transfer_value": VALUE},
    )  # fmt: skip
    programme = CashProgramme.objects.get(code="MPC-T")
    assert response.status_code == 302 and response["Location"] == reverse(
        "cash:cash-programme-detail", args=[programme.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "the head holds a legal status in force" in page and "household size is at least 2" in page
    assert escape(ELIGIBILITY) in page
    assert "Rules in force (version 1)" in page


def test_a_bad_rule_is_shown_at_its_field_and_nothing_is_saved(client, officer, programme):
    client.force_login(officer)
    response = client.post(
        reverse("cash:cash-rules-add", args=[programme.pk]),
        {"eligibility": "household_size >= 2 and income < 100", "transfer_value": VALUE, "note": "income test"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "“income” is not a fact a rule can read" in errors["eligibility"][0]
    assert "transfer_value" not in errors
    assert RuleVersion.objects.filter(programme=programme).count() == 1
    page = response.content.decode()
    assert page.index("is not a fact a rule can read") > page.index('name="eligibility"')


def test_a_new_rule_version_is_added_and_the_history_kept(client, officer, programme):
    client.force_login(officer)
    response = client.post(
        reverse("cash:cash-rules-add", args=[programme.pk]),
        {"eligibility": ELIGIBILITY, "transfer_value": "15000", "note": "flat rate"},
    )
    assert response.status_code == 302
    assert list(programme.rule_versions.values_list("number", "transfer_value")) == [(2, "15000"), (1, VALUE)]
    page = client.get(reverse("cash:cash-programme-detail", args=[programme.pk])).content.decode()
    assert "Rules in force (version 2)" in page and "flat rate" in page and "v1" in page


def test_only_cash_roles_see_the_pages_and_only_preparers_write(client, istanbul, programme):
    caseworker = staff(Role.CASEWORKER, istanbul, username="cw.ist")
    client.force_login(caseworker)
    assert client.get(reverse("cash:cash-programme-list")).status_code == 404
    assert client.get(reverse("cash:cash-programme-detail", args=[programme.pk])).status_code == 404
    approver = staff(Role.CASH_APPROVER, istanbul, username="ca.ist")
    client.force_login(approver)
    assert client.get(reverse("cash:cash-programme-list")).status_code == 200
    assert client.get(reverse("cash:cash-programme-detail", args=[programme.pk])).status_code == 200
    assert client.get(reverse("cash:cash-rules-add", args=[programme.pk])).status_code == 404
    assert client.get(reverse("cash:cash-programme-create")).status_code == 404


# --- targeting and enrolment --------------------------------------------------------------------------------


def test_targeting_runs_in_the_background_and_its_page_lists_the_reasons(client, officer, programme, istanbul,
                                                                         households):  # fmt: skip
    client.force_login(officer)
    response = client.post(reverse("cash:cash-targeting-start", args=[programme.pk]), {"office": istanbul.pk})
    run = TargetingRun.objects.get()
    assert response["Location"] == reverse("cash:cash-run-detail", args=[run.pk])
    assert run.progress.state == "queued" and run.finished_at is None
    waiting = client.get(response["Location"])
    assert waiting.status_code == 200 and b"hx-get" in waiting.content and b"<progress" in waiting.content

    targeting_run_task.call(run.pk)
    run.refresh_from_db()
    assert run.households == 4 and run.eligible == 2
    assert TaskProgress.objects.get(pk=run.progress_id).state == "succeeded"
    poll = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"

    page = client.get(response["Location"] + "?eligible=no").content.decode()
    assert households["omar"].reference in page and households["amira"].reference not in page
    assert "household size is at least 2" in page and "not met" in page
    everyone = client.get(response["Location"]).content.decode()
    assert everyone.index(households["amira"].reference) < everyone.index(households["omar"].reference)


def test_the_eligible_households_ticked_are_enrolled(client, officer, programme, istanbul, households):
    run = services.targeting_run(programme=programme, office=istanbul, by=officer)
    client.force_login(officer)
    layla, omar = households["layla"], households["omar"]
    response = client.post(
        reverse("cash:cash-run-enrol", args=[run.pk]), {"scope": "selected", "households": [layla.pk, omar.pk]}
    )
    assert response.status_code == 302
    # Omar's household is not eligible: ticking it (past the page) enrols nothing.
    assert list(Enrolment.objects.values_list("household_id", flat=True)) == [layla.pk]
    client.post(reverse("cash:cash-run-enrol", args=[run.pk]), {"scope": "all"})
    assert Enrolment.objects.count() == 2


def test_another_offices_programme_run_and_cycle_answer_404(client, outsider, programme, enrolled, cycle):
    client.force_login(outsider)
    for url in (
        reverse("cash:cash-programme-detail", args=[programme.pk]),
        reverse("cash:cash-rules-add", args=[programme.pk]),
        reverse("cash:cash-run-detail", args=[enrolled.pk]),
        reverse("cash:cash-cycle-detail", args=[cycle.pk]),
        reverse("cash:cash-cycle-report", args=[cycle.pk]),
    ):
        assert client.get(url).status_code == 404, url
    payment = cycle.payments.first()
    for url in (
        reverse("cash:cash-targeting-start", args=[programme.pk]),
        reverse("cash:cash-run-enrol", args=[enrolled.pk]),
        reverse("cash:cash-cycle-verify", args=[cycle.pk]),
        reverse("cash:cash-cycle-approve", args=[cycle.pk]),
        reverse("cash:cash-cycle-payment-file", args=[cycle.pk]),
        reverse("cash:cash-cycle-close", args=[cycle.pk]),
        reverse("cash:cash-payment-release", args=[cycle.pk, payment.pk]),
    ):
        assert client.post(url, {"office": 1, "scope": "all", "reason": "x"}).status_code == 404, url
    listed = client.get(reverse("cash:cash-cycle-list")).content.decode()
    assert cycle.reference not in listed
    cycle.refresh_from_db()
    assert cycle.state == CycleState.DRAFT


# --- a payment cycle ----------------------------------------------------------------------------------------


def test_a_cycle_is_prepared_on_its_page(client, officer, programme, enrolled, istanbul):
    client.force_login(officer)
    form = client.get(reverse("cash:cash-cycle-create") + f"?programme={programme.pk}")
    assert form.status_code == 200 and b"PTT bulk payment" in form.content
    response = client.post(
        reverse("cash:cash-cycle-create"), {"programme": programme.pk, "office": istanbul.pk, "provider": "ptt_csv"}
    )
    cycle = PaymentCycle.objects.get()
    assert response["Location"] == reverse("cash:cash-cycle-detail", args=[cycle.pk])
    assert cycle.prepared_by == officer and cycle.provider == "ptt_csv" and cycle.payments.count() == 2
    listed = client.get(reverse("cash:cash-cycle-list") + "?state=draft").content.decode()
    assert cycle.reference in listed
    assert cycle.reference not in client.get(reverse("cash:cash-cycle-list") + "?state=closed").content.decode()


def partner_file(rows: list[str], name: str = "partner.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([PARTNER_HEADER, *rows]) + "\n").encode(), content_type="text/csv")


def test_a_partners_file_holds_its_overlaps_at_verification(client, officer, cycle, households):
    client.force_login(officer)
    upload = partner_file(
        ["P-1,Layla,Ahmad,Nuri,F,1985-03-14,AFG,+905321110002,,PH-1", "P-2,Hamza,Ali,Kurt,M,1970,SYR,,,PH-2"]
    )
    response = client.post(
        reverse("cash:cash-cycle-verify", args=[cycle.pk]), {"partner_name": "Partner NGO", "partner_file": upload}
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.state == CycleState.VERIFIED
    held = cycle.payments.get(status=PaymentStatus.HELD)
    assert held.household == households["layla"] and "Partner NGO's beneficiary list as record P-1" in held.hold_reason
    page = client.get(reverse("cash:cash-cycle-detail", args=[cycle.pk])).content.decode()
    assert "Partner NGO&#x27;s beneficiary list as record P-1" in page
    assert 'name="reason"' in page and "Release" in page


def test_a_partner_file_with_a_bad_column_is_refused_with_its_row_and_column(client, officer, cycle):
    client.force_login(officer)
    upload = partner_file(["P-1,Layla,Ahmad,Nuri,F,14/03/1985,AFG,,,PH-1", "P-2,Hamza,Ali,Kurt,X,1970,SY,,,PH-2"])
    response = client.post(
        reverse("cash:cash-cycle-verify", args=[cycle.pk]),
        {"partner_name": "Partner NGO", "partner_file": upload},
        follow=True,
    )
    shown = messages_of(response)
    assert any("partner.csv was refused" in text for text in shown)
    assert "Row 2, birth_date “14/03/1985”: must be YYYY-MM-DD, or YYYY when only the year is known." in shown
    assert "Row 3, sex “X”: must be M or F." in shown
    assert "Row 3, nationality “SY”: must be a three-letter ISO 3166 code such as SYR." in shown
    cycle.refresh_from_db()
    assert cycle.state == CycleState.DRAFT


def test_a_partner_file_missing_a_column_is_refused(client, officer, cycle):
    client.force_login(officer)
    upload = SimpleUploadedFile("partner.csv", b"record_id,first_name,family_name\nP-1,Layla,Nuri\n")
    response = client.post(
        reverse("cash:cash-cycle-verify", args=[cycle.pk]), {"partner_name": "NGO", "partner_file": upload}, follow=True
    )
    assert any(
        text.startswith("Row 1: missing columns: father_name, sex, birth_date") for text in messages_of(response)
    )
    cycle.refresh_from_db()
    assert cycle.state == CycleState.DRAFT


def test_a_partner_workbook_is_read_too(client, officer, cycle, households):
    workbook = openpyxl.Workbook()
    workbook.active.append(PARTNER_HEADER.split(","))
    workbook.active.append(["P-9", "Amira", "Ahmad", "Haddad", "F", "1985-03-14", "SYR", "+905321110001",
                            "99123456780", "PH-9"])  # fmt: skip
    content = io.BytesIO()
    workbook.save(content)
    client.force_login(officer)
    client.post(
        reverse("cash:cash-cycle-verify", args=[cycle.pk]),
        {"partner_name": "Municipality", "partner_file": SimpleUploadedFile("list.xlsx", content.getvalue())},
    )
    held = cycle.payments.get(status=PaymentStatus.HELD)
    assert held.household == households["amira"] and "record P-9" in held.hold_reason


def test_a_held_payment_is_released_with_a_reason_and_the_list_goes_back_to_draft(client, officer, cycle):
    services.cycle_verify(
        cycle=cycle,
        by=officer,
        partner_records=[{"record_id": "P-1", "first_name": "Layla", "father_name": "Ahmad", "family_name": "Nouri",
                          "sex": "F", "birth_date": "1985-03-14", "nationality": "AFG", "phone": "+905321110002",
                          "foreigner_id": "", "household_id": "PH-1"}],
        partner_name="NGO",
    )  # fmt: skip
    held = cycle.payments.get(status=PaymentStatus.HELD)
    client.force_login(officer)
    url = reverse("cash:cash-payment-release", args=[cycle.pk, held.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Say why this is not a duplicate." in messages_of(response)
    client.post(url, {"reason": "Checked with the NGO: another Layla"})
    held.refresh_from_db()
    cycle.refresh_from_db()
    assert held.status == PaymentStatus.LISTED and cycle.state == CycleState.DRAFT


def test_the_preparer_is_not_offered_the_approval_and_a_forced_one_is_refused(client, istanbul, programme, enrolled):
    # The preparer also holds the approver's role: the four-eyes rule, not the role, stops them.
    both = staff(Role.PROGRAMME_OFFICER, istanbul, username="both.ist")
    from tests.factories import grant

    grant(both, Role.CASH_APPROVER, istanbul)
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=both)
    services.cycle_verify(cycle=cycle, by=both)
    client.force_login(both)
    page = client.get(reverse("cash:cash-cycle-detail", args=[cycle.pk])).content.decode()
    assert reverse("cash:cash-cycle-approve", args=[cycle.pk]) not in page
    assert "You prepared this list: a second person approves it." in page
    response = client.post(reverse("cash:cash-cycle-approve", args=[cycle.pk]), follow=True)
    assert "You prepared this list: a second person approves it." in messages_of(response)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.VERIFIED and cycle.approved_by is None and not cycle.list_hash


def test_a_cycle_from_draft_to_closed_through_the_pages(client, officer, approver, cycle, households, tmp_path):
    client.force_login(officer)
    detail = reverse("cash:cash-cycle-detail", args=[cycle.pk])
    client.post(reverse("cash:cash-cycle-verify", args=[cycle.pk]), {"partner_name": ""})
    cycle.refresh_from_db()
    assert cycle.state == CycleState.VERIFIED

    client.force_login(approver)
    page = client.get(detail).content.decode()
    assert reverse("cash:cash-cycle-approve", args=[cycle.pk]) in page
    assert reverse("cash:cash-cycle-payment-file", args=[cycle.pk]) not in page  # the approver does not export
    client.post(reverse("cash:cash-cycle-approve", args=[cycle.pk]))
    cycle.refresh_from_db()
    assert cycle.state == CycleState.APPROVED and cycle.approved_by == approver

    client.force_login(officer)
    assert client.get(reverse("cash:cash-cycle-payment-file", args=[cycle.pk])).status_code == 405
    response = client.post(reverse("cash:cash-cycle-payment-file", args=[cycle.pk]))
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{cycle.reference}-payment-file.zip"' in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == [f"{cycle.reference}.csv", f"{cycle.reference}.csv.sig"]
        data, signature = archive.read(f"{cycle.reference}.csv"), archive.read(f"{cycle.reference}.csv.sig")
    assert households["amira"].reference in data.decode()
    cycle.refresh_from_db()
    assert cycle.state == CycleState.SENT

    # The file checks as signed; one amount edited, it does not.
    check = reverse("cash:cash-check-file")
    valid = client.post(check, {"file": SimpleUploadedFile("f.csv", data), "signature_text": signature.decode()})
    assert valid.context["outcome"]["valid"] and b"signature valid" in valid.content
    tampered = data.replace(b"19000.00", b"91000.00")
    assert tampered != data
    refused = client.post(
        check, {"file": SimpleUploadedFile("f.csv", tampered), "signature": SimpleUploadedFile("f.csv.sig", signature)}
    )
    assert not refused.context["outcome"]["valid"] and b"is NOT as Liman signed it" in refused.content

    # The provider's report, staged and checked on the staging page, then committed there.
    amira, layla = households["amira"].reference, households["layla"].reference
    report = (
        "reference,amount,status,date,transaction_id\n"
        f"{amira},19000.00,paid,2026-12-01,T1\n{layla},13000.00,failed,,\nTOTAL,32000.00,,,\n"
    )
    assert client.get(reverse("cash:cash-cycle-report", args=[cycle.pk])).status_code == 200
    response = client.post(
        reverse("cash:cash-cycle-report", args=[cycle.pk]), {"file": SimpleUploadedFile("report.csv", report.encode())}
    )
    batch = ImportBatch.objects.get(kind="cash_provider_report")
    assert response["Location"] == reverse("core:import-detail", args=[batch.pk])
    assert batch.state == ImportBatch.State.VALID and batch.result["declared"] == {"cycle": cycle.reference}
    assert "report.csv" in client.get(detail).content.decode()
    client.post(reverse("core:import-commit", args=[batch.pk]))
    cycle.refresh_from_db()
    assert cycle.state == CycleState.RECONCILED
    page = client.get(detail)
    assert page.context["summary"]["adds_up"] and "the list total" in page.content.decode()
    assert page.context["summary"]["reported"][1] == cycle.total

    client.post(reverse("cash:cash-cycle-close", args=[cycle.pk]))
    cycle.refresh_from_db()
    assert cycle.state == CycleState.CLOSED


def test_a_provider_report_with_problems_is_refused_row_by_row(client, officer, approver, cycle, households):
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    services.cycle_export(cycle=cycle, by=officer)
    client.force_login(officer)
    amira = households["amira"].reference
    report = f"reference,amount,status,date,transaction_id\n{amira},19500.00,paid,2026-12-01,T1\nXX-1,5.00,paid,,\n"
    client.post(
        reverse("cash:cash-cycle-report", args=[cycle.pk]), {"file": SimpleUploadedFile("bad.csv", report.encode())}
    )
    batch = ImportBatch.objects.get(kind="cash_provider_report")
    assert batch.state == ImportBatch.State.INVALID
    page = client.get(reverse("core:import-detail", args=[batch.pk])).content.decode()
    assert "19500.00 reported, 19000.00 on the approved list" in page
    assert "XX-1 is not on the list" in page
    cycle.refresh_from_db()
    assert cycle.state == CycleState.SENT and not cycle.payments.filter(status=PaymentStatus.PAID).exists()


def test_a_report_is_not_taken_for_a_cycle_not_sent(client, officer, cycle):
    client.force_login(officer)
    response = client.post(
        reverse("cash:cash-cycle-report", args=[cycle.pk]), {"file": SimpleUploadedFile("r.csv", b"reference,amount\n")}
    )
    assert response.status_code == 200 and "is not waiting for a provider report" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_approver_sends_a_list_back_with_a_reason(client, officer, approver, cycle):
    services.cycle_verify(cycle=cycle, by=officer)
    client.force_login(approver)
    url = reverse("cash:cash-cycle-send-back", args=[cycle.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Say why the list goes back to draft." in messages_of(response)
    client.post(url, {"reason": "Two households share a phone: check them"})
    cycle.refresh_from_db()
    assert cycle.state == CycleState.DRAFT


def test_the_payment_list_pages_and_filters(client, officer, cycle, households):
    client.force_login(officer)
    detail = reverse("cash:cash-cycle-detail", args=[cycle.pk])
    page = client.get(detail + f"?q={households['layla'].reference}").content.decode()
    assert households["layla"].reference in page and households["amira"].reference not in page
    assert client.get(detail + "?status=paid").context["page"].paginator.count == 0
    assert client.get(detail + "?status=nonsense").context["page"].paginator.count == 2


def test_the_check_page_asks_for_the_signature(client, officer):
    client.force_login(officer)
    response = client.post(reverse("cash:cash-check-file"), {"file": SimpleUploadedFile("f.csv", b"a,b\n")})
    assert "Give the signature" in response.content.decode() and response.context["outcome"] is None
    assert b"BEGIN PUBLIC KEY" in client.get(reverse("cash:cash-check-file")).content


def test_the_navigation_shows_cash_to_cash_roles_only(client, officer, istanbul):
    client.force_login(officer)
    assert b'data-nav="cash"' in client.get(reverse("core:home")).content
    client.force_login(staff(Role.CASEWORKER, istanbul, username="cw.ist"))
    assert b'data-nav="cash"' not in client.get(reverse("core:home")).content


def test_the_cycle_and_run_pages_cost_the_same_few_queries(client, officer, programme, istanbul,
                                                          django_assert_max_num_queries):  # fmt: skip
    for number in range(30):
        family(istanbul, f"Head{number}", f"Family{number}", 2 + number % 3, born=datetime.date(1950 + number, 2, 3))
    run = services.targeting_run(programme=programme, office=istanbul, by=officer)
    services.enrol(run=run, by=officer)
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    client.force_login(officer)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("cash:cash-cycle-detail", args=[cycle.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("cash:cash-run-detail", args=[run.pk])).status_code == 200
