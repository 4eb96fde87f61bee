"""The adapter every gateway is written against: Liman owns the queue, the retries, the opt-out register, the
de-duplication and the audit; a gateway is one class that hands a text over, and reads the gateway's webhooks.

A backend declares:
- `channels`: what it carries (`sms`; a WhatsApp backend would carry `whatsapp`);
- `deduplicates`: whether handing the same idempotency key over twice makes one message only. When it does, a
  message whose hand-over outcome was lost (the sender was killed between the gateway's answer and its commit) is
  handed over again with the same key; when it does not, such a message is marked failed ("outcome unknown") and
  never handed over again: at most once, never twice;
- `send(message)` → `SendResult` (accepted with the gateway's id; or refused for good, with the reason; or to be
  tried again later, with how long the gateway asked to wait);
- `parse_webhook(...)` → the delivery reports and inbound texts a gateway's callback carries.

Room for WhatsApp: its business API sends free text only within 24 hours of the person's last message, and an
approved template otherwise, and needs the person's opt-in. A WhatsApp backend would set `channels = ("whatsapp",)`,
`service_window = timedelta(hours=24)`, and map each message kind and language to its approved template
(`template_for`); the queue, consent and opt-out stay Liman's. None is configured: a person who prefers WhatsApp
is sent an SMS until one is.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class Outgoing:
    """What a backend hands over: the key the gateway de-duplicates on, the number (E.164), the text."""

    key: str
    to: str
    body: str
    channel: str = "sms"
    language: str = ""
    kind: str = ""


@dataclass(frozen=True)
class SendResult:
    accepted: bool
    provider_id: str = ""
    error: str = ""
    #: Not accepted, but may be tried again later (timeout, gateway busy or down).
    retryable: bool = False
    #: Seconds the gateway asked to wait before the next try (HTTP Retry-After).
    retry_after: float | None = None
    #: The gateway already had this key: it sent nothing new.
    duplicate: bool = False


@dataclass(frozen=True)
class DeliveryReport:
    """The gateway's word on a message it accepted: delivered to the phone, or failed (with why)."""

    provider_id: str = ""
    #: The idempotency key, when the gateway echoes it back (a report may arrive before the send was recorded).
    reference: str = ""
    delivered: bool = False
    error: str = ""


@dataclass(frozen=True)
class InboundReport:
    """A text a person sent to the mission's number."""

    number: str
    text: str
    provider_id: str = ""
    received_at: datetime.datetime | None = None


class WebhookError(ValueError):
    """A webhook body the backend cannot read (the message says what is wrong)."""


class MessageBackend:
    name = "base"
    channels: tuple[str, ...] = ("sms",)
    deduplicates = False
    #: A channel that allows free text only within a window after the person's last message (WhatsApp: 24 hours).
    service_window: datetime.timedelta | None = None

    def __init__(self, options: dict | None = None):
        self.options = dict(options or {})

    def send(self, message: Outgoing) -> SendResult:
        raise NotImplementedError

    def template_for(self, kind: str, language: str) -> str | None:
        """The gateway's approved template for a kind of message in a language (template-only channels)."""
        return None

    def send_many(
        self, messages: Sequence[Outgoing], *, concurrency: int = 1, deadline: float | None = None
    ) -> list[SendResult | None]:
        """Each message handed over, `concurrency` at a time; a message not yet started when `time.monotonic()`
        passes `deadline` is not handed over at all (None): its sender's claim would run out before the answer."""
        results: list[SendResult | None] = [None] * len(messages)

        def one(index: int) -> None:
            if deadline is not None and time.monotonic() > deadline:
                return
            try:
                results[index] = self.send(messages[index])
            except Exception as exc:  # noqa: BLE001  (a backend's bug must not lose the batch's other outcomes)
                results[index] = SendResult(False, error=f"{type(exc).__name__}: {exc}"[:300], retryable=True)

        if concurrency <= 1 or len(messages) <= 1:
            for index in range(len(messages)):
                one(index)
        else:
            with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"liman-{self.name}") as pool:
                list(pool.map(one, range(len(messages))))
        return results

    def parse_webhook(self, *, body: bytes, content_type: str, query: dict) -> list[DeliveryReport | InboundReport]:
        """Read a delivery report or an inbound text (or a list of them) from the gateway's callback.

        The default reads JSON (or form fields) with the field names of `options["webhook"]`: `id` (the gateway's
        message id), `reference` (the idempotency key), `status`, `error`, and for inbound texts `from`, `text`,
        `inbound_id`, `received_at`; `delivered` and `failed` list the status values that mean each."""
        import json
        from urllib.parse import parse_qsl

        names = {
            "id": "id", "reference": "reference", "status": "status", "error": "error", "from": "from",
            "text": "text", "inbound_id": "id", "received_at": "received_at",
            "delivered": ["delivered", "DELIVRD", "delivrd"],
            "failed": ["failed", "undelivered", "undeliv", "UNDELIV", "rejected", "REJECTD", "expired", "EXPIRED"],
        }  # fmt: skip
        names.update(self.options.get("webhook") or {})
        if "json" in content_type or body[:1] in (b"{", b"["):
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise WebhookError(f"The body is not JSON: {exc}") from None
        else:
            payload = dict(parse_qsl(body.decode("utf-8", "replace")))
            payload = payload or dict(query)
        items = payload if isinstance(payload, list) else [payload]
        events: list[DeliveryReport | InboundReport] = []
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise WebhookError(f"Item {number} is not an object.")
            events.append(_event(item, names, number))
        return events

    def close(self) -> None:
        """Let go of connections (the sender calls it when it stops)."""


def dotted(payload, path: str):
    """`payload["a"]["b"]` for the path "a.b" (None when any part is missing)."""
    value = payload
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _event(item: dict, names: dict, number: int) -> DeliveryReport | InboundReport:
    from django.utils.dateparse import parse_datetime

    text = dotted(item, names["text"])
    sender = dotted(item, names["from"])
    if text is not None and sender is not None:
        received = dotted(item, names["received_at"])
        parsed = parse_datetime(str(received)) if received else None
        return InboundReport(
            number=str(sender).strip(),
            text=str(text),
            provider_id=str(dotted(item, names["inbound_id"]) or ""),
            received_at=parsed,
        )
    status = dotted(item, names["status"])
    provider_id = str(dotted(item, names["id"]) or "")
    reference = str(dotted(item, names["reference"]) or "")
    if status is None or not (provider_id or reference):
        raise WebhookError(
            f"Item {number} is neither an inbound text (“{names['from']}” and “{names['text']}”) nor a delivery "
            f"report (“{names['status']}” with “{names['id']}” or “{names['reference']}”)."
        )
    status = str(status)
    if status in names["delivered"]:
        return DeliveryReport(provider_id=provider_id, reference=reference, delivered=True)
    if status in names["failed"]:
        error = dotted(item, names["error"])
        return DeliveryReport(provider_id=provider_id, reference=reference, error=str(error or status)[:300])
    raise WebhookError(f"Item {number}: status “{status}” is neither delivered nor failed.")


class PerThreadConnections:
    """One connection per sender thread, kept open between messages (keep-alive)."""

    def __init__(self, factory):
        self.factory = factory
        self.local = threading.local()
        self.lock = threading.Lock()
        self.opened: list = []

    def get(self):
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = self.factory()
            with self.lock:
                self.opened.append(connection)
        return connection

    def drop(self) -> None:
        connection = getattr(self.local, "connection", None)
        if connection is not None:
            self.local.connection = None
            connection.close()

    def close_all(self) -> None:
        with self.lock:
            opened, self.opened = self.opened, []
        for connection in opened:
            connection.close()
