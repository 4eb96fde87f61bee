"""Redacting the payload of audit events keeps the chain verifiable, and tampering is still found."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection, models

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def empty_as_a_purge_would(seq, *, by):
    """Write to the table directly (past the append-only manager), as someone with database access could."""
    models.QuerySet(model=AuditEvent).filter(seq=seq).update(
        object_repr=audit.PURGED, changes={}, reason="", payload_nonce="", redacted_by=by
    )


def chain(n=5):
    return [
        audit.record("update", object_type="core.test", object_id=str(i), object_repr=f"Name {i}",
                     changes={"family_name": [f"Old{i}", f"New{i}"]}, reason=f"reason {i}")
        for i in range(n)
    ]  # fmt: skip


def purge_of(seqs):
    event = audit.record(AuditAction.PURGE, object_type="core.test", changes={"redacted": audit.seq_ranges(seqs)})
    audit.redact(seqs, by=event)
    return event


def test_a_redacted_event_keeps_no_value_and_the_chain_verifies():
    events = chain()
    purge_of([events[1].seq, events[2].seq])
    redacted = AuditEvent.objects.get(seq=events[1].seq)
    assert (redacted.object_repr, redacted.changes, redacted.reason, redacted.payload_nonce) == (
        audit.PURGED,
        {},
        "",
        "",
    )
    assert audit.verify() == []
    assert AuditEvent.objects.get(seq=events[3].seq).changes == {"family_name": ["Old3", "New3"]}


def test_an_unredacted_event_altered_is_still_found():
    events = chain()
    purge_of([events[1].seq])
    raw("UPDATE core_auditevent SET reason = %s WHERE seq = %s", ["nothing happened", events[3].seq])
    assert audit.verify()[0].message == f"event #{events[3].seq} was altered after it was written"


def test_a_payload_emptied_without_a_purge_is_found():
    """Someone without the key cannot pass off a removed payload as a purge: no sealed purge event lists it."""
    events = chain()
    target = events[2].seq
    empty_as_a_purge_would(target, by=events[4].seq)
    assert audit.verify()[0].message == f"event #{target} was redacted without a purge that lists it"


def test_a_purge_listing_other_events_does_not_cover_this_one():
    events = chain()
    purge = purge_of([events[0].seq])
    empty_as_a_purge_would(events[3].seq, by=purge.seq)
    assert audit.verify()[0].message == f"event #{events[3].seq} was redacted without a purge that lists it"


def test_a_redacted_event_given_a_new_payload_is_found():
    events = chain()
    purge_of([events[1].seq])
    raw("UPDATE core_auditevent SET reason = %s WHERE seq = %s", ["planted later", events[1].seq])
    assert audit.verify()[0].message == f"event #{events[1].seq} was altered after it was redacted"


def test_the_digest_of_a_redacted_event_cannot_be_changed():
    events = chain()
    purge_of([events[1].seq])
    raw("UPDATE core_auditevent SET payload_digest = %s WHERE seq = %s", ["0" * 64, events[1].seq])
    assert audit.verify()[0].message == f"event #{events[1].seq} was altered after it was written"


def test_redact_refuses_events_the_purge_does_not_list():
    events = chain()
    purge = audit.record(AuditAction.PURGE, object_type="core.test", changes={"redacted": [str(events[0].seq)]})
    with pytest.raises(ValueError, match="must list"):
        audit.redact([events[1].seq], by=purge)
    other = audit.record("update", object_type="core.test", changes={"redacted": [str(events[1].seq)]})
    with pytest.raises(ValueError, match="must list"):
        audit.redact([events[1].seq], by=other)


def test_seq_ranges_are_compact_and_read_back():
    assert audit.seq_ranges([5, 1, 2, 3, 9, 10]) == ["1-3", "5", "9-10"]
    assert audit._in_ranges(2, ["1-3"]) and not audit._in_ranges(4, ["1-3", "5"])


def test_the_migration_seals_digests_of_existing_events_and_old_anchors_still_check():
    """The core migration gives every event a payload digest and re-seals the chain over it; a chain head exported
    before still checks (its seal is kept as the legacy hash)."""
    migration = importlib.import_module("liman.core.migrations.0010_audit_payload_digest")
    chain()
    before = audit.anchor()
    old = dict(AuditEvent.objects.values_list("seq", "hash"))
    migration.seal_payload_digests(django_apps, None)
    events = list(AuditEvent.objects.order_by("seq"))
    assert all(event.payload_nonce and event.payload_digest for event in events)
    assert {event.seq: event.legacy_hash for event in events} == old
    assert audit.verify() == [] and audit.check_anchor(before) == []
    assert audit.check_anchor(audit.anchor()) == []
    # The re-sealed chain still finds a change, and can be purged.
    purge_of([events[0].seq])
    assert audit.verify() == []
    raw("UPDATE core_auditevent SET reason = %s WHERE seq = %s", ["forged", events[2].seq])
    assert "altered" in audit.verify()[0].message
