"""Counts other apps add to the comparison of a duplicate pair (the cases app: each person's cases), so that the
reviewer sees what a merge would bring together.

The apps that hold these records come after dedup and are never imported by it: an app registers
`PersonCount(key, label, counts)` in its AppConfig.ready(); `counts(user, person_ids)` returns `{person id: count}`
read through the app's own scoping (a person with none may be left out).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PersonCount:
    key: str
    label: str
    counts: Callable  # (user, person_ids) -> dict[int, int]
    order: int = 100


PERSON_COUNTS: list[PersonCount] = []


def register(count: PersonCount) -> None:
    PERSON_COUNTS[:] = [c for c in PERSON_COUNTS if c.key != count.key] + [count]
    PERSON_COUNTS.sort(key=lambda c: c.order)


def counts_for(user, person_ids: list[int]) -> dict[str, dict[int, int]]:
    """Each registered count, by key, for every person asked for (0 where the app found none)."""
    found = {}
    for count in PERSON_COUNTS:
        counts = dict.fromkeys(person_ids, 0)
        counts.update(count.counts(user, person_ids))
        found[count.key] = counts
    return found
