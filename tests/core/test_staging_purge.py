"""The purge of abandoned imports: staged rows (a file's personal data) of batches neither committed nor discarded
within LIMAN_STAGING_KEEP_DAYS are deleted by `liman import purge` and its background task; each purge is
audited and the batch stays as a discarded record of the upload."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent, ImportBatch, StagedRow
from liman.core.staging import abandoned_batches, import_commit, import_purge, import_purge_task
from tests.core.test_staging import report, secret_importer, stage  # noqa: F401 (a fixture)
from tests.factories import staff

pytestmark = pytest.mark.django_db


def uploaded_days_ago(batch, days: float) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))
    return ImportBatch.objects.get(pk=batch.pk)


@pytest.fixture
def batches(istanbul):
    """An invalid and a valid batch left for 15 days, one of 13 days, and one committed 30 days ago."""
    return {
        "old_invalid": uploaded_days_ago(stage(istanbul, "Blue,,bad", name="old-invalid.csv"), 15),
        "old_valid": uploaded_days_ago(stage(istanbul, "Blue,U1234567,low", name="old-valid.csv"), 15),
        "recent": uploaded_days_ago(stage(istanbul, "Blue,,low", name="recent.csv"), 13),
        "committed": uploaded_days_ago(import_commit(batch=stage(istanbul, "Red,,high"), by=None), 30),
    }


def state(batch) -> str:
    return ImportBatch.objects.get(pk=batch.pk).state


def test_batches_left_uncommitted_longer_than_the_setting_lose_their_rows(batches, settings):
    settings.LIMAN_STAGING_KEEP_DAYS = 14
    purged = import_purge()
    assert sorted(batch.file_name for batch in purged) == ["old-invalid.csv", "old-valid.csv"]
    for name in ("old_invalid", "old_valid"):
        assert state(batches[name]) == ImportBatch.State.DISCARDED
        assert not StagedRow.objects.filter(batch=batches[name]).exists()
    assert state(batches["recent"]) == ImportBatch.State.VALID
    assert StagedRow.objects.filter(batch=batches["recent"]).count() == 1
    # A committed batch keeps its report.
    assert report(batches["committed"]) == [(2, "level", "High secrets need a second look.", False)]


def test_the_keep_days_default_to_14(batches):
    assert {batch.file_name for batch in abandoned_batches()} == {"old-invalid.csv", "old-valid.csv"}


def test_the_setting_shortens_or_lengthens_the_wait(batches, settings):
    settings.LIMAN_STAGING_KEEP_DAYS = 30
    assert import_purge() == []
    settings.LIMAN_STAGING_KEEP_DAYS = 10
    assert len(import_purge()) == 3


def test_each_purged_batch_is_audited_with_the_reason(batches):
    caseworker = staff(Role.CASEWORKER, batches["recent"].office)
    import_purge(by=caseworker)
    events = AuditEvent.objects.filter(action=AuditAction.UPDATE).order_by("seq")
    assert [event.object_id for event in events] == [str(batches["old_invalid"].pk), str(batches["old_valid"].pk)]
    assert events[0].changes == {"state": ["invalid", "discarded"]}
    assert events[0].reason == "Purged: not committed within 14 days of its upload."
    assert events[0].actor == caseworker


def test_a_second_purge_finds_nothing_left(batches):
    import_purge()
    assert import_purge() == []


def test_the_background_task_purges(batches):
    result = import_purge_task.call()
    assert sorted(result["purged"]) == sorted([str(batches["old_invalid"].pk), str(batches["old_valid"].pk)])


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command("import", "purge", *args, stdout=out, **options)
    return out.getvalue()


def test_the_command_purges_and_lists_what_it_purged(batches):
    out = run()
    assert "old-invalid.csv" in out and "old-valid.csv" in out and "recent.csv" not in out
    assert "2 imports left uncommitted for more than 14 days purged." in out
    assert state(batches["old_valid"]) == ImportBatch.State.DISCARDED


def test_the_command_takes_another_number_of_days(batches):
    out = run(older_than=12)
    assert "3 imports left uncommitted for more than 12 days purged." in out
    assert state(batches["recent"]) == ImportBatch.State.DISCARDED


def test_the_command_dry_run_lists_and_deletes_nothing(batches):
    out = run(dry_run=True)
    assert "2 imports left uncommitted for more than 14 days would be purged (dry run; nothing was deleted)." in out
    assert state(batches["old_valid"]) == ImportBatch.State.VALID
    assert StagedRow.objects.filter(batch=batches["old_valid"]).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_the_command_refuses_a_negative_number_of_days(batches):
    with pytest.raises(CommandError, match="--older-than takes a number of days, 0 or more."):
        run(older_than=-1)


def test_an_import_still_needs_its_file_and_office():
    with pytest.raises(CommandError, match="Give the file and the office"):
        call_command("import", "people")
