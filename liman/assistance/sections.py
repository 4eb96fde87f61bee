"""The assistance section of the person page: what the person's household received under distribution plans."""

from __future__ import annotations

from . import selectors


def person_assistance_context(user, person) -> dict | None:
    membership = getattr(person, "membership", None)
    if membership is None:
        return None
    rows = list(selectors.household_receipts(user, [membership.household_id]))
    if not rows:
        return None
    return {"entitlements": rows, "household_id": membership.household_id}
