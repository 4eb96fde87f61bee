"""Counts the map page can colour provinces by. Later apps register their own in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    count: Callable  # (user) -> {province p-code: count}


METRICS: dict[str, Metric] = {}


def register_metric(key: str, label, count: Callable) -> None:
    METRICS[key] = Metric(key, label, count)


def district_counts(user) -> dict[str, int]:
    from .models import AdminArea

    rows = AdminArea.objects.districts().values("parent__pcode").annotate(n=Count("id"))
    return {row["parent__pcode"]: row["n"] for row in rows}


def register_core_metrics() -> None:
    from . import selectors

    register_metric("staff", _("Staff in your offices"), selectors.staff_by_province)
    register_metric("offices", _("Offices"), selectors.offices_by_province)
    register_metric("districts", _("Districts"), district_counts)
