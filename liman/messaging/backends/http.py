"""An HTTP SMS gateway: one request per message, described by options (`LIMAN_MESSAGE_OPTIONS`), e.g.

    {
      "url": "https://sms.example.net/v1/messages",
      "format": "json",                                   # or "form" (application/x-www-form-urlencoded)
      "fields": {"to": "{to}", "text": "{body}", "client_ref": "{key}", "sender": "LIMAN"},
      "headers": {"Idempotency-Key": "{key}"},             # the default
      "token": "…",                                        # Authorization: Bearer …   (or "username"/"password")
      "id_field": "data.message_id",                       # where the answer holds the gateway's id
      "timeout": 10,
      "deduplicates": true,                                # the gateway drops a second request with the same key
      "duplicate_status": [409],                           # how it answers one (then accepted, not sent again)
      "webhook": {"id": "message_id", "reference": "client_ref", "status": "status", "from": "msisdn"}
    }

Placeholders in `fields` and `headers`: {to} (E.164), {body}, {key} (the idempotency key), {language}, {kind},
{channel}. A field may be a nested object (JSON). Answers: 2xx is accepted (the id read at `id_field`); a
`duplicate_status` answer is accepted too (the gateway had the key); 408, 425, 429 and 5xx, timeouts and refused
connections are tried again later (after Retry-After when given); any other 4xx is refused for good, with the
gateway's reason.
"""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.parse import urlencode, urlsplit

from django.core.exceptions import ImproperlyConfigured

from liman.core.messages import render

from .base import MessageBackend, Outgoing, PerThreadConnections, SendResult, dotted

RETRYABLE_STATUSES = frozenset({408, 425, 429})


class HttpBackend(MessageBackend):
    name = "http"

    def __init__(self, options: dict | None = None):
        super().__init__(options)
        url = self.options.get("url", "")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(
                f"The HTTP message backend needs an http(s) URL in its options (`url`), not {url!r}."
            )
        self.parts = parts
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.method = str(self.options.get("method", "POST")).upper()
        self.format = self.options.get("format", "json")
        if self.format not in ("json", "form"):
            raise ImproperlyConfigured(f"The HTTP message backend's `format` is json or form, not {self.format!r}.")
        self.fields = self.options.get("fields") or {"to": "{to}", "text": "{body}", "reference": "{key}"}
        self.headers = self.options.get("headers") or {"Idempotency-Key": "{key}"}
        self.id_field = self.options.get("id_field", "id")
        self.timeout = float(self.options.get("timeout", 10))
        self.deduplicates = bool(self.options.get("deduplicates", True))
        self.duplicate_statuses = frozenset(int(status) for status in self.options.get("duplicate_status", [409]))
        self.auth_header = ""
        if self.options.get("token"):
            self.auth_header = f"Bearer {self.options['token']}"
        elif self.options.get("username"):
            import base64

            pair = f"{self.options['username']}:{self.options.get('password', '')}".encode()
            self.auth_header = "Basic " + base64.b64encode(pair).decode("ascii")
        self.connections = PerThreadConnections(self._connect)

    def _connect(self):
        port = self.parts.port
        if self.parts.scheme == "https":
            return http.client.HTTPSConnection(
                self.parts.hostname, port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self.parts.hostname, port, timeout=self.timeout)

    def _fill(self, template, values: dict):
        if isinstance(template, dict):
            return {name: self._fill(value, values) for name, value in template.items()}
        if isinstance(template, list):
            return [self._fill(value, values) for value in template]
        if isinstance(template, str):
            return render(template, values)
        return template

    def request_for(self, message: Outgoing) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the request that hands `message` over."""
        values = {
            "to": message.to,
            "body": message.body,
            "key": message.key,
            "language": message.language,
            "kind": message.kind,
            "channel": message.channel,
        }
        fields = self._fill(self.fields, values)
        headers = {name: str(self._fill(value, values)) for name, value in self.headers.items()}
        if self.format == "json":
            body = json.dumps(fields, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        else:
            body = urlencode({name: str(value) for name, value in fields.items()}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        headers.setdefault("Accept", "application/json")
        if self.auth_header:
            headers.setdefault("Authorization", self.auth_header)
        return body, headers

    def send(self, message: Outgoing) -> SendResult:
        body, headers = self.request_for(message)
        connection = self.connections.get()
        try:
            connection.request(self.method, self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except TimeoutError:
            self.connections.drop()
            return SendResult(False, error=f"No answer within {self.timeout:g} s.", retryable=True)
        except (OSError, http.client.HTTPException) as exc:
            self.connections.drop()
            return SendResult(False, error=f"Gateway unreachable: {type(exc).__name__}: {exc}"[:300], retryable=True)
        if response.getheader("Connection", "").lower() == "close":
            self.connections.drop()
        return self.read_answer(response.status, answer, response.getheader("Retry-After"))

    def read_answer(self, status: int, answer: bytes, retry_after: str | None = None) -> SendResult:
        text = answer.decode("utf-8", "replace")
        payload = None
        try:
            payload = json.loads(text) if text.strip() else None
        except ValueError:
            payload = None
        provider_id = dotted(payload, self.id_field) if payload is not None else None
        provider_id = "" if provider_id is None else str(provider_id)[:100]
        if 200 <= status < 300 or status in self.duplicate_statuses:
            duplicate = status in self.duplicate_statuses or bool(
                isinstance(payload, dict) and payload.get("duplicate")
            )
            note = "" if provider_id else f"The gateway's answer has no “{self.id_field}”."
            return SendResult(True, provider_id=provider_id, duplicate=duplicate, error=note)
        reason = f"HTTP {status}: {text.strip()[:250]}"
        if status in RETRYABLE_STATUSES or status >= 500:
            wait = None
            if retry_after and retry_after.strip().isdigit():
                wait = float(retry_after.strip())
            return SendResult(False, error=reason, retryable=True, retry_after=wait)
        return SendResult(False, error=reason, retryable=False)

    def close(self) -> None:
        self.connections.close_all()
