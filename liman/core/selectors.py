"""Every read that a core page or API shows, scoped to the user first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
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


def staff_for(
    user: User,
    *,
    office: Office | None = None,
    query: str = "",
    active_only: bool = True,
    office_code: str = "",
    role: str = "",
) -> QuerySet[User]:
    """Staff the user sees, by user name, with their grants in force. `office_code` and `role` keep the people holding
    a grant of that role at that office: one in force, or, for a deactivated account (shown unless `active_only`),
    one it held when it was deactivated."""
    staff = User.objects.visible_to(user)
    if active_only:
        staff = staff.filter(is_active=True)
    if office is not None:
        staff = staff.filter(role_grants__office=office).distinct()
    if query:
        staff = staff.filter(
            Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
        )
    if office_code or role:
        held = RoleGrant.objects.current() if active_only else RoleGrant.objects.filter(is_pending=False)
        if office_code:
            held = held.filter(office__code=office_code)
        if role:
            held = held.filter(role=role)
        staff = staff.filter(pk__in=held.values("user_id"))
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


@dataclass(frozen=True)
class HomeFigure:
    """A count an app adds to the home page, in the user's scope, linking to the list it counts."""

    key: str
    label: object
    #: count(user) -> int, or None when the figure does not concern the user (it is then not shown).
    count: Callable[[User], int | None]
    #: The list the count comes from: a URL name, with its filters after "?" (`"cases:case-list?owner=me&open=1"`).
    url: str = ""
    #: Something waiting on the user (overdue follow-ups, pairs to review): shown under "What to do next".
    to_do: bool = False


#: Figures other apps add to the home page (`register_home_figure`), in the order registered.
HOME_FIGURES: list[HomeFigure] = []


def register_home_figure(key: str, label, count, *, url: str = "", to_do: bool = False) -> None:
    HOME_FIGURES[:] = [entry for entry in HOME_FIGURES if entry.key != key] + [
        HomeFigure(key, label, count, url, to_do)
    ]


def figure_url(url: str) -> str:
    """`"cases:case-list?owner=me"` -> `/cases/?owner=me`: a URL name and its query string, as registered."""
    if not url:
        return ""
    name, _sep, query = url.partition("?")
    return reverse(name) + (f"?{query}" if query else "")


def _shown(entry: HomeFigure, user: User) -> dict | None:
    value = entry.count(user)
    if value is None:
        return None
    return {"key": entry.key, "label": entry.label, "value": value, "url": figure_url(entry.url)}


def home_next(user: User) -> list[dict]:
    """What waits on the user, per their roles: each a count (in their scope) linking to the filtered list."""
    return [shown for entry in HOME_FIGURES if entry.to_do and (shown := _shown(entry, user)) is not None]


def home_figures(user: User) -> list[dict]:
    """Headline figures for the home page, each counted within the user's scope, each linking to its list."""
    offices = offices_for(user)
    figures = [
        {"key": "offices", "label": _("Offices"), "value": offices.count(), "url": reverse("core:office-list")},
        {
            "key": "provinces",
            "label": _("Provinces covered"),
            "value": offices.values("province").distinct().count(),
            "url": reverse("core:map"),
        },
    ]
    for entry in HOME_FIGURES:
        if not entry.to_do and (shown := _shown(entry, user)) is not None:
            figures.append(shown)
    if has_role(user, AUDIT_ROLES | {"supervisor"}):
        figures.append(
            {
                "key": "staff",
                "label": _("Active staff"),
                "value": User.objects.visible_to(user).filter(is_active=True).count(),
                "url": reverse("core:staff-list"),
            }
        )
    if has_role(user, AUDIT_ROLES):
        since = timezone.now() - timedelta(days=7)
        events = AuditEvent.objects.visible_to(user).filter(at__gte=since)
        figures.append(
            {
                "key": "audit_week",
                "label": _("Audit events, last 7 days"),
                "value": events.count(),
                "url": reverse("core:audit-list"),
            }
        )
        figures.append(
            {
                "key": "failed_logins_week",
                "label": _("Failed logins, last 7 days"),
                "value": events.filter(action="login_failed").count(),
                "url": f"{reverse('core:audit-list')}?action=login_failed",
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
