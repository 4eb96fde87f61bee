"""What the registry offers the map: people counted by the province of their household's district."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from liman.core import maps
from liman.core.choices import Role
from liman.core.models import User

from .models import Person

#: Who sees people in the registry (its navigation and home figure) is who is offered them on the map.
PEOPLE_ROLES = frozenset({Role.VIEWER, Role.CASEWORKER, Role.SUPERVISOR, Role.HEALTH, Role.PROGRAMME_OFFICER})
PROVINCE = "membership__household__district__parent__pcode"


def _people(user: User):
    return Person.objects.visible_to(user).active()


def people_by_province(user: User) -> dict[str, int]:
    """People the user may see, by the province of their household's district; people with none are left out."""
    rows = _people(user).filter(**{f"{PROVINCE}__isnull": False}).values(PROVINCE).annotate(n=Count("id"))
    return {row[PROVINCE]: row["n"] for row in rows}


def people_without_district(user: User) -> int:
    """People the user may see who are in no household, or in one whose district is not recorded yet."""
    return _people(user).filter(membership__household__district__isnull=True).count()


def register() -> None:
    maps.register_metric(
        "people",
        _("People registered"),
        people_by_province,
        roles=PEOPLE_ROLES,
        unplaced=people_without_district,
        unplaced_note=ngettext_lazy(
            "%(count)s person has no district yet.", "%(count)s people have no district yet.", "count"
        ),
    )
