"""Who may do what with stock, beyond seeing it (seeing is `visible_to`, limited to `STOCK_READ_ROLES`)."""

from __future__ import annotations

from liman.core.access import has_role
from liman.core.choices import Role

#: Who adds items to the shared catalogue (any office's warehouse staff, administrators).
CATALOGUE_ROLES = frozenset({Role.WAREHOUSE, Role.ADMINISTRATOR})
#: Warehouse staff receive, dispatch, count and report losses.
STOCK_KEEPER_ROLES = frozenset({Role.WAREHOUSE})
#: A transfer is received by whoever keeps the receiving location: a warehouse, a mobile team's van, a
#: distribution site.
TRANSFER_RECEIVE_ROLES = frozenset({Role.WAREHOUSE, Role.MOBILE_TEAM, Role.DISTRIBUTION})
#: Stock leaves for a distribution or an incident through these roles.
ISSUE_ROLES = frozenset({Role.WAREHOUSE, Role.MOBILE_TEAM, Role.DISTRIBUTION})
#: A loss is reported by who keeps the stock (the van's crew too) ...
LOSS_REPORT_ROLES = frozenset({Role.WAREHOUSE, Role.MOBILE_TEAM})
#: ... and written off by a second person acting as warehouse manager (never the reporter).
LOSS_APPROVER_ROLES = frozenset({Role.WAREHOUSE, Role.SUPERVISOR, Role.ADMINISTRATOR})
#: Everyone who reads stock: the above, and programme officers and viewers.
STOCK_READ_ROLES = (
    STOCK_KEEPER_ROLES
    | TRANSFER_RECEIVE_ROLES
    | ISSUE_ROLES
    | LOSS_APPROVER_ROLES
    | frozenset({Role.PROGRAMME_OFFICER, Role.VIEWER})
)

#: Who plans distributions and selects the households entitled.
DISTRIBUTION_PLAN_ROLES = frozenset({Role.PROGRAMME_OFFICER, Role.DISTRIBUTION, Role.SUPERVISOR})
#: Who opens a distribution: the warehouse releases the goods to the site.
DISTRIBUTION_OPEN_ROLES = frozenset({Role.WAREHOUSE})
#: Who verifies households and records receipts at the site.
DISTRIBUTION_RECORD_ROLES = frozenset({Role.DISTRIBUTION})
#: Who closes a distribution (what is left goes back to the warehouse).
DISTRIBUTION_CLOSE_ROLES = frozenset({Role.DISTRIBUTION, Role.PROGRAMME_OFFICER, Role.SUPERVISOR})
#: Who reads distributions.
DISTRIBUTION_READ_ROLES = (
    DISTRIBUTION_PLAN_ROLES
    | DISTRIBUTION_OPEN_ROLES
    | DISTRIBUTION_RECORD_ROLES
    | frozenset({Role.ADMINISTRATOR, Role.VIEWER})
)


#: Who reads the mobile teams' field incidents: the teams, their supervisors and administrators, programme officers
#: and viewers of the office.
INCIDENT_READ_ROLES = frozenset(
    {Role.MOBILE_TEAM, Role.SUPERVISOR, Role.ADMINISTRATOR, Role.PROGRAMME_OFFICER, Role.VIEWER}
)
#: Who records an incident (and the items given from the van with it).
INCIDENT_RECORD_ROLES = frozenset({Role.MOBILE_TEAM, Role.SUPERVISOR})


def may_record_incident(user, office) -> bool:
    return has_role(user, INCIDENT_RECORD_ROLES, office=office)


def may_keep_stock(user, office) -> bool:
    return has_role(user, STOCK_KEEPER_ROLES, office=office)


def may_receive_transfer(user, office) -> bool:
    return has_role(user, TRANSFER_RECEIVE_ROLES, office=office)


def may_issue(user, office) -> bool:
    return has_role(user, ISSUE_ROLES, office=office)


def may_report_loss(user, office) -> bool:
    return has_role(user, LOSS_REPORT_ROLES, office=office)


def may_approve_loss(user, loss) -> bool:
    return user.pk != loss.reported_by_id and has_role(user, LOSS_APPROVER_ROLES, office=loss.office_id)


def may_plan_distribution(user, office) -> bool:
    return has_role(user, DISTRIBUTION_PLAN_ROLES, office=office)


def may_record_receipt(user, office) -> bool:
    return has_role(user, DISTRIBUTION_RECORD_ROLES, office=office)
