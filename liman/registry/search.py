"""Fuzzy person search across transliterations (being built)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PersonMatch:
    person: object
    score: float
    reasons: list[str] = field(default_factory=list)


def person_search(user, *, text: str = "", birth_date=None, limit: int = 20) -> list[PersonMatch]:
    from .models import Person

    people = Person.objects.visible_to(user).active()
    if text:
        people = people.filter(family_name__icontains=text)
    return [PersonMatch(person, 1.0) for person in people[:limit]]
