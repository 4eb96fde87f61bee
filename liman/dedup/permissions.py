"""Who may do what with possible duplicates, beyond seeing them (seeing is `selectors.match_pairs_for`)."""

from __future__ import annotations

from liman.core.access import has_role
from liman.core.models import Office, User

from .models import PAIR_ROLES, REVIEW_ROLES, MatchPair


def may_see_pairs(user: User) -> bool:
    """Reviewers, and caseworkers (the possible duplicates on a person page)."""
    return has_role(user, PAIR_ROLES)


def may_review(user: User) -> bool:
    """The queue, runs and thresholds: supervisors and administrators."""
    return has_role(user, REVIEW_ROLES)


def may_decide(user: User, pair: MatchPair) -> bool:
    """Supervisors and administrators of both records' offices (a merge changes records of both)."""
    return has_role(user, REVIEW_ROLES, office=pair.person_l.office_id) and has_role(
        user, REVIEW_ROLES, office=pair.person_r.office_id
    )


def may_start_run(user: User, office: Office | None) -> bool:
    """Reviewers of the office; a run over every office needs a reviewer role that covers every office."""
    if office is not None:
        return has_role(user, REVIEW_ROLES, office=office)
    if getattr(user, "is_superuser", False):
        return True
    return any(grant.office_id is None and grant.role in REVIEW_ROLES for grant in user.grants)
