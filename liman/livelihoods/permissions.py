"""Who runs grants, who sits on the committee and who reads them. The committee approves what someone else prepared
(four eyes, enforced in the services); a panel member who declared a conflict of interest does not score."""

from __future__ import annotations

from liman.core.access import has_role
from liman.core.choices import Role

#: Who opens calls, registers applications, sets up the panel, signs agreements, records milestones and visits.
GRANT_MANAGE_ROLES = frozenset({Role.PROGRAMME_OFFICER, Role.SUPERVISOR})
#: Who approves or rejects on the committee (never what they prepared themselves).
GRANT_APPROVE_ROLES = frozenset({Role.SUPERVISOR, Role.CASH_APPROVER})
#: Who records a tranche as paid.
GRANT_PAY_ROLES = frozenset({Role.CASH_APPROVER, Role.PROGRAMME_OFFICER, Role.SUPERVISOR})
#: Who may sit on a scoring panel.
PANEL_ROLES = frozenset({Role.PROGRAMME_OFFICER, Role.SUPERVISOR, Role.CASH_APPROVER, Role.CASEWORKER})
#: Who reads the office's grants.
GRANT_READ_ROLES = (
    GRANT_MANAGE_ROLES | GRANT_APPROVE_ROLES | PANEL_ROLES | frozenset({Role.VIEWER, Role.ADMINISTRATOR,
                                                                        Role.REPORTING_OFFICER})
)  # fmt: skip


def may_manage(user, office) -> bool:
    return has_role(user, GRANT_MANAGE_ROLES, office=office)


def may_approve(user, office) -> bool:
    return has_role(user, GRANT_APPROVE_ROLES, office=office)
