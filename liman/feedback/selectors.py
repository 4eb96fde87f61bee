"""Every read of feedback, scoped to the user first (a protected complaint reaches focal points only, by its tier)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from liman.core.access import get_visible_or_404, has_role
from liman.core.models import User

from .choices import OPEN_STATES
from .models import Feedback
from .permissions import FEEDBACK_HANDLE_ROLES, FEEDBACK_READ_ROLES


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


def about_from_key(user: User, key: str):
    """The record "app_label.model:id" names, if it is a scoped record the user may see (else None)."""
    from django.contrib.contenttypes.models import ContentType

    label, _sep, pk = (key or "").strip().partition(":")
    app_label, _dot, model_name = label.partition(".")
    if not (app_label and model_name and pk.isdigit()):
        return None
    kind = ContentType.objects.filter(app_label=app_label, model=model_name.lower()).first()
    model = kind.model_class() if kind is not None else None
    if model is None or not hasattr(model._default_manager, "visible_to"):
        return None
    return model._default_manager.visible_to(user).filter(pk=int(pk)).first()


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


# --- trends -------------------------------------------------------------------------------------------------


def _month(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m")


def trends(user: User, *, months: int = 12) -> dict:
    """Feedback by month × category, channel and province, response times and the share closed with an answer,
    from the feedback the user reads. The protected channel is counted for everyone else only as a monthly total of
    its offices, and only from k (11) up: a small count of complaints about a named team would point at someone."""
    import datetime
    import statistics

    from liman.core.disclosure import min_cell, suppressed_mark
    from liman.core.selectors import offices_for

    from .choices import Category, Channel, FeedbackState

    since = timezone.localdate().replace(day=1) - datetime.timedelta(days=31 * (months - 1))
    since = since.replace(day=1)
    # Those who read feedback count what they read; a reporting officer counts the office's normal feedback
    # without reading any of it (the trends show counts only).
    if has_role(user, FEEDBACK_READ_ROLES):
        readable = Feedback.objects.visible_to(user)
    else:
        readable = Feedback.objects.filter(office__in=offices_for(user), sensitivity="normal")
    rows = list(
        readable.filter(received_at__date__gte=since)
        .select_related("office__province")
        .only("received_at", "category", "channel", "state", "responded_at", "office__province__name_tr", "sensitivity")
    )
    month_keys = sorted({_month(row.received_at) for row in rows})
    by_month: dict[str, dict[str, int]] = {month: {} for month in month_keys}
    by_channel: dict[str, int] = {}
    by_province: dict[str, int] = {}
    days: list[float] = []
    closed = answered = 0
    for row in rows:
        cell = by_month[_month(row.received_at)]
        cell[row.category] = cell.get(row.category, 0) + 1
        by_channel[row.channel] = by_channel.get(row.channel, 0) + 1
        province = row.office.province.name_tr if row.office.province_id else "—"
        by_province[province] = by_province.get(province, 0) + 1
        if row.responded_at:
            days.append((row.responded_at - row.received_at).total_seconds() / 86400)
        if row.state == FeedbackState.CLOSED:
            closed += 1
            answered += bool(row.responded_at)
    shown_categories = [value for value in Category.values if any(value in cell for cell in by_month.values())]
    # The protected channel, for those who do not read it: a monthly total over their offices, from k up.
    reads_protected = any(row.sensitivity == "psea" for row in rows) or has_role(user, {"psea_focal_point"})
    protected: list[tuple[str, str]] = []
    if not reads_protected:
        counts: dict[str, int] = {}
        for received in Feedback.objects.filter(
            office__in=offices_for(user), sensitivity="psea", received_at__date__gte=since
        ).values_list("received_at", flat=True):
            counts[_month(received)] = counts.get(_month(received), 0) + 1
        k = min_cell()
        protected = [(month, str(n) if n >= k else suppressed_mark(k)) for month, n in sorted(counts.items())]
    return {
        "months": [
            (month, [by_month[month].get(c, 0) for c in shown_categories], sum(by_month[month].values()))
            for month in month_keys
        ],
        "categories": [Category(c).label for c in shown_categories],
        "channels": sorted(((Channel(c).label, n) for c, n in by_channel.items()), key=lambda pair: -pair[1]),
        "provinces": sorted(by_province.items(), key=lambda pair: -pair[1]),
        "total": len(rows),
        "median_days_to_answer": round(statistics.median(days), 1) if days else None,
        "answered": len(days),
        "closed": closed,
        "closed_with_answer_share": round(100 * answered / closed) if closed else None,
        "protected": protected,
    }
