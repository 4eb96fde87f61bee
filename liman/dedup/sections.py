"""The "possible duplicates" section of the person page: the person's pairs the viewer may see (both people)."""

from __future__ import annotations

from . import permissions, selectors

#: Pairs listed on a person page; the queue has the rest.
SHOWN = 10


def person_duplicates_context(user, person) -> dict | None:
    if not permissions.may_see_pairs(user):
        return None
    pairs = list(selectors.match_pairs_for(user, person=person)[:SHOWN])
    if not pairs:
        return None
    rows = [{"pair": pair, "other": pair.other(person.pk)} for pair in pairs]
    return {"rows": rows, "person": person, "may_review": permissions.may_review(user)}
