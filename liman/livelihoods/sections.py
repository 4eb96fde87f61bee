"""The livelihoods section of the person page: the grant applications the person owns, their job-seeker profile,
placements (with the 3- and 6-month follow-ups) and work permits."""

from __future__ import annotations

from . import selectors


def person_grants_context(user, person) -> dict | None:
    applications = list(selectors.person_grants(user, person)[:20])
    employment = selectors.person_employment(user, person)
    if not applications and not (employment.get("seeker") or employment.get("placements") or employment.get("permits")):
        return None
    return {"applications": applications, **employment}
