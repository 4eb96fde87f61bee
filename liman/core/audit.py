"""The append-only, keyed, hash-chained audit log.

Each event's seal is an HMAC-SHA256, under a key held outside the database (`LIMAN_AUDIT_KEY`), of its own
fields and the previous event's seal: altering, removing or re-sealing a row without the key breaks the chain
from that point; `liman audit verify` recomputes it, and checks it against signed chain heads an operator
exported earlier (`liman audit anchor`). Events are written in the same transaction as the change they describe.

Each event carries the tier of the record it is about; a reader outside that tier sees who did what to which
record and which fields changed, never the values, the record's name or the reason (`present`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import bulk, crypto
from .access import record_tier, strictest, tiers_of
from .choices import AuditAction
from .models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
REDACTED = "[encrypted]"
#: What a purged record's events keep of their record's name (their changes and reason are emptied).
PURGED = "[purged]"
#: What a reader outside the record's tier sees in place of a value.
WITHHELD = _("[withheld]")


def _payload(event: AuditEvent) -> bytes:
    """The part of an event a purge may take out: the record's name, the values changed and the reason."""
    payload = {"object_repr": event.object_repr, "changes": event.changes, "reason": event.reason}
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def payload_digest(event: AuditEvent) -> str:
    """The digest the seal covers in place of the payload: computed from the payload (and its random nonce) while
    the event holds it, the stored one once a purge has redacted it."""
    if event.redacted_by is not None:
        return event.payload_digest
    return hashlib.sha256(bytes.fromhex(event.payload_nonce or "") + _payload(event)).hexdigest()


def _seal_payload(event: AuditEvent) -> None:
    event.payload_nonce = os.urandom(16).hex()
    event.payload_digest = payload_digest(event)


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "office_id": event.office_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "payload": payload_digest(event),
        "ip_address": event.ip_address,
        "sensitivity": event.sensitivity,
        "key_id": event.key_id,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event: AuditEvent) -> str:
    """The event's seal under the audit key it names (KeyError when that key is not configured)."""
    return crypto.audit_seal(_canonical(event), key_id=event.key_id)[1]


def _office_of(obj) -> int | None:
    if obj is None:
        return None
    from .models import Office

    if isinstance(obj, Office):
        return obj.pk
    return getattr(obj, "office_id", None)


def record(
    action: str,
    *,
    actor=None,
    obj: models.Model | None = None,
    office=None,
    changes: dict | None = None,
    reason: str = "",
    ip_address: str = "",
    actor_username: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    sensitivity: str | None = None,
) -> AuditEvent:
    """Append one event to the chain (inside the caller's transaction, if any).

    The event takes the tier of `obj` (its model's scope), or the stricter `sensitivity` given (an event about
    several records, a record already deleted)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    tier = strictest([record_tier(obj) if obj is not None else "normal", sensitivity or "normal"])
    key_id = next(iter(crypto.audit_keys()))
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"hash": GENESIS_HASH})
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor=actor,
            actor_username=(actor.get_username() if actor is not None else actor_username)[:150],
            office_id=getattr(office, "pk", office) if office is not None else _office_of(obj),
            action=action,
            object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
            object_id=object_id or (str(obj.pk) if obj is not None else ""),
            object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
            changes=json_safe(changes or {}),
            reason=reason,
            ip_address=ip_address or "",
            sensitivity=tier,
            key_id=key_id,
            prev_hash=head.hash,
        )
        _seal_payload(event)
        event.hash = event_hash(event)
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


def record_many(
    action: str, objects: Iterable[models.Model], *, actor=None, reason: str = "", changes: Callable | None = None
) -> list[AuditEvent]:
    """One event per record, chained exactly as `record` chains them, written in bulk (imports, the demo).

    `changes(obj)` gives each event's diff; by default the record's fields as created."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    changes = changes or (lambda obj: diff({}, snapshot(obj)))
    key_id = next(iter(crypto.audit_keys()))
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"hash": GENESIS_HASH})
        seq, previous, at = head.seq, head.hash, timezone.now()
        events = []
        for obj in objects:
            seq += 1
            event = AuditEvent(
                seq=seq,
                at=at,
                actor=actor,
                actor_username=actor.get_username() if actor is not None else "",
                office_id=_office_of(obj),
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                changes=json_safe(changes(obj)),
                reason=reason,
                sensitivity=record_tier(obj),
                key_id=key_id,
                prev_hash=previous,
            )
            _seal_payload(event)
            event.hash = previous = event_hash(event)
            events.append(event)
        bulk.insert_objects(events)  # keys not read back: the chain orders events by seq
        head.seq, head.hash = seq, previous
        head.save(update_fields=["seq", "hash"])
    return events


def json_safe(value):
    """Keep the diff as plain strings so every database returns exactly what was hashed."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if value is None:
        return None
    return str(value)


class _Sealed(str):
    """Stands for an encrypted value in a snapshot: a digest to notice a change, never shown or stored."""


def snapshot(obj: models.Model) -> dict[str, object]:
    """Field values of a record, for a before/after diff; encrypted values are never copied out."""
    from .fields import BlindIndexField, EncryptedTextField

    values: dict[str, object] = {}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        if isinstance(field, EncryptedTextField):
            values[field.name] = _Sealed(hashlib.sha256(str(value).encode()).hexdigest() if value else "")
        elif isinstance(field, BlindIndexField):
            continue
        else:
            values[field.name] = None if value is None else field.value_to_string(obj)
    return values


def diff(before: dict[str, object], after: dict[str, object]) -> dict[str, list]:
    """`{field: [old, new]}` for each field that changed; encrypted fields show only that they changed."""
    changed = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            if isinstance(old, _Sealed) or isinstance(new, _Sealed):
                changed[name] = [REDACTED, REDACTED]
            else:
                changed[name] = [old, new]
    return changed


@dataclass
class ChainProblem:
    seq: int | None
    message: str


def verify(progress: Callable[[int, int], None] | None = None, batch: int = 2000) -> list[ChainProblem]:
    """Recompute the chain; return what is broken, the first problem first (empty: intact).

    Events keep being written while the chain is read: the head is read before the events (the chain must reach
    and pass through it) and again after them (no event may lie beyond it), so an event written meanwhile is not
    taken for a missing one."""
    head_before = AuditChainHead.objects.filter(pk=1).first()
    hash_at_head = GENESIS_HASH
    total = AuditEvent.objects.count()
    expected_seq, expected_prev, seen = 1, GENESIS_HASH, 0
    problems: list[ChainProblem] = []
    redacted: dict[int, int] = {}
    events: Iterable[AuditEvent] = AuditEvent.objects.order_by("seq").iterator(chunk_size=batch)
    for event in events:
        if event.redacted_by is not None:
            redacted[event.seq] = event.redacted_by
            if (event.object_repr, event.changes, event.reason, event.payload_nonce) != (PURGED, {}, "", ""):
                problems.append(ChainProblem(event.seq, f"event #{event.seq} was altered after it was redacted"))
        if event.seq != expected_seq:
            problems.append(
                ChainProblem(event.seq, f"event #{expected_seq} is missing (the next one present is #{event.seq})")
            )
        elif event.prev_hash != expected_prev:
            problems.append(ChainProblem(event.seq, f"event #{event.seq} does not link to the event before it"))
        try:
            sealed = event_hash(event)
        except KeyError:
            problems.append(
                ChainProblem(event.seq, f"event #{event.seq} names audit key {event.key_id!r}, which is not configured")
            )
        else:
            if sealed != event.hash:
                problems.append(ChainProblem(event.seq, f"event #{event.seq} was altered after it was written"))
        if problems:
            return problems
        expected_seq, expected_prev = event.seq + 1, event.hash
        if head_before is not None and event.seq == head_before.seq:
            hash_at_head = event.hash
        seen += 1
        if progress and (seen % batch == 0 or seen == total):
            progress(seen, total)
    problems += _unauthorised_redactions(redacted)
    if problems:
        return problems
    head_after = AuditChainHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head_before is not None and head_before.seq > last_seq:
        problems.append(
            ChainProblem(head_before.seq, f"event #{head_before.seq} is missing: the chain ends at #{last_seq}")
        )
    elif head_before is not None and head_before.seq and hash_at_head != head_before.hash:
        problems.append(ChainProblem(head_before.seq, f"event #{head_before.seq} is not the head the chain recorded"))
    elif head_after is not None and head_after.seq < last_seq:
        problems.append(
            ChainProblem(last_seq, f"events after #{head_after.seq}, up to #{last_seq}, bypassed the chain's head")
        )
    elif head_after is not None and head_after.seq == last_seq and head_after.hash != expected_prev:
        problems.append(ChainProblem(last_seq, f"event #{last_seq} is not the head the chain recorded"))
    if progress:
        progress(total, total)
    return problems


# --- what a reader may see of an event -------------------------------------------------------------------------


def client_address(request) -> str:
    """The address a request came from, as audit events keep it."""
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def may_read(event: AuditEvent, user) -> bool:
    """Whether `user` may read the values of `event`: they read its record's tier in its office."""
    return event.sensitivity in tiers_of(user, office=event.office_id)


def present(events: Iterable[AuditEvent], user) -> list[AuditEvent]:
    """The events as `user` may read them: outside the record's tier, the record's name, the values changed and
    the reason are withheld (the fields that changed stay named). Sets `withheld` on each event, in memory only."""
    shown = []
    for event in events:
        event.withheld = not may_read(event, user)
        if event.withheld:
            event.object_repr = str(WITHHELD)
            event.reason = str(WITHHELD) if event.reason else ""
            event.changes = {field: [str(WITHHELD), str(WITHHELD)] for field in (event.changes or {})}
        shown.append(event)
    return shown


def record_read(user, records: Iterable[models.Model], *, reason: str, ip_address: str = "") -> AuditEvent | None:
    """One VIEW event for a list of records read at once, when any of them is above the normal tier.

    Lists the references (or ids) of every sensitive record returned, so an audit can tell who read whose file."""
    records = list(records)
    if not records:
        return None
    tiers = _tiers_of_records(records)
    sensitive = [record for record in records if tiers[_key(record)] != "normal"]
    if not sensitive:
        return None
    first = sensitive[0]
    offices = {getattr(record, "office_id", None) for record in sensitive}
    return record(
        AuditAction.VIEW,
        actor=user,
        office=offices.pop() if len(offices) == 1 else None,
        object_type=first._meta.label_lower,
        object_id=str(first.pk) if len(sensitive) == 1 else "",
        object_repr=f"{len(sensitive)} {first._meta.verbose_name_plural}",
        changes={"returned": [str(getattr(item, "reference", "") or item.pk) for item in sensitive]},
        reason=reason,
        ip_address=ip_address,
        sensitivity=strictest(tiers[_key(item)] for item in sensitive),
    )


def _key(record: models.Model) -> tuple:
    return type(record), record.pk


def _tiers_of_records(records: list[models.Model]) -> dict:
    """Each record's tier by (model, primary key): read from the objects when the tier is their own field, else in
    one query per model along the scope's paths (never one query per record). A list may mix models (a person's
    page reads several kinds of records at once), and a record the default manager hides is read from the object."""
    tiers: dict = {}
    by_model: dict[type, list[models.Model]] = {}
    for record in records:
        by_model.setdefault(type(record), []).append(record)
    for model, group in by_model.items():
        scope = getattr(model, "scope", None)
        paths = scope.sensitivity_paths if scope is not None else ()
        if any("__" in path for path in paths):
            rows = model._base_manager.filter(pk__in=[record.pk for record in group]).values_list("pk", *paths)
            tiers.update(((model, row[0]), strictest(row[1:])) for row in rows)
        for record in group:
            if _key(record) not in tiers:
                tiers[_key(record)] = record_tier(record)
    return tiers


# --- signed chain heads ----------------------------------------------------------------------------------------


def _anchor_message(seq: int, hash_: str) -> bytes:
    return f"liman-audit-anchor\x00{seq}\x00{hash_}".encode()


def anchor() -> dict:
    """The chain's head, signed with the newest audit key: kept outside the server, a later `verify` checks that
    the chain still passes through it (a rewrite of history before it, even with the key, is found)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    seq, hash_ = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    key_id, signature = crypto.audit_seal(_anchor_message(seq, hash_))
    return {
        "seq": seq,
        "hash": hash_,
        "at": timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "key_id": key_id,
        "signature": signature,
    }


def check_anchor(anchor: dict) -> list[ChainProblem]:
    """Problems between the chain and one exported head (empty: the chain still passes through it)."""
    try:
        seq, hash_, key_id, signature = int(anchor["seq"]), str(anchor["hash"]), anchor["key_id"], anchor["signature"]
    except (KeyError, TypeError, ValueError):
        return [ChainProblem(None, "the anchor is not a chain head exported by `liman audit anchor`")]
    try:
        expected = crypto.audit_seal(_anchor_message(seq, hash_), key_id=key_id)[1]
    except KeyError:
        return [ChainProblem(seq, f"the anchor of event #{seq} is signed with audit key {key_id!r}, not configured")]
    if not hmac.compare_digest(expected.encode(), str(signature).encode()):
        return [ChainProblem(seq, f"the anchor of event #{seq} has a wrong signature (it was not exported here)")]
    if seq == 0:
        return []
    event = AuditEvent.objects.filter(seq=seq).first()
    if event is None:
        return [ChainProblem(seq, f"event #{seq}, anchored earlier, is missing")]
    if hash_ not in (event.hash, event.legacy_hash):
        return [ChainProblem(seq, f"event #{seq} is not the event anchored earlier: the chain was rewritten")]
    return []


# --- redaction by a purge --------------------------------------------------------------------------------------


def seq_ranges(seqs: Iterable[int]) -> list[str]:
    """Event numbers as compact ranges ("12-40", "57"), as a purge event lists the events it redacted."""
    ranges: list[str] = []
    start = end = None
    for seq in sorted(set(seqs)):
        if end is not None and seq == end + 1:
            end = seq
            continue
        if start is not None:
            ranges.append(f"{start}-{end}" if end != start else str(start))
        start = end = seq
    if start is not None:
        ranges.append(f"{start}-{end}" if end != start else str(start))
    return ranges


def _in_ranges(seq: int, ranges: Iterable[str]) -> bool:
    for item in ranges:
        low, _, high = str(item).partition("-")
        try:
            if int(low) <= seq <= int(high or low):
                return True
        except ValueError:
            continue
    return False


def _unauthorised_redactions(redacted: dict[int, int]) -> list[ChainProblem]:
    """A redacted event must be listed, under its seal, by the later purge event that redacted it: a payload
    emptied by anyone else (without the key) shows."""
    if not redacted:
        return []
    found = AuditEvent.objects.filter(seq__in=set(redacted.values()), action=AuditAction.PURGE, redacted_by=None)
    purges = {event.seq: event for event in found}
    for seq, by in sorted(redacted.items()):
        purge = purges.get(by)
        if purge is None or purge.seq <= seq or not _in_ranges(seq, (purge.changes or {}).get("redacted", [])):
            return [ChainProblem(seq, f"event #{seq} was redacted without a purge that lists it")]
    return []


def events_about(targets: dict[str, Iterable]) -> list[int]:
    """Numbers of the events (other than purges) still holding a payload about the records given, as
    `{model label (lower case): primary keys}`."""
    seqs: list[int] = []
    for label, pks in targets.items():
        keys = sorted({str(pk) for pk in pks})
        for start in range(0, len(keys), 500):
            seqs += (
                AuditEvent.objects.filter(
                    object_type=label.lower(), object_id__in=keys[start : start + 500], redacted_by=None
                )
                .exclude(action=AuditAction.PURGE)
                .values_list("seq", flat=True)
            )
    return sorted(set(seqs))


def redact(seqs: Iterable[int], *, by: AuditEvent) -> int:
    """Replace the payload of events `seqs` by the purge marker (their digest stays, so the chain verifies). `by`
    is the purge event, already written, that lists them (`seq_ranges`) in its own sealed changes."""
    seqs = sorted(set(seqs))
    if by.action != AuditAction.PURGE or any(not _in_ranges(seq, by.changes.get("redacted", [])) for seq in seqs):
        raise ValueError("A purge event must list every event it redacts.")
    done = 0
    # The only write to an existing event, past the append-only manager: the digest already holds what the seal needs.
    raw_events = models.QuerySet(model=AuditEvent)
    for start in range(0, len(seqs), 500):
        done += raw_events.filter(seq__in=seqs[start : start + 500], seq__lt=by.seq, redacted_by=None).update(
            object_repr=PURGED, changes={}, reason="", payload_nonce="", redacted_by=by.seq
        )
    return done
