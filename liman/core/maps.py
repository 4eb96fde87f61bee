"""Counts the map page can colour provinces by. Later apps register their own in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Metric:
    """One map measure: a count per province, within what the user may see."""

    key: str
    label: str
    count: Callable  # (user) -> {province p-code: count}
    #: Who is offered the measure (None: everyone signed in); the count itself is scoped whoever asks.
    roles: frozenset[str] | None = None
    #: (user) -> how many of what is counted have no province yet, so are not on the map.
    unplaced: Callable | None = None
    #: What the page says about them: an `ngettext_lazy` message taking `%(count)s`.
    unplaced_note: object = None

    def is_offered_to(self, user) -> bool:
        from .access import has_role

        return self.roles is None or has_role(user, self.roles)

    def unplaced_text(self, user) -> str:
        """The page's note on what is left off the map (12 people have no district yet); empty when nothing is."""
        if self.unplaced is None or self.unplaced_note is None:
            return ""
        count = self.unplaced(user)
        return self.unplaced_note % {"count": count} if count else ""


METRICS: dict[str, Metric] = {}


def register_metric(
    key: str,
    label,
    count: Callable,
    *,
    roles: frozenset[str] | None = None,
    unplaced: Callable | None = None,
    unplaced_note=None,
) -> None:
    METRICS[key] = Metric(key, label, count, roles=roles, unplaced=unplaced, unplaced_note=unplaced_note)


def metrics_for(user) -> dict[str, Metric]:
    """The measures this user is offered, in the order they were registered."""
    return {key: metric for key, metric in METRICS.items() if metric.is_offered_to(user)}


def district_counts(user) -> dict[str, int]:
    from .models import AdminArea

    rows = AdminArea.objects.districts().values("parent__pcode").annotate(n=Count("id"))
    return {row["parent__pcode"]: row["n"] for row in rows}


def register_core_metrics() -> None:
    from . import selectors

    register_metric("staff", _("Staff in your offices"), selectors.staff_by_province)
    register_metric("offices", _("Offices"), selectors.offices_by_province)
    register_metric("districts", _("Districts"), district_counts)
