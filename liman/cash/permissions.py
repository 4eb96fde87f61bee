"""Who does what with cash: programme officers prepare, a cash approver (never the preparer) approves."""

from __future__ import annotations

from liman.core.access import has_role
from liman.core.choices import Role

#: Prepare: programmes, rules, targeting, enrolment, draft lists, verification, export, reconciliation.
CASH_PREPARE_ROLES = frozenset({Role.PROGRAMME_OFFICER})
#: Approve a verified list (four eyes: the approver never prepared it).
CASH_APPROVE_ROLES = frozenset({Role.CASH_APPROVER})
#: Who reads cash programmes, lists and payments of their offices.
CASH_READ_ROLES = CASH_PREPARE_ROLES | CASH_APPROVE_ROLES | frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})


def may_prepare(user, office) -> bool:
    return has_role(user, CASH_PREPARE_ROLES, office=office)


def may_approve(user, office) -> bool:
    return has_role(user, CASH_APPROVE_ROLES, office=office)
