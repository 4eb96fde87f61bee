"""Who uses the data protection pages: the data protection focal point and the administrator."""

from liman.core.choices import Role

#: Who sets retention schedules and holds, logs breaches, keeps the register of sharing agreements, reads the data
#: map and who read what: each within their offices (schedules hold for every office: a grant of every office).
PRIVACY_ROLES = frozenset({Role.DATA_PROTECTION_FOCAL_POINT, Role.ADMINISTRATOR})

#: Who logs and answers a person's requests about their data: the staff who read protection records (a request
#: is protection tier) — caseworkers log and answer, supervisors too.
SUBJECT_REQUEST_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})

#: Who follows the requests of their offices as a register (reference, kind, deadline, status; not what the person
#: asked nor the answer, which are protection tier) and exports what Liman holds about a person of their offices
#: at normal tier (`person_export.export_reading`).
FOCAL_POINT_ROLES = frozenset({Role.DATA_PROTECTION_FOCAL_POINT})

#: Who sees the list of requests: those who answer them, and the focal point's register.
REQUEST_LIST_ROLES = SUBJECT_REQUEST_ROLES | FOCAL_POINT_ROLES
