"""Every read that a core page or API shows, scoped to the user first."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .access import has_role
from .models import AuditEvent, Office, RoleGrant, TaskProgress, User
from .roles import AUDIT_ROLES


def offices_for(user: User) -> QuerySet[Office]:
    return Office.objects.visible_to(user).select_related("province")


def offices_managed_by(user: User) -> QuerySet[Office]:
    """Offices where the user is an administrator (an all-offices administrator manages every office)."""
    if not has_role(user, AUDIT_ROLES):
        return Office.objects.none()
    grants = [grant for grant in user.grants if grant.role in AUDIT_ROLES]
    if any(grant.office_id is None for grant in grants) or user.is_superuser:
        return Office.objects.all()
    return Office.objects.filter(pk__in=[grant.office_id for grant in grants])


def staff_for(user: User, *, office: Office | None = None, query: str = "", active_only: bool = True) -> QuerySet[User]:
    staff = User.objects.visible_to(user)
    if active_only:
        staff = staff.filter(is_active=True)
    if office is not None:
        staff = staff.filter(role_grants__office=office).distinct()
    if query:
        staff = staff.filter(
            Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
        )
    grants = RoleGrant.objects.current().select_related("office", "programme")
    return staff.prefetch_related(Prefetch("role_grants", queryset=grants, to_attr="current_grants")).order_by(
        "username"
    )


def audit_events_for(
    user: User, *, action: str = "", object_type: str = "", actor: str = "", office_code: str = ""
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.visible_to(user).select_related("office")
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if actor:
        events = events.filter(actor_username__icontains=actor)
    if office_code:
        events = events.filter(office__code=office_code.upper())
    return events


def tasks_for(user: User) -> QuerySet[TaskProgress]:
    return TaskProgress.objects.visible_to(user)


#: Figures other apps add to the home page: (key, label, count(user) -> int | None; None hides it).
HOME_FIGURES: list[tuple[str, object, object]] = []


def register_home_figure(key: str, label, count) -> None:
    HOME_FIGURES[:] = [entry for entry in HOME_FIGURES if entry[0] != key] + [(key, label, count)]


def home_figures(user: User) -> list[dict]:
    """Headline figures for the home page, each counted within the user's scope."""
    offices = offices_for(user)
    figures = [
        {"key": "offices", "label": _("Offices"), "value": offices.count()},
        {"key": "provinces", "label": _("Provinces covered"), "value": offices.values("province").distinct().count()},
    ]
    for key, label, count in HOME_FIGURES:
        value = count(user)
        if value is not None:
            figures.append({"key": key, "label": label, "value": value})
    if has_role(user, AUDIT_ROLES | {"supervisor"}):
        figures.append(
            {
                "key": "staff",
                "label": _("Active staff"),
                "value": User.objects.visible_to(user).filter(is_active=True).count(),
            }
        )
    if has_role(user, AUDIT_ROLES):
        since = timezone.now() - timedelta(days=7)
        events = AuditEvent.objects.visible_to(user).filter(at__gte=since)
        figures.append({"key": "audit_week", "label": _("Audit events, last 7 days"), "value": events.count()})
        figures.append(
            {
                "key": "failed_logins_week",
                "label": _("Failed logins, last 7 days"),
                "value": events.filter(action="login_failed").count(),
            }
        )
    return figures


def offices_by_province(user: User) -> dict[str, int]:
    rows = offices_for(user).values("province__pcode").annotate(n=Count("id"))
    return {row["province__pcode"]: row["n"] for row in rows}


def staff_by_province(user: User) -> dict[str, int]:
    """Active staff holding a grant in an office of each province, within the user's offices."""
    offices = offices_for(user)
    rows = (
        RoleGrant.objects.current()
        .filter(office__in=offices)
        .values("office__province__pcode")
        .annotate(n=Count("user", distinct=True))
    )
    return {row["office__province__pcode"]: row["n"] for row in rows}
