"""The cash section of the person page: the person's household's enrolments and payment history, for cash roles
of the household's office only (read through the scoped selectors)."""

from __future__ import annotations

from liman.core.access import has_role

from . import selectors
from .permissions import CASH_READ_ROLES


def person_cash_context(user, person) -> dict | None:
    membership = getattr(person, "membership", None)
    if membership is None or not has_role(user, CASH_READ_ROLES):
        return None
    household_id = membership.household_id
    enrolments = list(selectors.household_enrolments(user, [household_id]))
    payments = list(selectors.household_payments(user, [household_id])[:24])
    if not enrolments and not payments:
        return None
    return {"enrolments": enrolments, "payments": payments}
