"""The cases section of the person page: the person's cases the viewer sees, and a link to open one."""

from __future__ import annotations

from . import selectors


def person_cases_context(user, person) -> dict | None:
    cases = list(selectors.person_cases(user, person))
    may_open = selectors.may_open_case(user, person)
    if not cases and not may_open:
        return None
    return {"cases": cases, "may_open": may_open, "person": person}
