"""Who may do what on a case, beyond seeing it (seeing is `Case.objects.visible_to`)."""

from __future__ import annotations

from liman.core.access import has_role
from liman.core.choices import Role
from liman.core.models import User

from .models import CASE_ROLES, Case


def may_work_on(user: User, case: Case) -> bool:
    """Caseworkers and supervisors of the case's office who see the case (their grant covers its programme)."""
    if not has_role(user, CASE_ROLES, office=case.office_id):
        return False
    # Asked several times per request for the same case: remember the answer for what decides it.
    key = (user.pk, case.office_id, case.programme_id, case.sensitivity)
    known = case.__dict__.setdefault("_liman_may_work_on", {})
    if key not in known:
        known[key] = Case.objects.visible_to(user).filter(pk=case.pk).exists()
    return known[key]


def may_supervise(user: User, case: Case) -> bool:
    return has_role(user, Role.SUPERVISOR, office=case.office_id) and may_work_on(user, case)


def may_open_case(user: User, person) -> bool:
    return has_role(user, CASE_ROLES, office=person.office_id)


def is_partner_only(user: User) -> bool:
    """A user whose only role is partner: they get the partner view of referrals, with the shared fields only."""
    if user.is_superuser:
        return False
    roles = user.roles
    return bool(roles) and roles <= {Role.PARTNER}
