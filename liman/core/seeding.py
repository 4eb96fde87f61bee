"""Where each app declares its demo seeders, by dotted path: `liman seed` imports them when it runs, so the demo's
name lists, generators and seeders stay out of every web process and worker (tests/core/test_lazy_imports.py)."""

from __future__ import annotations

import random
from collections.abc import Callable

from django.utils.module_loading import import_string

Seeder = Callable[[random.Random, int], None]

#: (name, dotted path of the seeder), run in app order by `liman seed`, each with the same random generator.
SEEDERS: list[tuple[str, str]] = []
#: Seeders that read what every app seeded (messages to the lists the apps offer): run after all of SEEDERS.
LAST_SEEDERS: list[tuple[str, str]] = []
#: Dotted paths of functions giving the lines each app adds to what `liman seed` prints (field-user logins, …).
LOGIN_NOTES: list[str] = []


def register_seeder(name: str, path: str, *, last: bool = False, before: str | None = None) -> None:
    """`last`: run after every app's own seeder, whatever the order of the apps; `before`: run before the seeder of
    that name if it is registered (else at the end of the app seeders)."""
    registry = LAST_SEEDERS if last else SEEDERS
    if name in {existing for existing, _ in registry}:
        return
    names = [existing for existing, _ in registry]
    registry.insert(names.index(before) if before in names else len(registry), (name, path))


def register_login_notes(path: str) -> None:
    if path not in LOGIN_NOTES:
        LOGIN_NOTES.append(path)


def seeders() -> list[tuple[str, Seeder]]:
    return [(name, import_string(path)) for name, path in [*SEEDERS, *LAST_SEEDERS]]


def login_notes() -> list[Callable[[], list[str]]]:
    return [import_string(path) for path in LOGIN_NOTES]


def demo_username(role: str, office_code: str) -> str:
    return f"{role.replace('_', '-')}.{office_code.lower()}"
