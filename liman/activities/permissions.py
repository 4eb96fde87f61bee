"""Who runs activities, who reads them and who reads their counts. Who attended an MHPSS session is protection-tier:
the participants' own scope keeps them from roles that do not read that tier, whoever runs the activity."""

from __future__ import annotations

from liman.core.access import has_role
from liman.core.choices import Role

#: Staff who plan activities, enrol participants, take attendance and issue certificates.
ACTIVITY_MANAGE_ROLES = frozenset({Role.PROGRAMME_OFFICER, Role.SUPERVISOR, Role.CASEWORKER, Role.MOBILE_TEAM})
#: Who reads the office's activities (each reads the participants of the tiers their role reads).
ACTIVITY_READ_ROLES = ACTIVITY_MANAGE_ROLES | frozenset({Role.VIEWER, Role.ADMINISTRATOR, Role.REPORTING_OFFICER})
#: Who reads the counts for reporting (people reached by sex, age and population group; cells from k up).
COUNTS_ROLES = ACTIVITY_READ_ROLES
#: Who records equipment handed over to institutions.
EQUIPMENT_ROLES = frozenset({Role.PROGRAMME_OFFICER, Role.SUPERVISOR, Role.WAREHOUSE})


def may_manage(user, office) -> bool:
    return has_role(user, ACTIVITY_MANAGE_ROLES, office=office)


def may_manage_activity(user, activity) -> bool:
    """Runs this activity: a managing role in its office and, for an MHPSS session, the protection tier there."""
    from liman.core.access import tiers_of
    from liman.core.choices import Sensitivity

    if not may_manage(user, activity.office_id):
        return False
    return not activity.is_protected or Sensitivity.PROTECTION in tiers_of(user, office=activity.office_id)
