"""Post-distribution monitoring: a reproducible sample of a paid cycle (stratified by district), the shipped XLSForm
`liman_cash_pdm` served over OpenRosa and answered from ODK Collect, the answers on the household's visit, and the
cycle's monitoring summary under the minimum cell rule."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from liman.cash import pdm, services
from liman.cash.choices import CycleState, PaymentStatus, PdmProblem, PdmReceived, PdmSpending, YesNo
from liman.cash.models import PdmVisit
from liman.core.models import AdminArea
from liman.dtm import form_check, targets
from liman.dtm import services as dtm
from liman.dtm.choices import FormTarget, SubmissionState
from liman.dtm.models import Submission
from liman.dtm.xlsform import convert_xlsform
from liman.registry.models import Household
from tests.cash.conftest import family
from tests.dtm.conftest import FIELD_PASSWORD, basic, post_instance

pytestmark = pytest.mark.django_db

FORM_FILE = Path(__file__).resolve().parents[2] / "liman" / "dtm" / "data" / "forms" / "liman_cash_pdm.xlsx"


# --- the draw, on its own ------------------------------------------------------------------------------------


def test_the_allocation_is_proportional_and_adds_up():
    assert pdm.allocate({"A": 50, "B": 30, "C": 20}, 10) == {"A": 5, "B": 3, "C": 2}
    assert pdm.allocate({"A": 5, "B": 3, "C": 2}, 4) == {"A": 2, "B": 1, "C": 1}
    assert sum(pdm.allocate({"A": 7, "B": 7, "C": 7}, 5).values()) == 5
    assert pdm.allocate({"A": 1, "B": 99}, 100) == {"A": 1, "B": 99}


def test_the_draw_is_reproducible_and_stratified():
    paid = [(pk, "D1" if pk <= 600 else "D2" if pk <= 900 else "D3") for pk in range(1, 1001)]

    first = pdm.draw(paid, 50, 1234, stratified=True)
    again = pdm.draw(list(reversed(paid)), 50, 1234, stratified=True)
    other = pdm.draw(paid, 50, 4321, stratified=True)

    assert first == again and first != other
    assert Counter(district for _pk, district in first) == {"D1": 30, "D2": 15, "D3": 5}
    assert len({pk for pk, _d in first}) == 50
    plain = pdm.draw(paid, 50, 1234, stratified=False)
    assert len(plain) == 50 and plain == pdm.draw(paid, 50, 1234, stratified=False)


# --- a paid cycle ----------------------------------------------------------------------------------------------


@pytest.fixture
def paid_cycle(programme, istanbul, officer, approver):
    districts = list(AdminArea.objects.filter(level=2, parent__pcode="TUR034").order_by("pcode")[:2])
    people = [("Amira", "Haddad"), ("Layla", "Nouri"), ("Huda", "Saleh"), ("Rania", "Darwish"), ("Salma", "Aziz")]
    for number, (first, last) in enumerate(people):
        born = datetime.date(1975 + 3 * number, 1 + number, 3 + 5 * number)
        household = family(istanbul, first, last, 3, phone=f"+90532{number}{number}1{number:04d}", born=born)
        Household.objects.filter(pk=household.pk).update(district=districts[number % 2])
    run = services.targeting_run(programme=programme, office=istanbul, by=officer)
    services.enrol(run=run, by=officer)
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)
    services.cycle_export(cycle=cycle, by=officer)
    payments = list(cycle.payments.select_related("household").order_by("household__reference"))
    assert len(payments) == 5 and not any(p.status == PaymentStatus.HELD for p in payments)
    rows = [
        {"reference": p.household.reference, "amount": str(p.amount), "status": "paid", "date": "2026-12-01",
         "transaction_id": f"T{n}"}
        for n, p in enumerate(payments[:-1])
    ]  # fmt: skip
    rows.append({"reference": payments[-1].household.reference, "amount": str(payments[-1].amount), "status": "failed"})
    services.reconcile_rows(cycle=cycle, rows=rows, by=officer)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.RECONCILED
    return cycle


def test_a_sample_is_drawn_among_the_households_paid_once(paid_cycle, officer, approver):
    with pytest.raises(PermissionDenied):
        pdm.pdm_sample_draw(cycle=paid_cycle, size=2, by=approver)
    with pytest.raises(ValidationError, match="from 1 to 4 households"):
        pdm.pdm_sample_draw(cycle=paid_cycle, size=5, by=officer)

    sample = pdm.pdm_sample_draw(cycle=paid_cycle, size=4, seed=7, by=officer)

    visits = list(sample.visits.select_related("payment"))
    assert sample.paid == 4 and len(visits) == 4
    assert {visit.payment.status for visit in visits} == {PaymentStatus.PAID}  # the failed payment is not asked
    assert all(visit.stratum.startswith("TUR034") for visit in visits)
    with pytest.raises(ValidationError, match="has its monitoring sample already"):
        pdm.pdm_sample_draw(cycle=paid_cycle, size=1, by=officer)


def test_a_cycle_not_paid_yet_has_no_sample(programme, istanbul, officer):
    family(istanbul, "Amira", "Haddad", 3)
    run = services.targeting_run(programme=programme, office=istanbul, by=officer)
    services.enrol(run=run, by=officer)
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    with pytest.raises(ValidationError, match="no payments reported yet"):
        pdm.pdm_sample_draw(cycle=cycle, size=1, by=officer)


# --- the shipped form ------------------------------------------------------------------------------------------


@pytest.fixture
def java():
    """JavaRosa can run here: skip otherwise, or fail when LIMAN_REQUIRE_JAVA says Java must be there."""
    import os

    from liman.dtm import javarosa

    reason = javarosa.unavailable_reason()
    if reason:
        if os.environ.get("LIMAN_REQUIRE_JAVA"):
            pytest.fail(f"LIMAN_REQUIRE_JAVA is set but JavaRosa cannot run: {reason}")
        pytest.skip(reason)


def test_the_shipped_form_passes_the_checks_and_binds_every_field(java):
    converted = convert_xlsform(FORM_FILE.read_bytes(), file_name=FORM_FILE.name, new_version="1")

    [check] = form_check.check_forms([(converted.xml, converted.survey)])

    assert converted.form_id == "liman_cash_pdm" and converted.warnings == []
    assert (check.javarosa, [problem.message for problem in check.problems]) == ("passed", [])
    assert 'lang="Türkçe (tr)"' in converted.xml
    mapping = targets.suggest_mapping(FormTarget.CASH_PDM, converted.fields)
    assert set(mapping) == {spec.key for spec in targets.fields_for(FormTarget.CASH_PDM)}


def test_the_forms_choices_are_the_cash_apps_values():
    from openpyxl import load_workbook

    sheet = load_workbook(FORM_FILE, read_only=True)["choices"]
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True)]

    def listed(name):
        return [row[1] for row in rows if row[0] == name]

    assert listed("received") == PdmReceived.values
    assert listed("spent_on") == PdmSpending.values
    assert listed("problems") == PdmProblem.values
    assert listed("yes_no") == YesNo.values


# --- answered from ODK Collect ---------------------------------------------------------------------------------


@pytest.fixture
def enumerator(istanbul):
    field_user, _password = dtm.field_user_create(
        office=istanbul, username="enumerator.ist", name="PDM enumerator", password=FIELD_PASSWORD, by=None
    )
    return field_user


def pdm_xml(version, cycle: str, household: str, *, received="partly", amount="12000", spent="food rent",
            problems="waiting", safe="yes", complaint="no", instance_id="", deprecated_id="") -> bytes:  # fmt: skip
    """An instance of the shipped form as ODK Collect writes it."""
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    amount_xml = f"<amount_received>{amount}</amount_received>" if amount else "<amount_received/>"
    return (
        "<?xml version='1.0' ?>"
        '<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'xmlns:odk="http://www.opendatakit.org/xforms" id="liman_cash_pdm" version="{version.version}">'
        "<start>2026-12-05T10:02:11.118+03:00</start><end>2026-12-05T10:09:40.902+03:00</end>"
        "<today>2026-12-05</today><deviceid>collect:Rt5Xz8Lr2Xv6Bn9q</deviceid><username>enumerator.ist</username>"
        f"<who><cycle>{cycle}</cycle><household>{household}</household>"
        "<interviewed_on>2026-12-05</interviewed_on></who>"
        f"<payment><received>{received}</received>{amount_xml}<spent_on>{spent}</spent_on>"
        f"<problems>{problems}</problems><felt_safe>{safe}</felt_safe><complaint_made>{complaint}</complaint_made>"
        "</payment><note>Called on the phone</note>"
        f"<meta><instanceID>{instance_id}</instanceID>{deprecated}<instanceName>pdm</instanceName></meta>"
        "</data>"
    ).encode()


@pytest.fixture
def published(istanbul, officer):
    return pdm.pdm_form_publish(office=istanbul, by=officer)


def test_an_answer_from_odk_collect_is_recorded_on_the_households_visit(
    client, paid_cycle, officer, published, enumerator
):
    assert published.form.target == FormTarget.CASH_PDM  # a shipped form: bound on upload
    sample = pdm.pdm_sample_draw(cycle=paid_cycle, size=2, seed=3, by=officer)
    visit = sample.visits.select_related("household", "payment").first()
    form_list = client.get("/openrosa/formList", **basic("enumerator.ist"))
    assert b"liman_cash_pdm" in form_list.content

    response = post_instance(
        client,
        pdm_xml(published, paid_cycle.reference.lower(), visit.household.reference),
        auth=basic("enumerator.ist"),
    )

    assert response.status_code == 201
    submission = Submission.objects.get(form__form_id="liman_cash_pdm")
    assert submission.state == SubmissionState.PROCESSED, submission.review_reason
    visit.refresh_from_db()
    assert visit.submission == submission and visit.answered_at is not None
    assert visit.received == PdmReceived.PARTLY and visit.amount_received == decimal.Decimal(12000)
    assert visit.spent_on == ["food", "rent"] and visit.problems == ["waiting"]
    assert visit.felt_safe is True and visit.complaint_made is False
    assert str(visit.interviewed_on) == "2026-12-05"

    # An edit of the same submission replaces the answers.
    edit = pdm_xml(published, paid_cycle.reference, visit.household.reference, received="full", amount="",
                   problems="none", deprecated_id=submission.instance_id)  # fmt: skip
    assert post_instance(client, edit, auth=basic("enumerator.ist")).status_code == 201
    visit.refresh_from_db()
    assert visit.received == PdmReceived.FULL and visit.amount_received == visit.payment.amount
    assert visit.problems == ["none"]


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("not_sampled", "is not in the monitoring sample of"),
        ("other_cycle", "is not a payment cycle of this office"),
        ("too_much", "is more than the"),
        ("none_and_problem", "goes alone"),
        ("twice", "was answered already by another submission"),
    ],
)
def test_an_answer_that_does_not_fit_waits_for_review(client, paid_cycle, officer, published, enumerator, case, reason):
    sample = pdm.pdm_sample_draw(cycle=paid_cycle, size=2, seed=3, by=officer)
    visit = sample.visits.select_related("household").first()
    outside = paid_cycle.payments.exclude(pk__in=sample.visits.values("payment_id")).select_related("household")[0]
    cycle_ref, household_ref, extra = paid_cycle.reference, visit.household.reference, {}
    if case == "not_sampled":
        household_ref = outside.household.reference
    elif case == "other_cycle":
        cycle_ref = "MPC-HTY-C01"
    elif case == "too_much":
        extra = {"amount": "99999"}
    elif case == "none_and_problem":
        extra = {"problems": "none fee"}
    elif case == "twice":
        post_instance(client, pdm_xml(published, cycle_ref, household_ref), auth=basic("enumerator.ist"))

    response = post_instance(
        client, pdm_xml(published, cycle_ref, household_ref, **extra), auth=basic("enumerator.ist")
    )

    assert response.status_code == 201  # received and kept, waiting for review
    submission = Submission.objects.filter(form__form_id="liman_cash_pdm").order_by("-id").first()
    assert submission.state == SubmissionState.REVIEW and reason in submission.review_reason
    if case != "twice":
        assert not PdmVisit.objects.filter(answered_at__isnull=False).exists()


# --- the summary -----------------------------------------------------------------------------------------------


def _answer(visit, **values):
    from django.utils import timezone

    answers = {"received": "full", "amount_received": visit.payment.amount, "spent_on": ["food"],
               "problems": ["none"], "felt_safe": True, "complaint_made": False}  # fmt: skip
    PdmVisit.objects.filter(pk=visit.pk).update(answered_at=timezone.now(), **{**answers, **values})


def test_the_summary_hides_small_counts(paid_cycle, officer, settings, client, django_assert_max_num_queries):
    sample = pdm.pdm_sample_draw(cycle=paid_cycle, size=4, seed=3, by=officer)
    visits = list(sample.visits.select_related("household", "payment"))
    _answer(visits[0])
    _answer(visits[1], received="partly", amount_received=5000, spent_on=["food", "rent"], felt_safe=False)
    _answer(visits[2], problems=["fee", "waiting"], complaint_made=True)

    summary = pdm.pdm_summary(sample)  # k = 11: every count of 1 to 10 households is hidden
    assert summary["sampled"] == 4 and summary["answered"] == 3
    received = {cell["value"]: cell["count"] for cell in summary["received"]}
    assert received == {"full": "<11", "partly": "<11", "no": 0}

    settings.LIMAN_DTM_MIN_CELL = 2  # now a count of 1 is hidden, and a second one where a total gives it away
    summary = pdm.pdm_summary(sample)
    assert {cell["value"]: cell["count"] for cell in summary["received"]} == {"full": "<2", "partly": "<2", "no": 0}
    assert {cell["value"]: cell["count"] for cell in summary["spent_on"]}["food"] == 3
    assert {cell["value"]: cell["count"] for cell in summary["felt_safe"]} == {"yes": "<2", "no": "<2"}
    assert summary["amount_received"] == 2 * visits[0].payment.amount + 5000

    client.force_login(officer)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("cash:cash-cycle-detail", args=[paid_cycle.pk]))
    assert b'id="pdm-summary"' in page.content and b"3 of 4 households sampled have answered" in page.content
    with django_assert_max_num_queries(20):  # the same few queries whatever the sample's size: no query per row
        page = client.get(reverse("cash:cash-pdm-sample", args=[paid_cycle.pk]))
    assert page.status_code == 200 and visits[0].household.reference.encode() in page.content
    assert b"+90532" in page.content  # the phone the provider paid, from the sealed snapshot
