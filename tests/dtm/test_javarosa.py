"""A form ODK Collect cannot open or fill in is refused at upload, with JavaRosa's reasons in a form author's words.

Real XLSForms (written with openpyxl) that pyxform converts but ODK Collect cannot use, each refused naming the
question and its row; every form Liman ships passes JavaRosa; where Java cannot run, uploads go on and the
version is marked "not checked by JavaRosa" until a check runs (`liman forms check`, or the forms page).

These tests run JavaRosa (ODK Validate, inside pyxform) on this machine's Java. Without Java they skip, unless
LIMAN_REQUIRE_JAVA is set, which makes the absence a failure.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from liman.core.choices import TaskState
from liman.core.models import TaskProgress
from liman.dtm import form_check, javarosa, services
from liman.dtm.choices import JavaRosaCheck
from liman.dtm.form_check import FormRefused, filter_columns
from liman.dtm.models import Form, FormVersion
from liman.dtm.xlsform import convert_xlsform
from tests.dtm.builders import xlsform
from tests.dtm.conftest import basic

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
#: Every XLSForm Liman ships, in any app (the DTM forms, the border incident form, and those later apps add).
SHIPPED_FORMS = sorted(ROOT.glob("liman/*/data/forms/*.xlsx"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def java():
    """JavaRosa can run here: skip otherwise, or fail when LIMAN_REQUIRE_JAVA says Java must be there."""
    reason = javarosa.unavailable_reason()
    if reason:
        if os.environ.get("LIMAN_REQUIRE_JAVA"):
            pytest.fail(f"LIMAN_REQUIRE_JAVA is set but JavaRosa cannot run: {reason}")
        pytest.skip(reason)


@pytest.fixture
def no_java(monkeypatch, tmp_path):
    """A machine without Java: LIMAN_JAVA names a java that does not exist, and no verdict is remembered."""
    monkeypatch.setenv("LIMAN_JAVA", str(tmp_path / "no-such-jdk" / "bin" / "java"))
    javarosa.forget_verdicts()
    yield
    javarosa.forget_verdicts()


def settings_sheet(form_id: str, version: str = "1") -> list[list]:
    return [["form_id", "version", "form_title"], [form_id, version, form_id.replace("_", " ").title()]]


# The issue's own example: two calculations that use each other, and a relevant calling a function that does not
# exist. pyxform converts it; ODK Collect does not open it.
ISSUE_SURVEY = [
    ["type", "name", "label", "calculation", "relevant"],
    ["integer", "household_size", "How many people live in the household?", "", ""],
    ["calculate", "a", "", "${b} + 1", ""],
    ["calculate", "b", "", "${a} + 1", ""],
    ["text", "remarks", "Remarks", "", "is_adult(${household_size})"],
]

CYCLE = [
    ["type", "name", "label", "calculation"],
    ["integer", "household_size", "How many people live in the household?", ""],
    ["calculate", "adults", "", "${household_size} - ${children}"],
    ["calculate", "children", "", "${household_size} - ${adults}"],
    ["note", "summary", "Adults: ${adults}, children: ${children}", ""],
]
UNKNOWN_FUNCTION = [
    ["type", "name", "label", "relevant"],
    ["integer", "age", "Age of the respondent", ""],
    ["text", "school", "Which school does the child attend?", "is_minor(${age})"],
]
BAD_CONSTRAINT = [
    ["type", "name", "label", "constraint", "constraint_message"],
    ["text", "site_name", "Site name", "", ""],
    ["integer", "households", "Households on the site", ". >= 0 and . <= ", "Between 0 and 5000"],
]
CHOICE_FILTER = [
    ["type", "name", "label", "choice_filter"],
    ["select_one province", "province", "Province", ""],
    ["select_one district", "district", "District", "region = ${province}"],
]
CHOICE_FILTER_CHOICES = [
    ["list_name", "name", "label", "province"],
    ["province", "TUR031", "Hatay", ""],
    ["province", "TUR046", "Kahramanmaraş", ""],
    ["district", "TUR031001", "Altınözü", "TUR031"],
    ["district", "TUR046001", "Afşin", "TUR046"],
]
REPEAT_COUNT = [
    ["type", "name", "label", "repeat_count"],
    ["text", "head_name", "Name of the head of household", ""],
    ["begin_repeat", "member", "Household member", "${household_size}"],
    ["text", "member_name", "Name", ""],
    ["integer", "member_age", "Age", ""],
    ["end_repeat", "", "", ""],
    ["integer", "household_size", "How many people live in the household?", ""],
]

BROKEN = {
    # name: (survey, choices, question named, its row, words of the message, found by JavaRosa)
    "calculation-cycle": (CYCLE, None, "adults", 3, "depend on each other in a loop", True),
    "unknown-function": (UNKNOWN_FUNCTION, None, "school", 3, "calls is_minor() in its relevant column", True),
    "bad-constraint": (BAD_CONSTRAINT, None, "households", 3, "The constraint column of question", True),
    "choice-filter-missing-column": (
        CHOICE_FILTER, CHOICE_FILTER_CHOICES, "district", 3, "uses the column 'region'", False,
    ),
    "repeat-count-asked-later": (
        REPEAT_COUNT, None, "member", 3, "uses ${household_size}, which is asked later", False,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_form_collect_cannot_use_is_refused_naming_the_question_and_row(hatay, java, case):
    survey, choices, question, row, words, by_javarosa = BROKEN[case]
    content = xlsform(survey, choices=choices, settings=settings_sheet(case.replace("-", "_")))

    with pytest.raises(FormRefused) as refused:
        services.form_upload(office=hatay, content=content, file_name=f"{case}.xlsx", by=None)

    problem = refused.value.problems[0]
    assert (problem.question, problem.row, problem.sheet) == (question, row, "survey")
    assert f"'{question}' (row {row} of the survey sheet)" in problem.message
    assert words in problem.message
    assert refused.value.is_javarosas is by_javarosa
    assert not Form.objects.exists() and not FormVersion.objects.exists()


def test_the_cycle_names_every_question_in_the_loop(hatay, java):
    content = xlsform(CYCLE, settings=settings_sheet("cycle"))

    with pytest.raises(FormRefused) as refused:
        services.form_upload(office=hatay, content=content, file_name="cycle.xlsx", by=None)

    message = refused.value.problems[0].message
    assert "'adults' (row 3 of the survey sheet)" in message and "'children' (row 4 of the survey sheet)" in message
    assert "/data/" not in message and "org.javarosa" not in message


def test_a_bad_expression_is_quoted_as_the_author_wrote_it(hatay, java):
    survey = [
        ["type", "name", "label", "calculation"],
        ["integer", "households", "Households", ""],
        ["calculate", "people", "", "${households} * * 5"],
    ]

    with pytest.raises(FormRefused) as refused:
        services.form_upload(office=hatay, content=xlsform(survey), file_name="people.xlsx", by=None)

    message = refused.value.problems[0].message
    assert message.startswith("The calculation column of question 'people' (row 3 of the survey sheet)")
    assert '"${households} * * 5"' in message


def test_a_refused_form_is_refused_on_the_page_with_the_reason(client, dtm_officer, java):
    client.force_login(dtm_officer)
    content = xlsform(UNKNOWN_FUNCTION, settings=settings_sheet("school_survey"))

    response = client.post(
        reverse("dtm:dtm-forms"),
        {"office": "HTY", "file": SimpleUploadedFile("school.xlsx", content, content_type=XLSX)},
    )

    page = response.content.decode()
    assert "JavaRosa, the form engine of ODK Collect, refused this form; nothing was published" in page
    assert "Question 'school' (row 3 of the survey sheet) calls is_minor()" in html.unescape(page)
    assert not Form.objects.exists()


def test_forms_add_of_a_refused_form_exits_with_the_reason_and_stores_nothing(hatay, java, tmp_path):
    path = tmp_path / "household_visit.xlsx"
    path.write_bytes(xlsform(ISSUE_SURVEY, settings=settings_sheet("household_visit")))

    with pytest.raises(CommandError) as refused:
        call_command("forms", "add", str(path), "--office", "HTY")

    reason = str(refused.value)
    assert "household_visit.xlsx: JavaRosa, the form engine of ODK Collect, refused the form" in reason
    assert "'a' (row 3 of the survey sheet), 'b' (row 4 of the survey sheet) depend on each other" in reason
    assert "remarks" not in reason  # JavaRosa lists it as "likely involved"; it is not in the loop
    assert not Form.objects.exists() and not FormVersion.objects.exists()


def test_forms_add_of_the_corrected_form_publishes_it_checked(hatay, java, tmp_path, capsys):
    survey = [row[:] for row in ISSUE_SURVEY]
    survey[3][3] = "${household_size} - 1"  # b no longer uses a
    survey[4][4] = "${household_size} > 1"  # a function that exists
    path = tmp_path / "household_visit.xlsx"
    path.write_bytes(xlsform(survey, settings=settings_sheet("household_visit", "2")))

    call_command("forms", "add", str(path), "--office", "HTY")

    version = FormVersion.objects.get(form__form_id="household_visit")
    assert version.javarosa_check == JavaRosaCheck.PASSED and version.javarosa_checked_at is not None
    assert "Published household_visit version 2" in capsys.readouterr().out


def test_every_form_liman_ships_passes_javarosa(java):
    assert {path.stem for path in SHIPPED_FORMS} >= {"dtm_site_assessment", "liman_border_incident"}
    converted = [convert_xlsform(path.read_bytes(), file_name=path.name, new_version="1") for path in SHIPPED_FORMS]

    checks = form_check.check_forms([(form.xml, form.survey) for form in converted])

    verdicts = {path.name: (check.javarosa, [p.message for p in check.problems]) for path, check in zip(
        SHIPPED_FORMS, checks, strict=True)}  # fmt: skip
    assert verdicts == {path.name: (JavaRosaCheck.PASSED, []) for path in SHIPPED_FORMS}


def test_a_shipped_form_uploads_checked_by_javarosa(edirne, java):
    path = ROOT / "liman" / "dtm" / "data" / "forms" / "liman_border_incident.xlsx"

    version = services.form_upload(office=edirne, content=path.read_bytes(), file_name=path.name, by=None)

    assert version.javarosa_check == JavaRosaCheck.PASSED and version.javarosa_messages == []


# --- where Java cannot run ------------------------------------------------------------------------------------


SITE_VISIT = [["type", "name", "label"], ["text", "site_name", "Site name"], ["integer", "households", "Households"]]


def test_without_java_an_upload_goes_on_marked_not_checked(hatay, no_java):
    version = services.form_upload(
        office=hatay, content=xlsform(SITE_VISIT, settings=settings_sheet("site_visit")), file_name="s.xlsx", by=None
    )

    assert version.javarosa_check == JavaRosaCheck.NOT_CHECKED and version.javarosa_checked_at is None
    assert "Java was not found" in version.javarosa_messages[0] and "no-such-jdk" in version.javarosa_messages[0]


def test_without_java_liman_still_refuses_what_it_checks_itself(hatay, no_java):
    content = xlsform(REPEAT_COUNT, settings=settings_sheet("household"))

    with pytest.raises(FormRefused, match="uses \\$\\{household_size\\}, which is asked later"):
        services.form_upload(office=hatay, content=content, file_name="household.xlsx", by=None)


def test_a_version_not_checked_is_shown_so_on_the_pages_and_in_the_cli(client, dtm_officer, hatay, no_java, capsys):
    version = services.form_upload(
        office=hatay, content=xlsform(SITE_VISIT, settings=settings_sheet("site_visit")), file_name="s.xlsx", by=None
    )
    client.force_login(dtm_officer)

    detail = client.get(reverse("dtm:dtm-form", args=[version.form.pk])).content.decode()
    listing = client.get(reverse("dtm:dtm-forms")).content.decode()
    api = client.get("/api/dtm/forms/").json()
    call_command("forms", "list")

    assert 'data-javarosa="not_checked"' in detail and "not checked by JavaRosa" in detail
    assert "1 version is not checked by JavaRosa" in detail and "Java was not found" in detail
    assert "1 form version is not checked by JavaRosa" in listing and "Check them with JavaRosa" in listing
    assert api["results"][0]["javarosa_check"] == "not_checked"
    assert "site_visit" in (out := capsys.readouterr().out) and "not checked by JavaRosa" in out


def test_forms_add_without_java_says_the_version_is_not_checked(hatay, no_java, tmp_path, capsys):
    path = tmp_path / "site_visit.xlsx"
    path.write_bytes(xlsform(SITE_VISIT, settings=settings_sheet("site_visit")))

    call_command("forms", "add", str(path), "--office", "HTY")

    err = capsys.readouterr().err
    assert "not checked by JavaRosa: Java was not found" in err and "liman forms check" in err
    assert FormVersion.objects.get().javarosa_check == JavaRosaCheck.NOT_CHECKED


def test_forms_check_without_java_exits_with_the_reason(hatay, no_java):
    services.form_upload(
        office=hatay, content=xlsform(SITE_VISIT, settings=settings_sheet("site_visit")), file_name="s.xlsx", by=None
    )

    with pytest.raises(CommandError, match="Not checked by JavaRosa: Java was not found"):
        call_command("forms", "check")
    assert FormVersion.objects.get().javarosa_check == JavaRosaCheck.NOT_CHECKED


def test_forms_check_checks_the_pending_versions_once_java_runs(hatay, java, no_java, monkeypatch, capsys):
    version = services.form_upload(
        office=hatay, content=xlsform(SITE_VISIT, settings=settings_sheet("site_visit")), file_name="s.xlsx", by=None
    )
    monkeypatch.delenv("LIMAN_JAVA")

    call_command("forms", "check", "--office", "HTY")

    version.refresh_from_db()
    assert version.javarosa_check == JavaRosaCheck.PASSED and version.javarosa_messages == []
    assert "site_visit v1: checked by JavaRosa" in capsys.readouterr().out


def test_a_pending_version_javarosa_refuses_is_withdrawn_from_collects_list(
    client, hatay, field_user, java, no_java, monkeypatch
):
    good = services.form_upload(
        office=hatay, content=xlsform(CYCLE[:2], settings=settings_sheet("household", "1")), file_name="h.xlsx", by=None
    )
    broken = services.form_upload(
        office=hatay, content=xlsform(CYCLE, settings=settings_sheet("household", "2")), file_name="h.xlsx", by=None
    )
    assert broken.javarosa_check == JavaRosaCheck.NOT_CHECKED  # pyxform and Liman's own checks let it through
    assert "<version>2</version>" in client.get("/openrosa/formList", **basic()).content.decode()
    monkeypatch.delenv("LIMAN_JAVA")

    with pytest.raises(CommandError, match="ODK Collect cannot use the versions refused above"):
        call_command("forms", "check")

    broken.refresh_from_db()
    good.refresh_from_db()
    assert broken.javarosa_check == JavaRosaCheck.REFUSED and good.javarosa_check == JavaRosaCheck.PASSED
    assert "'adults' (row 3 of the survey sheet)" in broken.javarosa_messages[0]
    form_list = client.get("/openrosa/formList", **basic()).content.decode()
    assert "<version>1</version>" in form_list and "<version>2</version>" not in form_list


def run_worker(monkeypatch):
    """Run queued tasks as `liman db_worker` does (its closing of "old" connections would close the test's own)."""
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_the_forms_page_checks_pending_versions_in_the_background(
    client, dtm_officer, hatay, java, no_java, monkeypatch, django_capture_on_commit_callbacks
):
    version = services.form_upload(
        office=hatay, content=xlsform(SITE_VISIT, settings=settings_sheet("site_visit")), file_name="s.xlsx", by=None
    )
    client.force_login(dtm_officer)
    monkeypatch.delenv("LIMAN_JAVA")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dtm:dtm-forms"), {"action": "javarosa_check"})

    progress = TaskProgress.objects.get(owner=dtm_officer)
    assert response["Location"] == reverse("core:task-detail", args=[progress.pk])
    run_worker(monkeypatch)
    progress.refresh_from_db()
    version.refresh_from_db()
    assert progress.state == TaskState.SUCCEEDED and progress.result["passed"] == 1
    assert progress.message.startswith("1 checked by JavaRosa, 0 refused, 0 not checked.")
    assert version.javarosa_check == JavaRosaCheck.PASSED
    page = client.get(reverse("dtm:dtm-form", args=[version.form.pk])).content.decode()
    assert 'data-javarosa="passed"' in page and "javarosa-pending" not in page


def test_the_form_page_checks_only_that_forms_pending_versions(client, dtm_officer, hatay, no_java):
    mine = services.form_upload(
        office=hatay, content=xlsform(SITE_VISIT, settings=settings_sheet("site_visit")), file_name="s.xlsx", by=None
    )
    services.form_upload(
        office=hatay, content=xlsform(SITE_VISIT, settings=settings_sheet("other_visit")), file_name="o.xlsx", by=None
    )
    client.force_login(dtm_officer)

    response = client.post(reverse("dtm:dtm-form", args=[mine.form.pk]), {"action": "javarosa_check"})

    progress = TaskProgress.objects.get(owner=dtm_officer)
    assert response["Location"] == reverse("core:task-detail", args=[progress.pk])
    assert (progress.total, progress.office, progress.state) == (1, hatay, TaskState.QUEUED)


def test_nothing_to_check_says_so(client, dtm_officer, hatay, java):
    services.form_upload(
        office=hatay, content=xlsform(SITE_VISIT, settings=settings_sheet("site_visit")), file_name="s.xlsx", by=None
    )
    client.force_login(dtm_officer)

    response = client.post(reverse("dtm:dtm-forms"), {"action": "javarosa_check"}, follow=True)

    assert "Every form version here is already checked by JavaRosa." in response.content.decode()
    assert not TaskProgress.objects.exists()


# --- the pieces -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("predicate", "columns"),
    [
        ("region = /data/province", ["region"]),
        ("(Gov = /data/gov and Dist = /data/dist) or (Gov = 'other')", ["Gov", "Dist"]),
        ("selected( /data/organization , 'other') or organization = current()/../org", ["organization"]),
        ("starts-with(name, 'TUR031') and not(position() > 10)", ["name"]),
        ("filter = 'a b' or filter = \"and or\"", ["filter"]),
    ],
)
def test_the_columns_a_choice_filter_reads(predicate, columns):
    assert filter_columns(predicate) == columns


def test_javarosas_output_is_split_per_form_and_cleaned():
    output = "\n".join(
        [
            "Validating: form-0.xml",
            "",
            ">> Xform parsing completed!",
            ">> Xform is valid!",
            "Validating: form-1.xml",
            ">> XForm is invalid.",
            "org.javarosa.xform.parse.XFormParseException: bind for /data/age contains invalid constraint expression "
            "[. >< 5] Bad node: org.javarosa.xpath.parser.ast.ASTNodeAbstractExpr@3cef309d",
            "\tat org.javarosa.xform.parse.StandardBindAttributesProcessor.createBinding(X.java:100)",
            "",
            "The following files failed validation:",
            "form-1.xml",
            "",
            "Result: Invalid",
        ]
    )

    valid, invalid = javarosa.parse_output(output, ["form-0.xml", "form-1.xml"], return_code=1)

    assert valid == javarosa.Verdict(True)
    assert invalid == javarosa.Verdict(
        False, errors=("bind for /data/age contains invalid constraint expression [. >< 5]",)
    )


def test_a_java_that_cannot_start_the_validator_is_not_a_verdict():
    with pytest.raises(javarosa.ValidatorUnavailable, match="UnsupportedClassVersionError"):
        javarosa.parse_output(
            "Error: LinkageError occurred while loading main class\n\tjava.lang.UnsupportedClassVersionError: x",
            ["form-0.xml"],
            return_code=1,
        )
