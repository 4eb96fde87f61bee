"""Who sets retention and holds: the administrator (Liman has no data protection focal point role yet)."""

from liman.core.choices import Role

PRIVACY_ROLES = frozenset({Role.ADMINISTRATOR})

#: Who logs and answers a person's requests about their data: the staff who read protection records (a request
#: is protection tier) — caseworkers log and answer, supervisors too (Liman has no data protection role yet).
SUBJECT_REQUEST_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
