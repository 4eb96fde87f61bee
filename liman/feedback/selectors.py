"""Every read of feedback, scoped to the user first (a protected complaint reaches focal points only, by its tier)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from liman.core.access import get_visible_or_404, has_role
from liman.core.models import User

from .choices import OPEN_STATES
from .models import Feedback
from .permissions import FEEDBACK_HANDLE_ROLES


def feedback_for(
    user: User, *, state: str = "", category: str = "", channel: str = "", overdue: bool = False, mine: bool = False,
    q: str = "",
) -> QuerySet[Feedback]:  # fmt: skip
    rows = Feedback.objects.visible_to(user).select_related("office", "assigned_to", "person")
    if state:
        rows = rows.filter(state=state)
    if category:
        rows = rows.filter(category=category)
    if channel:
        rows = rows.filter(channel=channel)
    if overdue:
        rows = rows.filter(state__in=sorted(OPEN_STATES), due_on__lt=timezone.localdate())
    if mine:
        rows = rows.filter(assigned_to=user)
    if q:
        rows = rows.filter(Q(reference__icontains=q.strip()) | Q(person__reference__iexact=q.strip()))
    return rows.order_by("due_on", "-received_at") if overdue else rows.order_by("-received_at", "-id")


def feedback_get(user: User, reference: str) -> Feedback:
    rows = Feedback.objects.select_related(
        "office", "person", "household", "assigned_to", "received_by", "about_staff", "referred_to", "about_type"
    )
    return get_visible_or_404(rows, user, reference=reference)


def about_record(user: User, feedback: Feedback):
    """The record the feedback is about, if the user may see it (else None: the link shows only its kind)."""
    if not feedback.about_type_id:
        return None
    model = feedback.about_type.model_class()
    manager = model._default_manager
    rows = manager.visible_to(user) if hasattr(manager, "visible_to") else manager.none()
    return rows.filter(pk=feedback.about_id).first()


def handlers(user: User, feedback: Feedback) -> list[User]:
    """Who the feedback may be assigned to: the office's handlers who read its tier, never the staff member it
    names (a protected complaint: the office's PSEA focal points). Shown to those who handle it (`user`), whether or
    not they read the staff directory."""
    from liman.core.models import RoleGrant
    from liman.core.roles import ROLE_TIERS

    roles = [role for role in FEEDBACK_HANDLE_ROLES if feedback.sensitivity in ROLE_TIERS.get(role, ())]
    grants = RoleGrant.objects.current().filter(
        Q(office_id=feedback.office_id) | Q(office__isnull=True), role__in=roles
    )
    users = User.objects.filter(pk__in=grants.values("user"), is_active=True)
    return list(users.exclude(pk=feedback.about_staff_id or 0).order_by("username"))


def overdue_count(user: User) -> int | None:
    if not has_role(user, FEEDBACK_HANDLE_ROLES):
        return None
    return feedback_for(user, overdue=True).count()
