"""Who may do what with a consignment, beyond seeing it (seeing is `Consignment.objects.visible_to`).

Warehouse staff of the hub's office plan, load and dispatch, and take a returned truck back into the hub; a programme
officer or a supervisor of the office checks the trucks at the crossing (the monitoring mechanism) and records the
handover; partner users report what their organisation distributed, for its own consignments only.
"""

from __future__ import annotations

from liman.core.access import has_role
from liman.core.choices import Role

#: Warehouse staff of the hub's office: plan, add trucks, load, dispatch, cancel, take a returned truck back.
KEEPER_ROLES = frozenset({Role.WAREHOUSE})
#: The monitoring mechanism: checks (and may hold) trucks at the crossing, records the handover to the partner.
MONITOR_ROLES = frozenset({Role.PROGRAMME_OFFICER, Role.SUPERVISOR})
#: Partner users report the distribution of their organisation's consignments.
REPORT_ROLES = frozenset({Role.PARTNER})
#: Who reads the office's consignments (partners read theirs through their organisation, see models).
READ_ROLES = KEEPER_ROLES | MONITOR_ROLES | frozenset({Role.ADMINISTRATOR, Role.VIEWER, Role.REPORTING_OFFICER})


def may_plan(user, office) -> bool:
    return has_role(user, KEEPER_ROLES, office=office)


def may_monitor(user, office) -> bool:
    return has_role(user, MONITOR_ROLES, office=office)


def acts_for(user, partner) -> bool:
    """Whether `user` is a partner user of `partner` (an active organisation, while they hold the partner role)."""
    if partner is None or not partner.is_active or not has_role(user, REPORT_ROLES):
        return False
    return partner.members.filter(pk=user.pk).exists()


def may_report(user, consignment) -> bool:
    """A member of the consignment's partner organisation holding the partner role in the hub's office (the office
    the partner works with: the staged upload and the workflow step are taken in that office)."""
    return has_role(user, REPORT_ROLES, office=consignment.office_id) and acts_for(user, consignment.partner)
