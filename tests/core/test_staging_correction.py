"""Correcting the rows of a staged batch on its report page: each correction checks the row and the rules across
rows again, is audited (who changed which cell from what to what) and kept with the row; the commit is enabled
once no blocking problem is left. A row can also be left out. Shown with the vault-secrets importer."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from liman.core import staging
from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent, ImportBatch, StagedRow, TaskProgress
from liman.core.staging import (
    Column,
    ImportRefused,
    import_batch_recheck,
    import_commit,
    import_discard,
    import_row_correct,
    import_row_leave_out,
    staged_row_for_correction,
)
from tests.core.test_staging import SecretImporter, report, secret_importer, stage  # noqa: F401 (a fixture)
from tests.factories import staff
from tests.vault.models import Secret

pytestmark = pytest.mark.django_db


def correct(batch, row, by=None, **cells):
    return import_row_correct(batch=batch, row_number=row, cells=cells, by=by)


def fresh(batch) -> ImportBatch:
    return ImportBatch.objects.get(pk=batch.pk)


# --- the service ---------------------------------------------------------------------------------------------


def test_correcting_the_bad_cell_makes_the_batch_valid(istanbul):
    batch = stage(istanbul, "Blue,,low", "Green,,medium")
    row = correct(batch, 3, level="low")
    assert row.problems == [] and row.raw == {"title": "Green", "passport": "", "level": "low"}
    batch = fresh(batch)
    assert batch.state == ImportBatch.State.VALID
    assert (batch.error_count, batch.warning_count, batch.result["rows_blocked"]) == (0, 0, 0)
    assert report(batch) == []


def test_a_correction_that_is_still_wrong_keeps_the_batch_invalid_with_the_new_problem(istanbul):
    batch = stage(istanbul, "Green,,medium")
    correct(batch, 2, level="mid")
    batch = fresh(batch)
    assert batch.state == ImportBatch.State.INVALID and batch.error_count == 1
    assert report(batch) == [(2, "level", "“mid” is not low or high.", True)]


def test_a_correction_checks_the_rules_across_rows_for_the_whole_batch(istanbul):
    batch = stage(istanbul, "Blue,,low", "Green,,low", "Blue,,low")
    assert report(batch) == [(4, "title", "The same title as row 2.", True)]
    correct(batch, 4, title="Red")
    assert fresh(batch).state == ImportBatch.State.VALID and report(batch) == []
    # Changing another row into a duplicate blocks that row now.
    correct(batch, 3, title="Red")
    assert report(batch) == [(4, "title", "The same title as row 3.", True)]
    assert fresh(batch).error_count == 1


def test_warnings_of_a_corrected_row_are_counted(istanbul):
    batch = stage(istanbul, "Blue,,bad")
    correct(batch, 2, level="high")
    batch = fresh(batch)
    assert (batch.state, batch.error_count, batch.warning_count) == (ImportBatch.State.VALID, 0, 1)
    assert report(batch) == [(2, "level", "High secrets need a second look.", False)]


def test_a_correction_is_audited_with_who_changed_which_cell_from_what_to_what(istanbul):
    caseworker = staff(Role.CASEWORKER, istanbul)
    batch = stage(istanbul, ",,medium", by=caseworker)
    correct(batch, 2, by=caseworker, title="Green", level="low")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id) == (AuditAction.UPDATE, caseworker, str(batch.pk))
    assert event.changes == {"row 2 title": ["", "Green"], "row 2 level": ["medium", "low"]}
    assert event.reason == "Correction of row 2 of secrets.csv"


def test_the_audit_of_a_sensitive_column_says_only_that_it_changed(istanbul):
    batch = stage(istanbul, "Blue,U1234567,bad")
    correct(batch, 2, passport="U7654321", level="low")
    changes = AuditEvent.objects.get().changes
    assert changes["row 2 passport"] == ["[encrypted]", "[encrypted]"]
    assert "U7654321" not in json.dumps(changes) and "U1234567" not in json.dumps(changes)


def test_the_row_keeps_its_corrections_encrypted(istanbul):
    caseworker = staff(Role.CASEWORKER, istanbul, username="corrector")
    batch = stage(istanbul, "Blue,U1234567,bad")
    correct(batch, 2, by=caseworker, passport="U7654321", level="low")
    row = staged_row_for_correction(batch, 2)
    assert [(c["by"], c["column"], c["from"], c["to"]) for c in row.corrections] == [
        ("corrector", "passport", "U1234567", "U7654321"),
        ("corrector", "level", "bad", "low"),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM core_stagedrow")
        assert "U7654321" not in cursor.fetchone()[0]


def test_an_unchanged_row_writes_no_audit_event(istanbul):
    batch = stage(istanbul, "Blue,,low")
    correct(batch, 2, title="Blue", level="low")
    assert not AuditEvent.objects.exists()


def test_the_shared_checks_apply_to_a_corrected_cell(istanbul):
    batch = stage(istanbul, "Blue,,bad")
    correct(batch, 2, title="=1+1", level="low")
    assert report(batch) == [(2, "title", "This looks like a spreadsheet formula; it is kept as text.", False)]


def test_the_committed_records_have_the_corrected_values(istanbul):
    batch = stage(istanbul, "Blue,,low", "Grene,,medium")
    correct(batch, 3, title="Green", level="low")
    import_commit(batch=fresh(batch), by=None)
    assert sorted(Secret.objects.values_list("title", flat=True)) == ["Blue", "Green"]


def test_cells_beyond_the_columns_are_shown_and_dropped_by_a_correction(istanbul):
    batch = stage(istanbul, "Blue,,low,surprise,again")
    row = staged_row_for_correction(batch, 2)
    assert row.extra == ["surprise", "again"]
    row = correct(batch, 2)
    assert row.extra == [] and row.problems == []
    assert fresh(batch).state == ImportBatch.State.VALID
    assert AuditEvent.objects.get().changes == {"row 2 cells beyond the columns": ["2", "0"]}


def test_an_unknown_column_is_refused(istanbul):
    batch = stage(istanbul, "Blue,,bad")
    with pytest.raises(ImportRefused, match="Row 2 has no column colour."):
        correct(batch, 2, colour="blue")


def test_a_row_that_is_not_in_the_batch_is_refused(istanbul):
    batch = stage(istanbul, "Blue,,bad")
    with pytest.raises(ImportRefused, match="Row 9 is not in this import"):
        correct(batch, 9, level="low")


def test_a_committed_or_discarded_batch_cannot_be_corrected(istanbul):
    committed = import_commit(batch=stage(istanbul, "Blue,,high"), by=None)
    with pytest.raises(ImportRefused, match="already committed"):
        correct(committed, 2, level="low")
    discarded = import_discard(batch=stage(istanbul, "Blue,,bad"), by=None)
    with pytest.raises(ImportRefused, match="discarded"):
        correct(discarded, 2, level="low")


def test_only_a_user_who_may_import_into_the_office_may_correct(istanbul, izmir):
    batch = stage(istanbul, "Blue,,bad")
    for outsider in (staff(Role.VIEWER, istanbul), staff(Role.CASEWORKER, izmir)):
        with pytest.raises(PermissionDenied):
            correct(batch, 2, by=outsider, level="low")
    assert fresh(batch).state == ImportBatch.State.INVALID


def test_rows_of_an_importer_that_cannot_check_them_again_are_refused(istanbul, monkeypatch):
    """An importer made for one upload (one form's columns) that cannot be made again must say so, not fail."""

    class Narrower(SecretImporter):
        columns = (Column("title"),)

    monkeypatch.setattr(SecretImporter, "for_batch", classmethod(lambda cls, batch, **kwargs: Narrower))
    batch = stage(istanbul, "Blue,,bad")
    with pytest.raises(ImportRefused, match="cannot be corrected here; correct the file and upload it again"):
        correct(batch, 2, level="low")


def test_a_correction_left_to_the_background_check_blocks_the_commit_until_it_ran(istanbul):
    batch = stage(istanbul, "Blue,,low", "Green,,low", "Blue,,low")
    import_row_correct(batch=batch, row_number=4, cells={"title": "Red"}, by=None, check_across=False)
    waiting = fresh(batch)
    assert waiting.state == ImportBatch.State.INVALID and waiting.result["recheck"] is True
    with pytest.raises(ImportRefused, match="being checked again after a correction"):
        import_commit(batch=waiting, by=None)
    checked = import_batch_recheck(batch=waiting, by=None)
    assert checked.state == ImportBatch.State.VALID and "recheck" not in checked.result
    assert report(batch) == []


# --- leaving a row out ---------------------------------------------------------------------------------------


def test_leaving_a_repeated_row_out_makes_the_batch_valid_and_is_audited(istanbul):
    caseworker = staff(Role.CASEWORKER, istanbul)
    batch = stage(istanbul, "Blue,,low", "Green,,low", "Blue,,low", by=caseworker)
    batch = import_row_leave_out(batch=batch, row_number=4, by=caseworker)
    assert (batch.state, batch.row_count, batch.result["rows_left_out"]) == (ImportBatch.State.VALID, 2, [4])
    assert not StagedRow.objects.filter(batch=batch, row_number=4).exists()
    event = AuditEvent.objects.get()
    assert (event.actor, event.changes) == (caseworker, {"row 4": ["staged", "left out"]})
    import_commit(batch=batch, by=caseworker)
    assert sorted(Secret.objects.values_list("title", flat=True)) == ["Blue", "Green"]


def test_the_only_row_cannot_be_left_out(istanbul):
    batch = stage(istanbul, "Blue,,bad")
    with pytest.raises(ImportRefused, match="only row: discard the import instead"):
        import_row_leave_out(batch=batch, row_number=2, by=None)


# --- pages ---------------------------------------------------------------------------------------------------


@pytest.fixture
def caseworker_client(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    caseworker = staff(Role.CASEWORKER, istanbul)
    client.force_login(caseworker)
    return client, caseworker


def test_the_report_links_each_row_with_problems_to_its_editor(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    batch = stage(istanbul, "Blue,,low", ",,medium")
    page = client.get(reverse("core:import-detail", args=[batch.pk])).content.decode()
    assert page.count(f'href="{reverse("core:import-row", args=[batch.pk, 3])}"') == 1
    assert "Correct row 3" in page


def test_the_editor_shows_the_cells_and_their_problems_and_audits_the_view(caseworker_client, istanbul):
    client, caseworker = caseworker_client
    batch = stage(istanbul, "Blue,U1234567,medium")
    page = client.get(reverse("core:import-row", args=[batch.pk, 2])).content.decode()
    assert 'name="title" value="Blue"' in page and 'name="passport" value="U1234567"' in page
    assert '<option value="medium" selected>medium</option>' in page
    assert "“medium” is not low or high." in page
    event = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert (event.actor, event.object_id, event.reason) == (caseworker, str(batch.pk), "Row 2 opened for correction")


def test_saving_a_fixed_row_goes_back_to_the_report_ready_to_commit(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    batch = stage(istanbul, "Blue,,medium")
    response = client.post(
        reverse("core:import-row", args=[batch.pk, 2]), {"title": "Blue", "passport": "", "level": "low"}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("core:import-detail", args=[batch.pk])
    assert "Row 2 was corrected." in page and "Ready to commit" in page
    assert reverse("core:import-commit", args=[batch.pk]) in page


def test_saving_a_row_that_still_blocks_stays_on_the_editor_with_the_problem(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    batch = stage(istanbul, "Blue,,medium")
    response = client.post(
        reverse("core:import-row", args=[batch.pk, 2]), {"title": "", "passport": "", "level": "low"}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("core:import-row", args=[batch.pk, 2])
    assert "Row 2 was saved; it still has blocking problems." in page and "A value is required." in page


def test_the_leave_out_button_removes_the_row(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    batch = stage(istanbul, "Blue,,low", "Blue,,low")
    response = client.post(reverse("core:import-row-leave-out", args=[batch.pk, 3]), follow=True)
    assert "Row 3 was left out of the import." in response.content.decode()
    assert fresh(batch).state == ImportBatch.State.VALID


def test_the_editor_of_a_committed_batch_says_why_it_cannot_be_used(caseworker_client, istanbul):
    client, _caseworker = caseworker_client
    batch = import_commit(batch=stage(istanbul, "Blue,,high"), by=None)
    response = client.get(reverse("core:import-row", args=[batch.pk, 2]), follow=True)
    assert "This import was already committed" in response.content.decode()


def test_another_offices_rows_answer_404(caseworker_client, izmir):
    client, _caseworker = caseworker_client
    batch = stage(izmir, "Blue,,bad")
    assert client.get(reverse("core:import-row", args=[batch.pk, 2])).status_code == 404
    assert client.post(reverse("core:import-row", args=[batch.pk, 2]), {"level": "low"}).status_code == 404
    assert client.post(reverse("core:import-row-leave-out", args=[batch.pk, 2])).status_code == 404
    assert fresh(batch).state == ImportBatch.State.INVALID
    assert not AuditEvent.objects.filter(object_id=str(batch.pk)).exists()


def test_a_viewer_of_the_office_gets_404_on_the_editor(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    batch = stage(istanbul, "Blue,,bad")
    client.force_login(staff(Role.VIEWER, istanbul))
    assert client.get(reverse("core:import-row", args=[batch.pk, 2])).status_code == 404


def test_the_editor_costs_the_same_queries_whatever_the_batch_size(
    caseworker_client, istanbul, django_assert_max_num_queries
):
    client, _caseworker = caseworker_client
    small = stage(istanbul, "T0,,bad")
    large = stage(istanbul, *[f"T{n},,bad" for n in range(200)])
    for batch in (small, large):
        with django_assert_max_num_queries(14):
            assert client.get(reverse("core:import-row", args=[batch.pk, 2])).status_code == 200


def test_importers_rebuild_themselves_for_a_batch_by_default():
    assert SecretImporter.for_batch(None, columns=["title"], values={}) is SecretImporter
    assert staging.Importer.for_batch(None, columns=[], values={}) is staging.Importer


def test_a_large_batch_is_checked_again_in_the_background_with_a_progress_bar(
    caseworker_client, istanbul, settings, django_capture_on_commit_callbacks, monkeypatch
):
    client, caseworker = caseworker_client
    settings.LIMAN_IMPORT_INLINE_ROWS = 2
    batch = stage(istanbul, "Blue,,low", "Green,,low", "Blue,,low")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("core:import-row", args=[batch.pk, 4]), {"title": "Red", "passport": "", "level": "low"}
        )
    progress = TaskProgress.objects.get(owner=caseworker)
    assert response["Location"] == reverse("core:import-progress", args=[progress.pk])
    page = client.get(reverse("core:import-detail", args=[batch.pk])).content.decode()
    assert "are being checked again after a correction" in page and "Commit" not in page
    # As `liman db_worker` runs it (its closing of "old" connections would close the test's own on PostgreSQL).
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert client.get(response["Location"])["Location"] == reverse("core:import-detail", args=[batch.pk])
    assert fresh(batch).state == ImportBatch.State.VALID
    assert "Ready to commit" in client.get(reverse("core:import-detail", args=[batch.pk])).content.decode()
