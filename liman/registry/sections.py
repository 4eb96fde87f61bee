"""Sections other apps add to the person page (cases, movements, assistance …), each scoped to the viewer.

An app registers `PersonSection(key, title, template, context)` in its AppConfig.ready(); `context(user, person)`
returns the template context (reading through the app's own scoped selectors), or None to hide the section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PersonSection:
    key: str
    title: str
    template: str
    context: Callable  # (user, person) -> dict | None
    order: int = 100


PERSON_SECTIONS: list[PersonSection] = []


def register(section: PersonSection) -> None:
    PERSON_SECTIONS[:] = [s for s in PERSON_SECTIONS if s.key != section.key] + [section]
    PERSON_SECTIONS.sort(key=lambda s: s.order)


def sections_for(user, person) -> list[tuple[PersonSection, dict]]:
    shown = []
    for section in PERSON_SECTIONS:
        context = section.context(user, person)
        if context is not None:
            shown.append((section, context))
    return shown


#: Sections other apps add to the household page, the same way: `context(user, household)` gives the template's
#: context (read through the app's scoped selectors), or None to hide the section.
HOUSEHOLD_SECTIONS: list[PersonSection] = []


def register_household(section: PersonSection) -> None:
    HOUSEHOLD_SECTIONS[:] = [s for s in HOUSEHOLD_SECTIONS if s.key != section.key] + [section]
    HOUSEHOLD_SECTIONS.sort(key=lambda s: s.order)


def household_sections_for(user, household) -> list[tuple[PersonSection, dict]]:
    shown = []
    for section in HOUSEHOLD_SECTIONS:
        context = section.context(user, household)
        if context is not None:
            shown.append((section, context))
    return shown
