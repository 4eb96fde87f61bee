"""The cash sections of the person and household pages: the household's enrolments and payment history, for cash
roles of the household's office only (read through the scoped selectors), each payment with a link to record a
complaint about it (the feedback form, the payment named as what it is about)."""

from __future__ import annotations

from liman.core.access import has_role

from . import selectors
from .permissions import CASH_READ_ROLES


def _complaints(user) -> bool:
    from liman.feedback.permissions import FEEDBACK_RECORD_ROLES

    return has_role(user, FEEDBACK_RECORD_ROLES)


def _household_cash(user, household_id: int, complainant: str) -> dict | None:
    if not has_role(user, CASH_READ_ROLES):
        return None
    enrolments = list(selectors.household_enrolments(user, [household_id]))
    payments = list(selectors.household_payments(user, [household_id])[:24])
    if not enrolments and not payments:
        return None
    return {
        "enrolments": enrolments,
        "payments": payments,
        "may_complain": _complaints(user),
        "complainant": complainant,
    }


def person_cash_context(user, person) -> dict | None:
    membership = getattr(person, "membership", None)
    if membership is None:
        return None
    return _household_cash(user, membership.household_id, person.reference)


def household_cash_context(user, household) -> dict | None:
    head = household.head if household.head_id else None
    return _household_cash(user, household.pk, head.reference if head is not None else "")
