"""The activities section of the person page: the activities the person took part in, sessions attended and
certificates, read through the participants' own scope (an MHPSS session only for readers of the protection tier)."""

from __future__ import annotations

from liman.core.access import has_role

from . import selectors
from .permissions import ACTIVITY_READ_ROLES


def person_activities_context(user, person) -> dict | None:
    if not has_role(user, ACTIVITY_READ_ROLES):
        return None
    participations = list(selectors.person_participations(user, person)[:50])
    if not participations:
        return None
    return {"participations": participations}
