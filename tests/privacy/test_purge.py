"""The purge on the whole demo: figures unchanged, no purged value left anywhere, holds kept, the chain intact."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from liman.core import audit, retention
from liman.core.choices import AuditAction, Role
from liman.core.fields import EncryptedTextField
from liman.core.models import AuditEvent, ImportBatch, Office, StagedRow, StateChange
from liman.privacy import services as privacy
from liman.privacy.models import PurgedRecord, RetentionSchedule
from tests.factories import staff
from tests.reporting import conftest as _reporting

pytestmark = pytest.mark.django_db

# The reporting tests' fixtures: months, their 3RP mappings, and households served in a district.
mappings, months, served = _reporting.mappings, _reporting.months, _reporting.served

#: Far enough ahead that every clock of the demo has run out.
FUTURE = datetime.date(2100, 1, 1)

CANARIES = {
    "first": "Qzcanaryfirstname",
    "family": "Qzcanaryfamilyname",
    "renamed": "Qzcanaryrenamed",
    "phone": "+905329871357",
    "passport": "QZ7788991",
    "vulnerability": "Qzcanaryvulnerabilitynote",
    "file": "Qzcanaryfilecontent",
    "note": "Qzcanarycasenote",
    "closing": "Qzcanaryclosingreason",
    "feedback": "Qzcanaryfeedbacksaid",
    "contact": "Qzcanaryfeedbackcontact",
    "staged": "Qzcanarystagedrow",
    "address": "Qzcanaryaddressline",
}
HELD = "Qzheldcasenote"


def raw_database_text() -> dict[str, str]:
    """Every value of every table, as the database returns it (no decryption), lower-cased, by table."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names)
            parts = []
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    parts.append(str(value))
            tables[f"raw {table}"] = "\n".join(parts).lower()
    return tables


def decrypted_text() -> str:
    """Every encrypted field of every model, decrypted."""
    parts = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            for row in model._base_manager.values_list(*names):
                parts.extend(str(value) for value in row)
    return "\n".join(parts).lower()


def media_text() -> str:
    """Every file of the media folder, as stored and decrypted."""
    parts = []
    root = Path(settings.MEDIA_ROOT)
    for path in root.rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("latin-1"))
            with default_storage.open(str(path.relative_to(root))) as handle:
                parts.append(handle.read().decode("latin-1"))
    return "\n".join(parts).lower()


def everything() -> dict[str, str]:
    return {**raw_database_text(), "decrypted": decrypted_text(), "media": media_text()}


def found(value: str, texts: dict[str, str] | None = None) -> list[str]:
    """Where `value` is still held: the raw database, a decrypted field, the media folder."""
    texts = texts or everything()
    return [where for where, text in texts.items() if value.lower() in text]


def plant(office: Office):
    """A person, a closed case, closed feedback and a staged import of `office`, each carrying canary values (some
    of them also in audit diffs, state history reasons and a file), and a held closed case."""
    from liman.cases import services as cases
    from liman.registry import services as registry

    caseworker = staff(Role.CASEWORKER, office, username="purge-caseworker")
    supervisor = staff(Role.SUPERVISOR, office, username="purge-supervisor")
    person = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=CANARIES["first"],
            family_name=CANARIES["family"],
            sex="F",
            nationality="SYR",
            birth_date=datetime.date(1990, 5, 1),
            phone=CANARIES["phone"],
            identifiers=[registry.IdentifierInput(type="passport", value=CANARIES["passport"])],
        ),
        by=caseworker,
    )
    registry.person_update(person=person, changes={"family_name": CANARIES["renamed"]}, by=caseworker)
    registry.vulnerability_add(person=person, type="single_parent", note=CANARIES["vulnerability"], by=caseworker)
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 " + CANARIES["file"].encode(), content_type="application/pdf")
    attachment = registry.attachment_add(person=person, kind="identity_document", upload=upload, by=caseworker)

    case = cases.case_open(person=person, type="protection", by=caseworker)
    cases.case_note_add(case=case, kind="note", text=CANARIES["note"], by=caseworker)
    cases.case_transition(
        case=case, to_state="closed", by=caseworker, reason=CANARIES["closing"], closure_reason="lost_contact"
    )

    other = registry.person_register(
        office=office,
        data=registry.PersonInput(first_name="Heldperson", family_name="Kept", sex="M", nationality="AFG"),
        by=caseworker,
    )
    held_case = cases.case_open(person=other, type="protection", by=caseworker)
    cases.case_note_add(case=held_case, kind="note", text=HELD, by=caseworker)
    cases.case_transition(case=held_case, to_state="closed", by=caseworker, reason="done", closure_reason="goals_met")
    admin = staff(Role.ADMINISTRATOR, None, username="purge-admin")
    privacy.hold_place(kind="cases.closed_case", reference=held_case.reference, reason="investigation", by=admin)

    closed_feedback(office, caseworker, supervisor)

    batch = ImportBatch.objects.create(office=office, kind="people", file_name=f"{CANARIES['staged']}.csv")
    StagedRow.objects.create(batch=batch, row_number=1, data=f'{{"first_name": "{CANARIES["staged"]}"}}')
    return {"person": person, "case": case, "held_case": held_case, "admin": admin, "attachment": attachment}


def closed_feedback(office, desk, handler):
    from liman.feedback import services as feedback

    said = feedback.feedback_record(
        office=office, channel="hotline", category="payment", summary=CANARIES["feedback"],
        contact=CANARIES["contact"], by=desk,
    )  # fmt: skip
    feedback.feedback_triage(feedback=said, priority="high", by=handler)
    feedback.feedback_assign(feedback=said, to=handler, by=handler)
    feedback.feedback_resolve(feedback=said, resolution="paid", by=handler)
    feedback.feedback_respond(feedback=said, response="told", by=handler)
    return feedback.feedback_close(feedback=said, by=handler)


def figures(offices, months):
    """The 4W of each month: stored rows for a locked one, computed live (with the year to date) otherwise."""
    from liman.reporting import fourw

    ids = [office.pk for office in offices]
    return {
        month: ([vars(line) for line in fourw.office_lines(month, ids)], fourw.year_to_date(month, ids))
        for month in months
    }


def schedule_everything():
    """Every kind on, with a day's period; the audit log's own kind off, so what takes the purged values out of the
    audit payloads is the redaction of the purged records' events, not the expiry of every event."""
    for kind in retention.kinds():
        active = kind.key != "core.audit_event"
        privacy.schedule_set(kind=kind.key, days=1, action=kind.default_action, is_active=active, by=None)


WORLD = "Qzworld"


def build_worlds(office):
    """The records the access walk builds, of the apps whose kinds purge, in `office` (text carries WORLD)."""
    from liman.cases.models import Case
    from liman.cash.models import Payment
    from liman.dtm.models import Submission
    from liman.feedback.models import Feedback
    from liman.health.models import HealthAssessment
    from liman.messaging.models import Message
    from tests.factories import SCOPED_FACTORIES

    for model in (Case, Feedback, Message, Submission, Payment, HealthAssessment, StagedRow):
        SCOPED_FACTORIES[model](office, WORLD)


def test_the_purge_keeps_the_figures_leaves_no_purged_value_and_keeps_what_is_held(
    istanbul, izmir, mappings, months, served, django_capture_on_commit_callbacks
):
    from liman.registry import services as registry
    from liman.reporting import services as reporting

    locked, last = months
    planted = plant(istanbul)
    person = planted["person"]
    household = registry.household_create(
        office=istanbul, head=person, district=served.district, address=CANARIES["address"], by=None
    )
    served(locked.replace(day=3), household)
    served(locked.replace(day=5))
    served(last.replace(day=4))
    officer = staff(Role.REPORTING_OFFICER, istanbul, username="purge-reporting")
    reporting.fourw_submit(month=locked, office=istanbul, by=officer)
    build_worlds(izmir)
    attachment_path = Path(settings.MEDIA_ROOT) / planted["attachment"].file.name
    assert attachment_path.exists()
    texts = everything()
    for value in CANARIES.values():
        assert found(value, texts), f"{value} was not planted"
    # An audit diff holds the name in clear: the hard case.
    assert "raw core_auditevent" in found(CANARIES["renamed"], texts)
    assert found(f"{WORLD} payment complaint", texts) and found(f"{WORLD} protected complaint", texts)
    before = figures([istanbul, izmir], months)
    people = {month: sum(line["women"] + line["men"] + line["girls"] + line["boys"] for line in lines[0])
              for month, lines in before.items()}  # fmt: skip
    assert people[locked] > 0 and people[last] > 0
    schedule_everything()
    audit_count = AuditEvent.objects.count()

    # A dry run counts by kind, and changes nothing.
    dry = privacy.run(dry_run=True, today=FUTURE)
    assert {o.kind.key for o in dry} == {kind.key for kind in retention.kinds()} - {"core.audit_event"}
    assert all(o.purged == 0 for o in dry) and sum(o.due for o in dry) > 0
    assert AuditEvent.objects.count() == audit_count
    assert found(CANARIES["note"]) and PurgedRecord.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):  # files go once the purge commits
        outcomes = privacy.run(dry_run=False, by=planted["admin"], today=FUTURE)
    by_kind = {o.kind.key: o for o in outcomes}
    assert by_kind["cases.closed_case"].held == 1 and by_kind["registry.person"].held >= 1
    assert by_kind["registry.person"].purged > 0 and by_kind["cases.closed_case"].purged > 0

    # Figures of the locked month and of the live month are exactly as they were.
    assert figures([istanbul, izmir], months) == before

    # No purged value anywhere: raw tables (audit payloads, state history, staged rows), decrypted fields, media.
    texts = everything()
    leftovers = {value: found(value, texts) for value in [*CANARIES.values(), f"{WORLD} payment complaint"]}
    assert {value: where for value, where in leftovers.items() if where} == {}
    assert not attachment_path.exists()
    # What was not due is kept: the protected complaint is still open.
    assert found(f"{WORLD} protected complaint", texts)

    # What is held is whole, and so is its person.
    assert found(HELD, texts)
    held = planted["held_case"]
    held.refresh_from_db()
    assert held.notes.get().text == HELD and held.person.first_name == "Heldperson"

    # The anonymised person keeps what the figures count.
    person.refresh_from_db()
    assert (person.sex, person.nationality, person.birth_date, person.office_id) == (
        "F", "SYR", datetime.date(1990, 5, 1), istanbul.pk
    )  # fmt: skip
    assert person.identifiers.count() == 0 and person.search_keys.count() == 0

    # The chain verifies; the purge events name kind and count, never a value; redacted events are marked.
    assert audit.verify() == []
    purges = AuditEvent.objects.filter(action=AuditAction.PURGE)
    assert purges.count() == len([o for o in outcomes if o.purged])
    redacted = AuditEvent.objects.exclude(redacted_by=None)
    assert redacted.filter(object_type="registry.person", object_id=str(person.pk)).exists()
    # Events about what was held or not due keep their payload.
    kept = AuditEvent.objects.filter(object_type="cases.case", object_id=str(held.pk), redacted_by=None)
    assert kept.exists() and AuditEvent.objects.filter(redacted_by=None).exclude(action=AuditAction.PURGE).exists()
    history = StateChange.objects.filter(content_type__model="case", object_id=str(planted["case"].pk))
    assert history.count() == 2 and not history.exclude(reason="").exists()

    # A second run finds nothing more to do (the anonymised records are not taken again).
    again = privacy.run(dry_run=True, today=FUTURE)
    assert {o.kind.key: o.due - o.held for o in again}["cases.closed_case"] == 0

    # Lifting the hold lets the next run take the case, and its person.
    from liman.privacy.models import LegalHold

    hold = LegalHold.objects.get(object_id=str(held.pk))
    privacy.hold_lift(hold=hold, reason="investigation over", by=planted["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        privacy.run(dry_run=False, today=FUTURE, kinds=["cases.closed_case", "registry.person"])
    assert found(HELD) == [] and found("Heldperson") == [] and audit.verify() == []


def test_the_command_prints_by_kind_and_count_and_a_dry_run_changes_nothing(capsys, istanbul):
    desk = staff(Role.CASEWORKER, istanbul, username="cmd-desk")
    said = closed_feedback(istanbul, desk, staff(Role.SUPERVISOR, istanbul, username="cmd-supervisor"))
    call_command("retention", "run", "--dry-run")
    assert "No retention schedule is active" in capsys.readouterr().out
    privacy.schedule_set(kind="feedback.feedback", days=1, action="anonymise", is_active=True, by=None)
    from liman.feedback.models import Feedback

    Feedback.objects.filter(pk=said.pk).update(closed_at=said.closed_at - datetime.timedelta(days=3))
    events = AuditEvent.objects.count()
    call_command("retention", "run", "--dry-run")
    assert "feedback.feedback: 1 would go (anonymise" in capsys.readouterr().out
    assert AuditEvent.objects.count() == events and found(CANARIES["feedback"])
    call_command("retention", "run")
    assert "feedback.feedback: 1 purged" in capsys.readouterr().out
    assert not found(CANARIES["feedback"]) and audit.verify() == []
    assert RetentionSchedule.objects.get().is_active


def test_the_background_task_runs_the_schedules(istanbul):
    from liman.core.services import task_progress_start
    from liman.privacy.tasks import retention_run

    progress = task_progress_start(name="retention", owner=None)
    result = retention_run.call(str(progress.pk), dry_run=True)
    assert result == {"dry_run": True, "kinds": []}
    progress.refresh_from_db()
    assert progress.state == "succeeded"


def test_an_unknown_kind_is_refused_by_name():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown kind"):
        call_command("retention", "run", "--kind", "nothing.here")
