"""Gateway adapters, chosen by `LIMAN_MESSAGE_BACKEND` (`file`, `http`, or a dotted path to a `MessageBackend`)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .. import conf
from .base import DeliveryReport, InboundReport, MessageBackend, Outgoing, SendResult, WebhookError

__all__ = [
    "DeliveryReport",
    "InboundReport",
    "MessageBackend",
    "Outgoing",
    "SendResult",
    "WebhookError",
    "backend_class",
    "get_backend",
]

BUILT_IN = {
    "file": "liman.messaging.backends.file.FileBackend",
    "http": "liman.messaging.backends.http.HttpBackend",
}


def backend_class(name: str) -> type[MessageBackend]:
    path = BUILT_IN.get(name, name)
    try:
        found = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"LIMAN_MESSAGE_BACKEND={name!r} is neither {' nor '.join(BUILT_IN)} nor a class path: {exc}"
        ) from None
    if not (isinstance(found, type) and issubclass(found, MessageBackend)):
        raise ImproperlyConfigured(f"LIMAN_MESSAGE_BACKEND={name!r} is not a MessageBackend.")
    return found


def get_backend(name: str | None = None, options: dict | None = None) -> MessageBackend:
    """The configured backend (or the one named, with these options)."""
    name = name or conf.backend_name()
    return backend_class(name)(conf.options() if options is None else options)
