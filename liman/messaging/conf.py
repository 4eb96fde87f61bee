"""Messaging settings: read from Django's settings when set there, else from the environment (same names), with safe
development defaults. A bad value fails loudly, naming the setting.

    LIMAN_MESSAGE_BACKEND          file (development: writes under var/messages/) or http, or a dotted class path
    LIMAN_MESSAGE_OPTIONS          the backend's options, JSON (LIMAN_MESSAGE_OPTIONS_FILE: a file holding it)
    LIMAN_MESSAGE_WEBHOOK_TOKEN    the shared secret delivery reports and inbound texts must carry (…_FILE too)
    LIMAN_MESSAGE_BATCH            messages a sender claims at once (100)
    LIMAN_MESSAGE_CONCURRENCY      requests a sender has open at once (4)
    LIMAN_MESSAGE_MAX_ATTEMPTS     hand-overs before a message that keeps failing is marked failed (6)
    LIMAN_MESSAGE_RETRY_SECONDS    wait before the first retry; each next one waits twice as long, up to an hour (60)
    LIMAN_MESSAGE_CLAIM_SECONDS    how long a sender holds the messages it claimed; a sender that died is taken over
                                   after this (300)
    LIMAN_MESSAGE_INBOUND_OFFICE   office code for inbound texts from an unknown number (default: the country office)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_MISSING = object()


def _raw(name: str):
    value = getattr(settings, name, _MISSING)
    if value is not _MISSING:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    value = os.environ.get(name, "")
    return value if value != "" else _MISSING


def text(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is _MISSING else str(value)


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    value = _raw(name)
    if value is _MISSING:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below {minimum}.")
    return number


def options() -> dict:
    value = _raw("LIMAN_MESSAGE_OPTIONS")
    if value is _MISSING or value in ("", None):
        return {}
    if isinstance(value, dict):
        return dict(value)
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"LIMAN_MESSAGE_OPTIONS is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured("LIMAN_MESSAGE_OPTIONS must be a JSON object of the backend's options.")
    return parsed


def backend_name() -> str:
    return text("LIMAN_MESSAGE_BACKEND", "file")


def webhook_token() -> str:
    return text("LIMAN_MESSAGE_WEBHOOK_TOKEN", "")


def batch_size() -> int:
    return integer("LIMAN_MESSAGE_BATCH", 100, minimum=1)


def concurrency() -> int:
    return integer("LIMAN_MESSAGE_CONCURRENCY", 4, minimum=1)


def max_attempts() -> int:
    return integer("LIMAN_MESSAGE_MAX_ATTEMPTS", 6, minimum=1)


def retry_seconds() -> int:
    return integer("LIMAN_MESSAGE_RETRY_SECONDS", 60, minimum=1)


def claim_seconds() -> int:
    return integer("LIMAN_MESSAGE_CLAIM_SECONDS", 300, minimum=5)


def inbound_office_code() -> str:
    return text("LIMAN_MESSAGE_INBOUND_OFFICE", "")
