import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from liman.core import audit
from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent
from liman.core.services import record_create, record_delete, record_update
from tests.factories import staff
from tests.vault.models import Secret

pytestmark = pytest.mark.django_db


def last_event():
    return AuditEvent.objects.order_by("-seq").first()


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_create_update_delete_are_audited_with_a_field_diff(istanbul):
    user = staff(Role.CASEWORKER, istanbul)
    record = record_create(Secret(office=istanbul, title="first", note="private"), by=user)
    created = last_event()
    assert (created.action, created.actor, created.office, created.object_id) == (
        "create",
        user,
        istanbul,
        str(record.pk),
    )
    assert created.changes["title"] == [None, "first"]
    assert created.changes["note"] == ["[encrypted]", "[encrypted]"]

    record_update(record, by=user, changes={"title": "second"}, reason="typo in title")
    updated = last_event()
    assert (updated.action, updated.changes, updated.reason) == (
        "update",
        {"title": ["first", "second"]},
        "typo in title",
    )

    record_delete(record, by=user, reason="registered by mistake")
    assert last_event().action == "delete"


def test_the_diff_never_holds_encrypted_plaintext(istanbul):
    record = record_create(Secret(office=istanbul, title="t", note="trafficking details"), by=None)
    record_update(record, by=None, changes={"note": "new details"})
    dumped = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert "trafficking details" not in dumped and "new details" not in dumped
    assert last_event().changes == {"note": ["[encrypted]", "[encrypted]"]}


def test_logins_and_failed_logins_are_audited(client, istanbul):
    user = staff(Role.VIEWER, istanbul)
    client.post(reverse("core:login"), {"username": user.username, "password": "wrong-password"})
    failed = last_event()
    assert (failed.action, failed.actor_username, failed.actor) == (AuditAction.LOGIN_FAILED, user.username, None)
    client.post(reverse("core:login"), {"username": user.username, "password": "correct-horse-battery"})
    assert (last_event().action, last_event().actor) == (AuditAction.LOGIN, user)


def test_events_cannot_be_changed_or_deleted_through_the_app(istanbul):
    event = audit.record("update", office=istanbul, object_type="x", object_id="1")
    event.reason = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(reason="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_each_event_links_to_the_one_before():
    first = audit.record("update", object_type="x", object_id="1")
    second = audit.record("update", object_type="x", object_id="2")
    assert second.prev_hash == first.hash and second.seq == first.seq + 1
    assert audit.event_hash(second) == second.hash


def make_chain(n=5):
    return [audit.record("update", object_type="core.test", object_id=str(i), reason=f"event {i}") for i in range(n)]


def test_verify_exits_0_on_an_intact_chain(capsys):
    make_chain()
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out


def test_verify_names_the_first_altered_event():
    events = make_chain()
    raw("UPDATE core_auditevent SET reason = %s WHERE seq = %s", ["nothing happened", events[2].seq])
    with pytest.raises(CommandError, match=f"#{events[2].seq}") as failure:
        call_command("audit", "verify")
    assert failure.value.returncode == 1
    assert audit.verify()[0].message == f"event #{events[2].seq} was altered after it was written"


def test_verify_names_a_removed_event():
    events = make_chain()
    raw("DELETE FROM core_auditevent WHERE seq = %s", [events[1].seq])
    problems = audit.verify()
    assert problems[0].message.startswith(f"event #{events[1].seq} is missing")


def test_verify_notices_the_last_event_removed():
    events = make_chain()
    raw("DELETE FROM core_auditevent WHERE seq = %s", [events[-1].seq])
    assert f"#{events[-1].seq} is missing" in audit.verify()[0].message


def test_an_event_written_while_the_chain_is_read_is_not_taken_for_a_missing_one():
    """Verification runs beside the writers (the scheduled job, the page's task): an event appended after the
    events were read but before the chain's head was read once failed the scheduled check on two servers."""
    make_chain()
    written = []

    def concurrent_writer(seen, total):
        if seen == total and not written:
            written.append(audit.record("update", object_type="core.test", object_id="late", reason="meanwhile"))

    assert audit.verify(progress=concurrent_writer) == []
    assert written and audit.verify() == []


def test_verify_notices_an_event_appended_without_the_chains_head():
    events = make_chain()
    raw("UPDATE core_auditchainhead SET seq = %s, hash = %s", [events[-2].seq, events[-2].hash])
    assert audit.verify()[0].message == (
        f"events after #{events[-2].seq}, up to #{events[-1].seq}, bypassed the chain's head"
    )


def test_verify_notices_a_rehashed_row_that_no_longer_links():
    """Someone who rewrites a row and its own hash still breaks the link to the next event."""
    events = make_chain()
    target = AuditEvent.objects.get(seq=events[1].seq)
    target.reason = "forged"
    forged_hash = audit.event_hash(target)
    raw("UPDATE core_auditevent SET reason = %s, hash = %s WHERE seq = %s", ["forged", forged_hash, target.seq])
    assert audit.verify()[0].seq == events[2].seq


def test_liman_audit_verify_console_script_exit_status(tmp_path):
    """The installed `liman` command on a real database file: 0 when intact, 1 and the event after tampering."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    liman = Path(sys.executable).with_name("liman")
    database = tmp_path / "audit.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "LIMAN_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def liman_run(*args):
        return subprocess.run([str(liman), *args], env=env, capture_output=True, text=True, timeout=120)

    assert liman_run("migrate", "-v0").returncode == 0
    write = "from liman.core import audit\nfor i in range(3): audit.record('update', object_type='t', object_id=str(i))"
    assert liman_run("shell", "-c", write).returncode == 0
    intact = liman_run("audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert "intact: 3 events" in intact.stdout

    with sqlite3.connect(database) as db:
        db.execute("UPDATE core_auditevent SET object_id = '99' WHERE seq = 2")
    broken = liman_run("audit", "verify")
    assert broken.returncode == 1
    assert "event #2 was altered" in broken.stderr


def test_audit_page_needs_the_administrator_role(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    assert client.get(reverse("core:audit-list")).status_code == 404


def test_audit_page_lists_events_of_the_administrators_office(client, istanbul, izmir, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    audit.record("update", office=istanbul, object_type="vault.secret", object_repr="Istanbul record")
    audit.record("update", office=izmir, object_type="vault.secret", object_repr="Izmir record")
    client.force_login(staff(Role.ADMINISTRATOR, istanbul))
    page = client.get(reverse("core:audit-list")).content.decode()
    assert "Istanbul record" in page and "Izmir record" not in page


# --- the keyed chain and its anchors ---------------------------------------------------------------------------


def test_a_row_rewritten_and_resealed_with_sha256_is_found(istanbul):
    """Recomputing the hashes without the audit key (as plain SHA-256 of the same fields) no longer passes."""
    import hashlib

    events = make_chain()
    target = AuditEvent.objects.get(seq=events[-1].seq)
    target.reason = "forged"
    resealed = hashlib.sha256(audit._canonical(target)).hexdigest()
    raw("UPDATE core_auditevent SET reason = %s, hash = %s WHERE seq = %s", ["forged", resealed, target.seq])
    raw("UPDATE core_auditchainhead SET hash = %s", [resealed])
    assert audit.verify()[0].message == f"event #{target.seq} was altered after it was written"


def test_events_sealed_with_an_older_key_still_verify_after_rotation(settings):
    from liman.core import crypto

    make_chain()
    settings.LIMAN_AUDIT_KEY = ["a-new-audit-key-after-rotation-0123456789", *settings.LIMAN_AUDIT_KEY]
    crypto.forget_keys()
    audit.record("update", object_type="t", object_id="after")
    assert len(set(AuditEvent.objects.values_list("key_id", flat=True))) == 2
    assert audit.verify() == []
    settings.LIMAN_AUDIT_KEY = settings.LIMAN_AUDIT_KEY[:1]
    crypto.forget_keys()
    assert "not configured" in audit.verify()[0].message
    crypto.forget_keys()


def test_an_anchor_finds_history_rewritten_by_someone_holding_the_key(tmp_path):
    """Even with the key, a chain rewritten before an exported head no longer passes through that head."""
    events = make_chain()
    anchor_file = tmp_path / "head.json"
    call_command("audit", "anchor", output=str(anchor_file))
    call_command("audit", "verify", anchor=[str(anchor_file)])

    # Rewrite event 2 and re-seal every event after it with the real key: the chain alone is intact again.
    rows = list(AuditEvent.objects.order_by("seq"))
    previous = audit.GENESIS_HASH
    for event in rows:
        if event.seq == events[1].seq:
            event.reason = "rewritten"
        event.prev_hash = previous
        event.hash = previous = audit.event_hash(event)
        raw(
            "UPDATE core_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [event.reason, event.prev_hash, event.hash, event.seq],
        )
    raw("UPDATE core_auditchainhead SET hash = %s", [previous])
    assert audit.verify() == []
    with pytest.raises(CommandError, match="broken") as failure:
        call_command("audit", "verify", anchor=[str(anchor_file)])
    assert failure.value.returncode == 1


def test_a_forged_anchor_is_refused(tmp_path):
    import json

    make_chain()
    head = audit.anchor()
    head["signature"] = "0" * 64
    assert "wrong signature" in audit.check_anchor(head)[0].message
    (tmp_path / "bad.json").write_text(json.dumps(head))
    with pytest.raises(CommandError):
        call_command("audit", "verify", anchor=[str(tmp_path / "bad.json")])


# --- what a reader outside the record's tier sees --------------------------------------------------------------


def test_events_about_a_protection_record_withhold_values_from_a_normal_tier_administrator(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    secret = record_create(
        Secret(office=istanbul, title="Exploited in a textile workshop", sensitivity="protection"), by=None
    )
    event = last_event()
    assert event.sensitivity == "protection"
    client.force_login(staff(Role.ADMINISTRATOR, istanbul))
    for url in (
        reverse("core:audit-detail", args=[event.seq]),
        reverse("core:audit-list"),
        f"/api/audit-events/{event.seq}/",
    ):
        body = client.get(url).content.decode()
        assert "textile" not in body, url
    shown = client.get(f"/api/audit-events/{event.seq}/").json()
    assert shown["withheld"] is True and "title" in shown["changes"]
    assert str(secret.pk) == shown["object_id"]
