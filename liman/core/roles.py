"""What each role may see: sensitivity tiers, and the roles behind privileged pages.

A role grant gives a role in one office (or every office when the office is blank)
and one programme (or every programme of that office when blank).
"""

from .choices import Role, Sensitivity

#: Sensitivity tiers each role may read. Partners see nothing by default: records reach
#: them only by an explicit referral. Medical findings are for health staff only.
ROLE_TIERS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({Sensitivity.NORMAL}),
    Role.CASEWORKER: frozenset({Sensitivity.NORMAL, Sensitivity.PROTECTION}),
    Role.SUPERVISOR: frozenset({Sensitivity.NORMAL, Sensitivity.PROTECTION}),
    Role.HEALTH: frozenset({Sensitivity.NORMAL, Sensitivity.MEDICAL}),
    Role.PROGRAMME_OFFICER: frozenset({Sensitivity.NORMAL}),
    Role.CASH_APPROVER: frozenset({Sensitivity.NORMAL}),
    Role.DTM_OFFICER: frozenset({Sensitivity.NORMAL}),
    Role.REPORTING_OFFICER: frozenset({Sensitivity.NORMAL}),
    Role.WAREHOUSE: frozenset({Sensitivity.NORMAL}),
    Role.MOBILE_TEAM: frozenset({Sensitivity.NORMAL}),
    Role.DISTRIBUTION: frozenset({Sensitivity.NORMAL}),
    Role.PARTNER: frozenset(),
    Role.PSEA_FOCAL_POINT: frozenset({Sensitivity.NORMAL, Sensitivity.PSEA}),
    # Normal tier, and only of the models that name the role (`NAMED_ONLY_ROLES`): the data protection pages.
    Role.DATA_PROTECTION_FOCAL_POINT: frozenset({Sensitivity.NORMAL}),
    Role.ADMINISTRATOR: frozenset({Sensitivity.NORMAL}),
}

#: Roles that see a model only where its scope names them (`Scope.roles`), whatever tiers they read: partners (what
#: is referred to them) and the data protection focal point (the data protection pages: breaches, requests,
#: agreements, holds, the audit log's reads), who browse neither the registry nor the cases. A role that reads no
#: tier is treated so as well.
NAMED_ONLY_ROLES = frozenset({Role.PARTNER, Role.DATA_PROTECTION_FOCAL_POINT})

#: Roles that manage staff, read the audit log and run integrity checks.
AUDIT_ROLES = frozenset({Role.ADMINISTRATOR})
#: Roles that read audit events (each within its offices and tiers): the administrators' audit log, and the data
#: protection focal point's "who read what" for a breach or a person's request.
AUDIT_READ_ROLES = AUDIT_ROLES | frozenset({Role.DATA_PROTECTION_FOCAL_POINT})
#: Roles that see the staff list of their offices.
STAFF_DIRECTORY_ROLES = frozenset({Role.ADMINISTRATOR, Role.SUPERVISOR})
#: Roles that open records of a tier beyond normal (protection, medical, the protected channel). A grant of one
#: waits for a second administrator's approval (never the grantee's, never the granting administrator's): no one
#: escalates themself.
APPROVAL_ROLES = frozenset(role for role, tiers in ROLE_TIERS.items() if tiers - {Sensitivity.NORMAL})
