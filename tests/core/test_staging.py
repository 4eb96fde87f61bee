"""Imports through staging, the mechanism every kind of import uses, shown with a small importer of vault secrets:
stage (every row checked into a report, nothing else written), commit (one transaction, re-checked, audited,
never twice), discard, refusals, and the pages."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from liman.core import bulk, staging
from liman.core.bulk import insert_many, insert_values
from liman.core.choices import AuditAction, Role, TaskState
from liman.core.models import AuditEvent, ImportBatch, StagedRow, TaskProgress
from liman.core.progress import ProgressReporter
from liman.core.staging import (
    Column,
    ImportRefused,
    Problem,
    import_commit,
    import_discard,
    import_stage,
    problem_report,
    staged_row_data,
)
from tests.factories import grant, staff
from tests.vault.models import Secret

pytestmark = pytest.mark.django_db

HEADER = "title,passport,level"


class SecretImporter(staging.Importer):
    """Secrets of an office: a title unique in the office, an optional passport number, a level."""

    kind = "vault-secrets"
    label = "Secrets"
    roles = frozenset({Role.CASEWORKER})
    created_labels = {"secrets": "Secrets"}
    columns = (
        Column("title", help="A title, unique in the office."),
        Column("passport", required=False, help="A passport number.", sensitive=True),
        Column("level", help="low or high.", choices=("low", "high")),
    )

    def clean_row(self, raw):
        problems = []
        title, level = raw["title"].strip(), raw["level"].strip()
        if not title:
            problems.append(Problem("title", "A value is required."))
        if level not in ("low", "high"):
            problems.append(Problem("level", f"“{level}” is not low or high."))
        elif level == "high":
            problems.append(Problem("level", "High secrets need a second look.", blocking=False))
        return {"title": title, "passport": raw.get("passport", "").strip(), "level": level}, problems

    def check_batch(self, rows):
        problems, seen = [], {}
        for item in rows:
            title = item.values["title"]
            if title in seen:
                problems.append(Problem("title", f"The same title as row {seen[title]}.", row=item.row))
            seen.setdefault(title, item.row)
        stored = Secret.objects.filter(office=self.office, title__in=list(seen)).values_list("title", flat=True)
        return problems + [Problem("title", "Already stored.", row=seen[title]) for title in stored]

    def commit(self, rows, batch, by):
        insert_many(
            Secret,
            [
                {"office_id": batch.office_id, "title": r.values["title"], "passport": r.values["passport"]}
                for r in rows
            ],
        )
        return {"secrets": len(rows)}


@pytest.fixture(autouse=True)
def secret_importer(monkeypatch):
    staging.importer_kinds()  # the project's own importers first
    monkeypatch.setitem(staging._IMPORTERS, SecretImporter.kind, SecretImporter)


def csv_file(*rows: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO(("\r\n".join([header, *rows]) + "\r\n").encode())


def stage(office, *rows: str, header: str = HEADER, by=None, name: str = "secrets.csv", **options) -> ImportBatch:
    return import_stage(
        kind="vault-secrets", file=csv_file(*rows, header=header), file_name=name, office=office, by=by, **options
    )


def report(batch) -> list[tuple]:
    return list(problem_report(batch))


# --- staging -------------------------------------------------------------------------------------------------


def test_a_valid_file_is_staged_and_nothing_else_is_written(istanbul):
    batch = stage(istanbul, "Blue,U1234567,low", "Green,,low")
    assert batch.state == ImportBatch.State.VALID
    assert (batch.row_count, batch.error_count, batch.warning_count) == (2, 0, 0)
    assert list(batch.rows.values_list("row_number", flat=True)) == [2, 3]
    assert Secret.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_staged_cells_are_stored_encrypted(istanbul):
    stage(istanbul, "Blue,U1234567,low")
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM core_stagedrow")
        stored = cursor.fetchone()[0]
    assert "U1234567" not in stored and "Blue" not in stored
    row = StagedRow.objects.get()
    assert staged_row_data(row.batch, row)["raw"]["passport"] == "U1234567"


def test_a_staged_row_cannot_be_read_as_another_row_or_without_its_batch_key(istanbul):
    batch = stage(istanbul, "Blue,U1234567,low", "Green,,low")
    first, second = batch.rows.order_by("row_number")
    second.data = first.data  # moved to another row: the seal names the row it belongs to
    with pytest.raises(InvalidTag):
        staged_row_data(batch, second)
    other = stage(istanbul, "Red,,low")
    with pytest.raises(InvalidTag):
        staged_row_data(other, first)


def test_every_row_is_reported_with_row_column_problem_and_whether_it_blocks(istanbul):
    batch = stage(istanbul, "Blue,,low", ",,medium", "Red,,high")
    assert batch.state == ImportBatch.State.INVALID
    assert (batch.error_count, batch.warning_count) == (2, 1)
    assert report(batch) == [
        (3, "title", "A value is required.", True),
        (3, "level", "“medium” is not low or high.", True),
        (4, "level", "High secrets need a second look.", False),
    ]
    assert list(batch.rows.filter(is_blocking=True).values_list("row_number", flat=True)) == [3]


def test_problems_across_rows_are_reported_on_the_row_they_name(istanbul):
    batch = stage(istanbul, "Blue,,low", "Green,,low", "Blue,,high")
    assert batch.state == ImportBatch.State.INVALID
    assert report(batch) == [
        (4, "level", "High secrets need a second look.", False),
        (4, "title", "The same title as row 2.", True),
    ]


def test_warnings_alone_leave_the_batch_valid(istanbul):
    batch = stage(istanbul, "Red,,high")
    assert batch.state == ImportBatch.State.VALID and batch.warning_count == 1


def test_blank_rows_are_skipped_and_row_numbers_follow_the_file(istanbul):
    batch = stage(istanbul, "Blue,,low", ",,", "", "Green,,bad")
    assert batch.row_count == 2
    assert report(batch) == [(5, "level", "“bad” is not low or high.", True)]


def test_header_names_match_whatever_their_case_and_surrounding_spaces(istanbul):
    batch = stage(istanbul, "Blue,,low", header=" Title ,PASSPORT,level")
    assert batch.state == ImportBatch.State.VALID


def test_an_optional_column_may_be_left_out(istanbul):
    batch = stage(istanbul, "Blue,low", header="title,level")
    assert batch.state == ImportBatch.State.VALID


def test_cells_beyond_the_header_block_the_row(istanbul):
    batch = stage(istanbul, "Blue,,low,surprise")
    assert report(batch) == [(2, "", "The row has more cells than the first row has column names.", True)]


def test_an_oversize_cell_blocks_its_row(istanbul, settings):
    settings.LIMAN_IMPORT_MAX_CELL_CHARS = 10
    batch = stage(istanbul, f"{'x' * 11},,low")
    assert report(batch) == [(2, "title", "The cell has 11 characters; the limit is 10.", True)]


def test_bidi_controls_are_removed_with_a_warning(istanbul):
    batch = stage(istanbul, "Ali\u202eilA\u202c,,low")
    assert batch.state == ImportBatch.State.VALID
    assert report(batch)[0][1:] == (
        "title",
        "Removed invisible text-direction controls that could make the text display as something else; "
        "check the value.",
        False,
    )
    import_commit(batch=batch, by=None)
    assert Secret.objects.get().title == "AliilA"


def test_a_formula_cell_is_kept_as_text_with_a_warning(istanbul):
    formula = '=HYPERLINK("http://evil.example","click")'
    batch = stage(istanbul, f'"{formula.replace(chr(34), chr(34) * 2)}",,low')
    assert report(batch) == [(2, "title", "This looks like a spreadsheet formula; it is kept as text.", False)]
    import_commit(batch=batch, by=None)
    assert Secret.objects.get().title == formula


def test_progress_is_reported_to_a_task_record(istanbul):
    progress = TaskProgress.objects.create(name="import", total=0)
    stage(istanbul, "Blue,,low", "Green,,low", reporter=ProgressReporter(progress))
    progress.refresh_from_db()
    assert (progress.done, progress.total, progress.state) == (2, 2, TaskState.RUNNING)


def test_insert_values_writes_rows_from_a_generator_in_chunks(monkeypatch):
    from liman.registry.models import NameSkeleton  # a table of plain columns only

    monkeypatch.setattr(bulk, "VALUES_CHUNK_ROWS", 3)
    rows = ((f"d{n}", f"s{n}") for n in range(7))
    assert insert_values(NameSkeleton, ("deletion", "skeleton"), rows) == 7
    assert sorted(NameSkeleton.objects.values_list("skeleton", flat=True)) == [f"s{n}" for n in range(7)]


def test_insert_values_refuses_a_column_it_would_have_to_prepare(istanbul):
    with pytest.raises(ValueError, match="Secret.passport is not"):
        insert_values(Secret, ("office_id", "passport"), [(istanbul.pk, "U1")])
    assert not Secret.objects.exists()


def test_insert_many_encrypts_and_indexes_like_save(istanbul):
    insert_many(Secret, [{"office_id": istanbul.pk, "title": "Blue", "passport": "u 123-4567"}])
    found = Secret.objects.get(passport_index="U1234567")
    assert found.passport == "u 123-4567" and found.note == ""


# --- refusals ------------------------------------------------------------------------------------------------


def refused(office, *rows, **options) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        stage(office, *rows, **options)
    assert not ImportBatch.objects.exists() and not StagedRow.objects.exists()
    return caught.value.messages


def test_missing_and_unknown_columns_are_refused_together_and_nothing_is_stored(istanbul):
    messages = refused(istanbul, "Blue,x", header="title,colour")
    assert messages == [
        "Unknown columns: colour. The columns of this import are: title, passport, level.",
        "Missing columns: level.",
        "Download the template to see the expected columns.",
    ]


def test_a_repeated_column_is_refused(istanbul):
    assert "These columns appear more than once: title." in refused(istanbul, "a,b,low", header="title,title,level")


def test_a_blank_first_row_is_refused(istanbul):
    assert refused(istanbul, HEADER, "Blue,,low", header=",,")[0].startswith("The first row is blank")


def test_a_header_only_file_is_refused_and_leaves_no_batch(istanbul):
    assert refused(istanbul) == ["The file has a header row but no data rows."]


def test_an_empty_file_is_refused(istanbul):
    with pytest.raises(ImportRefused, match="The file is empty."):
        import_stage(kind="vault-secrets", file=io.BytesIO(b""), file_name="s.csv", office=istanbul, by=None)


def test_a_file_refused_half_way_leaves_no_batch(istanbul, settings):
    settings.LIMAN_IMPORT_MAX_ROWS = 2
    assert refused(istanbul, "A,,low", "B,,low", "C,,low") == [
        "The file has more than 2 rows. Split it into smaller files."
    ]


def test_an_oversize_file_is_refused(istanbul, settings):
    settings.LIMAN_IMPORT_MAX_BYTES = 30
    assert refused(istanbul, "Blue,,low", "Green,,low")[0].startswith("The file is 0.0 MB; the limit is 0.0 MB.")


def test_a_pdf_named_csv_is_refused(istanbul):
    with pytest.raises(ImportRefused, match="PDF document"):
        import_stage(
            kind="vault-secrets", file=io.BytesIO(b"%PDF-1.4\n%%EOF"), file_name="s.csv", office=istanbul, by=None
        )


def test_an_unknown_kind_is_refused(istanbul):
    with pytest.raises(ImportRefused, match="no import of kind “spaceships”"):
        import_stage(kind="spaceships", file=csv_file("x"), file_name="s.csv", office=istanbul, by=None)


def test_a_user_without_an_importing_role_in_the_office_may_not_stage(istanbul, izmir):
    with pytest.raises(PermissionDenied):
        stage(istanbul, "Blue,,low", by=staff(Role.VIEWER, istanbul))
    with pytest.raises(PermissionDenied):
        stage(istanbul, "Blue,,low", by=staff(Role.CASEWORKER, izmir))


# --- commit and discard --------------------------------------------------------------------------------------


def test_commit_writes_the_records_with_one_audit_event_for_the_batch(istanbul):
    caseworker = staff(Role.CASEWORKER, istanbul)
    batch = import_commit(batch=stage(istanbul, "Blue,U1234567,low", "Green,,low", by=caseworker), by=caseworker)
    assert batch.state == ImportBatch.State.COMMITTED and batch.committed_at is not None
    assert sorted(Secret.objects.values_list("title", flat=True)) == ["Blue", "Green"]
    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.object_id) == (AuditAction.CREATE, "core.importbatch", str(batch.pk))
    assert event.changes == {"secrets": [None, "2"]} and event.actor == caseworker


def test_commit_keeps_the_report_but_not_the_staged_data(istanbul):
    batch = import_commit(batch=stage(istanbul, "Blue,U1234567,high", "Green,U7654321,low"), by=None)
    row = StagedRow.objects.get(batch=batch)  # the row without problems is gone
    assert row.data == "" and ImportBatch.objects.get(pk=batch.pk).rows_key == ""  # and the key of what was left
    assert report(batch) == [(2, "level", "High secrets need a second look.", False)]
    assert batch.row_count == 2


def test_an_invalid_batch_is_refused_at_commit(istanbul):
    batch = stage(istanbul, ",,low")
    with pytest.raises(ImportRefused, match="This import has 1 blocking problem; correct the rows on its page"):
        import_commit(batch=batch, by=None)
    assert not Secret.objects.exists()


def test_a_batch_is_committed_only_once(istanbul):
    batch = stage(istanbul, "Blue,,low")
    import_commit(batch=batch, by=None)
    with pytest.raises(ImportRefused, match="already committed"):
        import_commit(batch=batch, by=None)
    assert Secret.objects.count() == 1 and AuditEvent.objects.count() == 1


def test_commit_checks_again_and_refuses_when_a_record_was_stored_since(istanbul):
    batch = stage(istanbul, "Blue,,low", "Green,,low")
    Secret.objects.create(office=istanbul, title="Green")
    with pytest.raises(ImportRefused) as caught:
        import_commit(batch=batch, by=None)
    assert caught.value.messages[1] == "Row 3, title: Already stored."
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.INVALID
    assert (3, "title", "Already stored.", True) in report(batch)
    assert Secret.objects.count() == 1


def test_a_commit_that_fails_half_way_writes_nothing(istanbul, monkeypatch):
    original = SecretImporter.commit

    def commit_then_fail(self, rows, batch, by):
        original(self, rows, batch, by)
        raise RuntimeError("disk full")

    monkeypatch.setattr(SecretImporter, "commit", commit_then_fail)
    batch = stage(istanbul, "Blue,,low")
    with pytest.raises(RuntimeError):
        import_commit(batch=batch, by=None)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.VALID
    assert not Secret.objects.exists() and not AuditEvent.objects.exists()


def test_discard_deletes_the_staged_rows_and_is_audited(istanbul):
    caseworker = staff(Role.CASEWORKER, istanbul)
    batch = import_discard(batch=stage(istanbul, "Blue,U1234567,low"), by=caseworker)
    assert batch.state == ImportBatch.State.DISCARDED
    assert not StagedRow.objects.exists()
    assert AuditEvent.objects.get().changes == {"state": ["valid", "discarded"]}
    with pytest.raises(ImportRefused, match="discarded"):
        import_commit(batch=batch, by=caseworker)


def test_a_committed_batch_cannot_be_discarded(istanbul):
    batch = import_commit(batch=stage(istanbul, "Blue,,low"), by=None)
    with pytest.raises(ImportRefused, match="cannot be discarded"):
        import_discard(batch=batch, by=None)


# --- pages ---------------------------------------------------------------------------------------------------


@pytest.fixture
def caseworker_client(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    caseworker = staff(Role.CASEWORKER, istanbul)
    client.force_login(caseworker)
    return client, caseworker


def upload(client, *rows, header=HEADER, name="secrets.csv", office=None):
    data = ("\r\n".join([header, *rows]) + "\r\n").encode()
    upload = io.BytesIO(data)
    upload.name = name
    fields = {"kind": "vault-secrets", "file": upload}
    if office is not None:
        fields["office"] = office.pk
    return client.post(reverse("core:import-new"), fields)


def test_the_upload_page_offers_only_the_offices_where_the_user_may_import(client, istanbul, izmir, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    user = staff(Role.CASEWORKER, istanbul)
    grant(user, Role.VIEWER, izmir)
    client.force_login(user)
    page = client.get(reverse("core:import-new"), {"kind": "vault-secrets"}).content.decode()
    assert f'<option value="{istanbul.pk}">Istanbul Sub-Office (IST)</option>' in page
    assert f'<option value="{izmir.pk}"' not in page


def test_the_upload_page_answers_404_to_a_user_who_may_not_import(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    client.force_login(staff(Role.VIEWER, istanbul))
    assert client.get(reverse("core:import-new"), {"kind": "vault-secrets"}).status_code == 404
    assert client.get(reverse("core:import-list")).status_code == 404


def test_uploading_a_file_shows_its_report(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    response = upload(client, "Blue,,low", ",,low", office=istanbul)
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("core:import-detail", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Has blocking problems" in page
    assert '<tr data-row="3"><td>3</td><td><code>title</code></td><td>A value is required.</td>' in page
    assert "Commit" not in page and "Discard" in page


def test_a_refused_upload_says_why_on_the_form(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    response = upload(client, "Blue", header="colour", office=istanbul)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Unknown columns: colour." in page and "Missing columns: title, level." in page
    assert not ImportBatch.objects.exists()


def test_the_report_pages_through_problems_at_a_constant_query_count(
    caseworker_client, istanbul, django_assert_max_num_queries
):
    client, _caseworker = caseworker_client
    batch = stage(istanbul, *[f"T{n},,bad" for n in range(60)])
    url = reverse("core:import-detail", args=[batch.pk])
    with django_assert_max_num_queries(12):
        first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert first.count("<tr data-row=") == 50 and second.count("<tr data-row=") == 10
    assert "Page 1 of 2" in first


def test_the_commit_button_writes_the_records(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    batch = stage(istanbul, "Blue,,low")
    page = client.get(reverse("core:import-detail", args=[batch.pk])).content.decode()
    assert reverse("core:import-commit", args=[batch.pk]) in page
    response = client.post(reverse("core:import-commit", args=[batch.pk]), follow=True)
    assert "The records were written." in response.content.decode()
    assert Secret.objects.get().title == "Blue"
    assert "<td>Secrets</td><td>1</td>" in response.content.decode()


def test_committing_twice_from_the_page_says_so(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    batch = stage(istanbul, "Blue,,low")
    client.post(reverse("core:import-commit", args=[batch.pk]))
    response = client.post(reverse("core:import-commit", args=[batch.pk]), follow=True)
    assert "This import was already committed" in response.content.decode()
    assert Secret.objects.count() == 1


def test_the_discard_button_throws_the_batch_away(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    batch = stage(istanbul, "Blue,,low")
    response = client.post(reverse("core:import-discard", args=[batch.pk]), follow=True)
    assert "was discarded; nothing was written" in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DISCARDED


def test_the_list_shows_the_batches_of_the_users_offices_only(
    caseworker_client, istanbul, izmir, django_assert_max_num_queries
):
    client, _caseworker = caseworker_client
    for number in range(5):
        stage(istanbul, "Blue,,low", name=f"ours-{number}.csv")
    stage(izmir, "Blue,,low", name="theirs.csv")
    with django_assert_max_num_queries(10):
        page = client.get(reverse("core:import-list")).content.decode()
    assert page.count("ours-") == 5 and "theirs.csv" not in page


def test_another_offices_batch_answers_404_everywhere(caseworker_client, izmir):
    client, _caseworker = caseworker_client
    batch = stage(izmir, "Blue,,low")
    assert client.get(reverse("core:import-detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("core:import-problems", args=[batch.pk])).status_code == 404
    assert client.post(reverse("core:import-commit", args=[batch.pk])).status_code == 404
    assert client.post(reverse("core:import-discard", args=[batch.pk])).status_code == 404
    assert not Secret.objects.exists()


def test_the_csv_template_is_the_header_row(caseworker_client):
    client, _caseworker = caseworker_client
    response = client.get(reverse("core:import-template-csv", args=["vault-secrets"]))
    assert response["Content-Disposition"] == 'attachment; filename="vault-secrets-template.csv"'
    assert list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == [["title", "passport", "level"]]


def test_the_xlsx_template_has_the_columns_their_help_and_lists_of_allowed_values(caseworker_client):
    client, _caseworker = caseworker_client
    response = client.get(reverse("core:import-template-xlsx", args=["vault-secrets"]))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    data, help_sheet, _lists = workbook.worksheets
    assert [cell.value for cell in data[1]] == ["title", "passport", "level"]
    assert [cell.value for cell in help_sheet[4]] == ["level", "yes", "low or high.", "low, high"]
    validation = data.data_validations.dataValidation[0]
    assert (str(validation.sqref), validation.formula1) == ("C2:C100000", "Lists!$A$2:$A$3")


def test_an_unknown_template_answers_404(caseworker_client):
    client, _caseworker = caseworker_client
    assert client.get(reverse("core:import-template-csv", args=["spaceships"])).status_code == 404


def test_the_problem_report_downloads_with_formulas_neutralised_and_is_audited(caseworker_client, istanbul):
    client, caseworker = caseworker_client
    batch = stage(istanbul, '"=HYPERLINK(""http://evil.example"")",,bad')
    response = client.get(reverse("core:import-problems", args=[batch.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "problem", "blocks"]
    assert ["2", "level", "“bad” is not low or high.", "yes"] in rows
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor == caseworker and event.object_id == str(batch.pk)


@pytest.fixture
def run_worker(monkeypatch):
    """Run the queued tasks, as `liman db_worker` does. The worker closes "old" connections between tasks, which
    on PostgreSQL would close the test's own (SQLite's in-memory test database ignores it): not here."""
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    return lambda: call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_a_large_upload_is_checked_in_the_background_with_a_progress_bar(
    caseworker_client, istanbul, settings, django_capture_on_commit_callbacks, run_worker
):
    client, caseworker = caseworker_client
    settings.LIMAN_IMPORT_INLINE_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "Blue,,low", "Green,,low", office=istanbul)
    progress = TaskProgress.objects.get(owner=caseworker)
    assert response["Location"] == reverse("core:import-progress", args=[progress.pk])
    fragment = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<progress" in fragment

    run_worker()
    batch = ImportBatch.objects.get()
    assert batch.row_count == 2 and batch.state == ImportBatch.State.VALID
    finished = client.get(response["Location"], headers={"HX-Request": "true"})
    assert finished["HX-Redirect"] == reverse("core:import-detail", args=[batch.pk])
    assert client.get(response["Location"])["Location"] == reverse("core:import-detail", args=[batch.pk])
    assert not list(Path(settings.MEDIA_ROOT).glob("imports/spool/*")), "the spooled upload is deleted"


def test_a_large_upload_refused_in_the_background_says_why(
    caseworker_client, istanbul, settings, django_capture_on_commit_callbacks, run_worker
):
    client, caseworker = caseworker_client
    settings.LIMAN_IMPORT_INLINE_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "Blue", header="colour", office=istanbul)
    run_worker()
    progress = TaskProgress.objects.get(owner=caseworker)
    assert progress.state == TaskState.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "Unknown columns: colour." in page and not ImportBatch.objects.exists()


def test_a_large_commit_runs_in_the_background(
    caseworker_client, istanbul, settings, django_capture_on_commit_callbacks, run_worker
):
    client, caseworker = caseworker_client
    settings.LIMAN_IMPORT_INLINE_ROWS = 1
    batch = stage(istanbul, "Blue,,low", "Green,,low", by=caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:import-commit", args=[batch.pk]))
    assert Secret.objects.count() == 0
    run_worker()
    assert Secret.objects.count() == 2
    assert client.get(response["Location"])["Location"] == reverse("core:import-detail", args=[batch.pk])


def test_imports_collect_cycles_less_often_and_put_the_thresholds_back():
    import gc

    before = gc.get_threshold()
    with staging.fewer_collections():
        raised = gc.get_threshold()
        with staging.fewer_collections():  # an import inside another (a re-check during a correction)
            assert gc.get_threshold() == raised
        assert gc.get_threshold() == raised
    assert raised[0] >= staging.IMPORT_GC_THRESHOLD and raised[1:] == before[1:]
    assert gc.get_threshold() == before


def test_the_rows_of_a_staged_batch_stay_readable_after_the_field_keys_rotate(istanbul, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from liman.core import crypto

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LIMAN_FIELD_KEYS = [old]
    crypto.forget_keys()
    batch = stage(istanbul, "Blue,U1234567,low")
    settings.LIMAN_FIELD_KEYS = [new, old]
    call_command("keys", "rotate")  # re-encrypts the batch's key: the rows sealed with it stay as they are
    settings.LIMAN_FIELD_KEYS = [new]
    crypto.forget_keys()
    batch = ImportBatch.objects.get(pk=batch.pk)
    assert staged_row_data(batch, batch.rows.get())["raw"]["passport"] == "U1234567"
    import_commit(batch=batch, by=None)
    assert Secret.objects.get().passport == "U1234567"
