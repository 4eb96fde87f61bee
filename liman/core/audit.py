"""The append-only, hash-chained audit log.

Each event's hash covers its own fields and the previous event's hash, so altering or
removing a row breaks the chain from that point; `liman audit verify` recomputes it.
Events are written in the same transaction as the change they describe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC

from django.db import models, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
REDACTED = "[encrypted]"


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
        "object_repr": event.object_repr,
        "changes": event.changes,
        "reason": event.reason,
        "ip_address": event.ip_address,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


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
) -> AuditEvent:
    """Append one event to the chain (inside the caller's transaction, if any)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
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
            prev_hash=head.hash,
        )
        event.hash = event_hash(event)
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


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
    """Recompute the chain; return what is broken, the first problem first (empty: intact)."""
    total = AuditEvent.objects.count()
    expected_seq, expected_prev, seen = 1, GENESIS_HASH, 0
    problems: list[ChainProblem] = []
    events: Iterable[AuditEvent] = AuditEvent.objects.order_by("seq").iterator(chunk_size=batch)
    for event in events:
        if event.seq != expected_seq:
            problems.append(
                ChainProblem(event.seq, f"event #{expected_seq} is missing (the next one present is #{event.seq})")
            )
        elif event.prev_hash != expected_prev:
            problems.append(ChainProblem(event.seq, f"event #{event.seq} does not link to the event before it"))
        if event_hash(event) != event.hash:
            problems.append(ChainProblem(event.seq, f"event #{event.seq} was altered after it was written"))
        if problems:
            return problems
        expected_seq, expected_prev = event.seq + 1, event.hash
        seen += 1
        if progress and (seen % batch == 0 or seen == total):
            progress(seen, total)
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        problems.append(ChainProblem(head.seq, f"event #{head.seq} is missing: the chain ends at #{last_seq}"))
    if progress:
        progress(total, total)
    return problems
