"""Who records, handles and reads feedback. Anyone serving people records it; the protected channel (its own
sensitivity tier, `psea`) is read and handled only by PSEA focal points, whoever recorded it."""

from __future__ import annotations

from liman.core.access import has_role
from liman.core.choices import Role

#: Staff who take feedback from people (at a desk, on the hotline, in the field).
FEEDBACK_RECORD_ROLES = frozenset(
    {
        Role.CASEWORKER,
        Role.SUPERVISOR,
        Role.PROGRAMME_OFFICER,
        Role.DISTRIBUTION,
        Role.MOBILE_TEAM,
        Role.CASH_APPROVER,
        Role.ADMINISTRATOR,
        Role.PSEA_FOCAL_POINT,
    }
)
#: Who triages, assigns, resolves and responds (the protected channel: focal points only, by its tier).
FEEDBACK_HANDLE_ROLES = frozenset({Role.SUPERVISOR, Role.PROGRAMME_OFFICER, Role.PSEA_FOCAL_POINT})
#: Who reads the office's feedback (each reads the tiers their role reads).
FEEDBACK_READ_ROLES = FEEDBACK_HANDLE_ROLES | frozenset({Role.CASEWORKER, Role.ADMINISTRATOR, Role.VIEWER})
#: Who reads the trends (counts only; the protected channel as a monthly total from k up).
TRENDS_ROLES = FEEDBACK_READ_ROLES | frozenset({Role.REPORTING_OFFICER})


def may_record(user, office) -> bool:
    return has_role(user, FEEDBACK_RECORD_ROLES, office=office)


def may_handle(user, office) -> bool:
    return has_role(user, FEEDBACK_HANDLE_ROLES, office=office)
