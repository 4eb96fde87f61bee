"""Development: every message is written as one JSON line to var/messages/outbox.jsonl (option `path`) instead of
being sent; with `echo`, it is also printed. Nothing leaves the machine.

It de-duplicates like a real gateway: a key already in the file is answered with the id it got the first time, and
nothing is written again. The file is locked while a key is looked up and written, so several senders (processes)
can share it.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import MessageBackend, Outgoing, SendResult


class FileBackend(MessageBackend):
    name = "file"
    deduplicates = True

    def __init__(self, options: dict | None = None):
        super().__init__(options)
        self.path = Path(self.options.get("path") or Path(settings.VAR_DIR) / "messages" / "outbox.jsonl")
        self.echo = bool(self.options.get("echo"))
        self.seen: dict[str, str] = {}
        self.offset = 0
        self.lock = threading.Lock()

    def _catch_up(self, handle) -> None:
        """Read the lines other senders wrote since we last looked."""
        handle.seek(self.offset)
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill: its key was never answered
            self.seen[entry["key"]] = entry["id"]
        self.offset = handle.tell()

    def send(self, message: Outgoing) -> SendResult:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "r+", encoding="utf-8") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    self._catch_up(handle)
                    if message.key in self.seen:
                        return SendResult(True, provider_id=self.seen[message.key], duplicate=True)
                    provider_id = f"file-{message.key[:16]}"
                    entry = {
                        "at": timezone.now().isoformat(),
                        "id": provider_id,
                        "key": message.key,
                        "to": message.to,
                        "channel": message.channel,
                        "kind": message.kind,
                        "language": message.language,
                        "body": message.body,
                    }
                    handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
                    handle.flush()
                    self.offset = handle.tell()
                    self.seen[message.key] = provider_id
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        if self.echo:
            sys.stdout.write(f"[{message.kind} → {message.to}] {message.body}\n")
        return SendResult(True, provider_id=provider_id)
