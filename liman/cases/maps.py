"""What the cases app offers the map: open cases counted by the province of the person's household's district."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from liman.core import maps
from liman.core.choices import Role
from liman.core.models import User

from .models import Case

#: The roles that see the case list (its navigation entry).
CASE_LIST_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.VIEWER})
PROVINCE = "person__membership__household__district__parent__pcode"


def _open_cases(user: User):
    return Case.objects.visible_to(user).open()


def open_cases_by_province(user: User) -> dict[str, int]:
    """Open cases the user may see, by the province of the person's household's district."""
    rows = _open_cases(user).filter(**{f"{PROVINCE}__isnull": False}).values(PROVINCE).annotate(n=Count("id"))
    return {row[PROVINCE]: row["n"] for row in rows}


def open_cases_without_district(user: User) -> int:
    return _open_cases(user).filter(person__membership__household__district__isnull=True).count()


def register() -> None:
    maps.register_metric(
        "open_cases",
        _("Open cases"),
        open_cases_by_province,
        roles=CASE_LIST_ROLES,
        unplaced=open_cases_without_district,
        unplaced_note=ngettext_lazy(
            "%(count)s open case has no district yet.", "%(count)s open cases have no district yet.", "count"
        ),
    )
