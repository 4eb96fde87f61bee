"""The sender: claims queued messages in batches, hands them to the gateway, records what it answered.

Why a message is never sent twice, even when a sender is killed mid-run:

1. **Claim, committed before any hand-over.** In one short transaction the sender picks due messages (PostgreSQL:
   `SELECT … FOR UPDATE SKIP LOCKED`, so two senders never pick the same row; SQLite: the transaction is
   IMMEDIATE, so senders take turns), checks each one again (the registry's consent for contact, still in force:
   a consent withdrawn after queueing stops it; opt-out of the person and of the number; the person's number
   unchanged), and marks the others with a fresh claim token, the time and `next_attempt_at` =
   the end of its claim. Messages that fail the check are not sent (state "not sent", with why).
2. **Hand-over with the message's idempotency key**, which never changes for a message (a staff retry of a failed
   one takes a new key on purpose). A gateway that de-duplicates drops a second hand-over of the same key and
   answers with the first one's id.
3. **Outcome, committed only under the claim token**: sent (with the gateway's id), failed for good (with the
   reason), or queued again after a back-off. A row whose token changed (another sender took it over) is left
   alone.

A kill between 1 and 3 leaves messages queued with a claim that runs out at `next_attempt_at`; then any sender
claims them again. If the gateway de-duplicates (`backend.deduplicates`), they are handed over again with the
same key: the gateway sends each key once, so the person gets one SMS. If it does not, a message whose earlier
hand-over may have reached the gateway is marked failed ("outcome unknown") and never handed over again: at
most once. A sender never starts a hand-over that could still be running when its claim runs out (the claim
lasts `LIMAN_MESSAGE_CLAIM_SECONDS`; a request at most twice the backend's timeout), so no two senders ever
hold the same message at once.
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core.workflows import record_state_changes

from . import conf
from .backends import MessageBackend, Outgoing, SendResult, get_backend
from .choices import MessageState
from .models import ContactPreference, Message, phone_key
from .services import SKIP_REASONS, _tier, contact_consented, contact_problem, stopped_numbers_among

#: The longest wait between two tries of a message.
MAX_BACKOFF_SECONDS = 3600


@dataclass
class SendSummary:
    claimed: int = 0
    sent: int = 0
    duplicates: int = 0
    failed: int = 0
    retrying: int = 0
    cancelled: int = 0
    released: int = 0
    unknown: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: SendSummary) -> None:
        for name in ("claimed", "sent", "duplicates", "failed", "retrying", "cancelled", "released", "unknown"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors = (self.errors + other.errors)[-20:]

    def __str__(self) -> str:
        return (
            f"{self.sent} sent ({self.duplicates} already at the gateway), {self.retrying} to try again, "
            f"{self.failed} failed, {self.cancelled} not sent, {self.unknown} outcome unknown"
        )


def backoff(attempts: int, retry_after: float | None = None) -> datetime.timedelta:
    """Wait before the next try: the first retry after LIMAN_MESSAGE_RETRY_SECONDS, each next one twice as long, at
    most an hour; at least what the gateway asked for."""
    seconds = min(MAX_BACKOFF_SECONDS, conf.retry_seconds() * 2 ** max(0, attempts - 1))
    if retry_after:
        seconds = max(seconds, min(MAX_BACKOFF_SECONDS, retry_after))
    return datetime.timedelta(seconds=seconds)


@dataclass
class Claim:
    token: str
    messages: list[Message]
    started: float
    summary: SendSummary


def claim(backend: MessageBackend, *, batch: int, now: datetime.datetime | None = None) -> Claim:
    """Take up to `batch` due messages for this sender, checking each again (see the module's docstring)."""
    # The claim runs out `claim_seconds` after this moment, however long the transaction waits for its lock: the
    # window for hand-overs is counted from here too.
    started = time.monotonic()
    now = now or timezone.now()
    token = uuid.uuid4().hex
    summary = SendSummary()
    expires = now + datetime.timedelta(seconds=conf.claim_seconds())
    with transaction.atomic():
        due = Message.objects.claimable(now).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch])
        if not ids:
            return Claim(token, [], started, summary)
        rows = list(Message.objects.filter(pk__in=ids).select_related("person").order_by("next_attempt_at", "id"))
        preferences = {
            p.person_id: p for p in ContactPreference.objects.filter(person_id__in=[m.person_id for m in rows])
        }
        stopped = stopped_numbers_among([*(m.phone for m in rows), *(m.person.phone for m in rows)])
        consented = contact_consented(m.person for m in rows)
        taken, cancelled, unknown = [], [], []
        for message in rows:
            problem = contact_problem(message.person, preferences.get(message.person_id), stopped, consented)
            if problem is None and message.phone_index in stopped:
                problem = "number_opted_out"
            if problem is None and phone_key(message.person.phone) != message.phone_index:
                problem = "phone_changed"
            if problem is not None:
                cancelled.append((message, str(SKIP_REASONS[problem])))
            elif message.claim_token and not backend.deduplicates:
                unknown.append(message)
            else:
                taken.append(message)
        if taken:
            Message.objects.filter(pk__in=[m.pk for m in taken]).update(
                claim_token=token,
                claimed_at=now,
                next_attempt_at=expires,
                attempts=F("attempts") + 1,
                backend=backend.name,
            )
            for message in taken:
                message.attempts += 1
        moves = []
        for message, reason in cancelled:
            Message.objects.filter(pk=message.pk).update(state=MessageState.CANCELLED, claim_token="", error=reason)
            moves.append((message, MessageState.CANCELLED, reason))
        if unknown:
            reason = _(
                "Outcome unknown: a sender stopped while handing it to a gateway that does not drop repeated "
                "messages, so it is not handed over again."
            )
            Message.objects.filter(pk__in=[m.pk for m in unknown]).update(
                state=MessageState.FAILED, claim_token="", failed_at=now, error=reason[:300]
            )
            moves += [(message, MessageState.FAILED, reason) for message in unknown]
        _history(moves)
    summary.claimed = len(taken)
    summary.cancelled = len(cancelled)
    summary.unknown = len(unknown)
    return Claim(token, taken, started, summary)


def _history(moves: list[tuple[Message, str, str]]) -> None:
    """State history rows for the messages that changed state, one query per reason."""
    by_reason: dict[str, list] = {}
    for message, new, reason in moves:
        by_reason.setdefault(reason, []).append(
            (message.pk, MessageState.QUEUED, new, message.person.office_id, _tier(message))
        )
    for reason, rows in by_reason.items():
        record_state_changes(Message, rows, field="state", by=None, reason=reason)


def record_outcomes(claimed: Claim, results: list[SendResult | None], *, now: datetime.datetime | None = None) -> None:
    """Write what the gateway answered, for the messages still held under this claim's token."""
    now = now or timezone.now()
    summary = claimed.summary
    with transaction.atomic():
        held = Message.objects.filter(
            pk__in=[m.pk for m in claimed.messages], claim_token=claimed.token, state=MessageState.QUEUED
        )
        if connection.features.has_select_for_update:
            held = held.select_for_update()
        mine = set(held.values_list("pk", flat=True))
        sent, failed, retry, released = [], [], [], []
        for message, result in zip(claimed.messages, results, strict=True):
            if message.pk not in mine:
                continue  # another sender took it over, a delivery report came first, or staff acted
            if result is None:
                released.append(message)
            elif result.accepted:
                message.state, message.sent_at, message.claim_token = MessageState.SENT, now, ""
                message.provider_message_id, message.error = result.provider_id, result.error[:300]
                sent.append(message)
                summary.duplicates += result.duplicate
            elif not result.retryable or message.attempts >= conf.max_attempts():
                message.state, message.failed_at, message.claim_token = MessageState.FAILED, now, ""
                message.error = result.error[:300] or _("The gateway refused it.")
                failed.append(message)
            else:
                message.claim_token, message.error = "", result.error[:300]
                message.next_attempt_at = now + backoff(message.attempts, result.retry_after)
                retry.append(message)
        at = connection.ops.adapt_datetimefield_value(now)
        _update_each(
            ["state", "sent_at", "claim_token", "provider_message_id", "error"],
            [(m.state, at, "", m.provider_message_id, m.error, m.pk) for m in sent],
        )
        _update_each(["state", "failed_at", "claim_token", "error"], [(m.state, at, "", m.error, m.pk) for m in failed])
        _update_each(
            ["claim_token", "error", "next_attempt_at"],
            [("", m.error, connection.ops.adapt_datetimefield_value(m.next_attempt_at), m.pk) for m in retry],
        )
        if released:
            # Not handed over (the claim would have run out first): due again now, the attempt not counted.
            Message.objects.filter(pk__in=[m.pk for m in released]).update(
                claim_token="", next_attempt_at=now, attempts=F("attempts") - 1
            )
        _history(
            [(m, MessageState.SENT, _("Handed to the gateway")) for m in sent]
            + [(m, MessageState.FAILED, m.error) for m in failed]
        )
    summary.sent += len(sent)
    summary.failed += len(failed)
    summary.retrying += len(retry)
    summary.released += len(released)
    summary.errors += [m.error for m in (failed + retry)[:5]]


def hand_over_window(backend: MessageBackend) -> float:
    """Seconds after its claim in which a sender may still start handing a message over: the claim, less what one
    request may take (its timeout, twice: connecting and reading) and a second for the outcome's commit."""
    timeout = float(getattr(backend, "timeout", 0) or 0)
    window = conf.claim_seconds() - 2 * timeout - 1
    if window <= 0:
        raise ImproperlyConfigured(
            f"LIMAN_MESSAGE_CLAIM_SECONDS ({conf.claim_seconds()}) must be longer than twice the gateway's timeout "
            f"({timeout:g} s) and a second: a sender would never have time to hand a message over."
        )
    return window


def _update_each(columns: list[str], rows: list[tuple]) -> None:
    """`UPDATE messaging_message SET <columns> WHERE id = …` once per row, as one executemany: the values differ by
    row (each its own gateway id), and Django's `bulk_update` builds a CASE per row and column (most of a batch's
    time at a hundred thousand messages). The statement holds only the model's own table and column names."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(Message._meta.db_table)
    assignments = ", ".join(f"{quote(Message._meta.get_field(name).column)} = %s" for name in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {quote('id')} = %s", rows)  # noqa: S608


def hand_over(backend: MessageBackend, claimed: Claim, *, concurrency: int | None = None) -> list[SendResult | None]:
    """Hand a claimed batch to the gateway (no database work: it may run in another thread)."""
    outgoing = [
        Outgoing(key=m.idempotency_key, to=m.phone, body=m.body, channel="sms", language=m.language, kind=m.kind)
        for m in claimed.messages
    ]
    # Start no hand-over that could still be running when the claim runs out (see `hand_over_window`).
    deadline = claimed.started + hand_over_window(backend)
    return backend.send_many(outgoing, concurrency=concurrency or conf.concurrency(), deadline=deadline)


def send_batch(backend: MessageBackend, *, batch: int | None = None, concurrency: int | None = None) -> SendSummary:
    """Claim one batch, hand it over, record the outcomes."""
    claimed = claim(backend, batch=batch or conf.batch_size())
    if claimed.messages:
        record_outcomes(claimed, hand_over(backend, claimed, concurrency=concurrency))
    return claimed.summary


def send_pending(
    *,
    backend: MessageBackend | None = None,
    batch: int | None = None,
    concurrency: int | None = None,
    limit: int | None = None,
    progress: Callable[[SendSummary], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SendSummary:
    """Hand over every message due now, batch after batch, until none is left (or `limit` were claimed).

    Two batches overlap: while one is with the gateway (in a thread of its own, which never touches the database),
    this thread records the outcomes of the one before and claims the next."""
    from concurrent.futures import ThreadPoolExecutor

    own = backend is None
    backend = backend or get_backend()
    hand_over_window(backend)  # refuses a claim too short for the gateway's timeout, before anything is claimed
    size = batch or conf.batch_size()
    total = SendSummary()
    in_flight = None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="liman-hand-over")

    def finish(flying) -> SendSummary:
        claimed, future = flying
        record_outcomes(claimed, future.result())
        total.add(claimed.summary)
        if progress is not None:
            progress(total)
        return claimed.summary

    try:
        while True:
            flying = len(in_flight[0].messages) if in_flight is not None else 0
            stopping = should_stop is not None and should_stop()
            may_claim = not stopping and (limit is None or total.claimed + flying < limit)
            claimed = claim(backend, batch=size) if may_claim else None
            if in_flight is not None:
                done = finish(in_flight)
                in_flight = None
                if done.claimed and done.released == done.claimed:
                    # Nothing could be handed over in time: do not spin (the next run tries again).
                    if claimed is not None:
                        total.add(_give_back(claimed))
                    break
            if claimed is None:
                break
            if not claimed.messages:
                total.add(claimed.summary)
                if claimed.summary.cancelled or claimed.summary.unknown:
                    continue  # those were checked and set aside: more may be due
                break
            in_flight = (claimed, pool.submit(hand_over, backend, claimed, concurrency=concurrency))
    finally:
        try:
            if in_flight is not None:
                finish(in_flight)
        finally:
            pool.shutdown(wait=True)
            if own:
                backend.close()
    return total


def _give_back(claimed: Claim) -> SendSummary:
    """Let go of a claimed batch that will not be handed over now (due again at once, the attempt not counted)."""
    if claimed.messages:
        record_outcomes(claimed, [None] * len(claimed.messages))
    return claimed.summary


def next_due_at() -> datetime.datetime | None:
    """When the next queued message falls due (a retry, a claim running out), if any is waiting."""
    return (
        Message.objects.filter(state=MessageState.QUEUED)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
