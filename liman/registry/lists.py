"""The people search's matches as a list: sortable columns and the export (see `liman.core.lists`).

The matches are ranked (best first) and held in memory; a column sorts them by its value. The search terms
stay the search form's fields; the list adds only the order and the export."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, ListSpec, register


def _status(match) -> str:
    statuses = getattr(match.person, "current_statuses", None) or []
    return statuses[0].get_status_display() if statuses else ""


def _household(match) -> str:
    membership = getattr(match.person, "membership", None)
    return membership.household.reference if membership is not None else ""


def _relationship(match) -> str:
    membership = getattr(match.person, "membership", None)
    return membership.get_relationship_display() if membership is not None else ""


PEOPLE = register(
    ListSpec(
        url_name="registry:person-search",
        title=_("People"),
        columns=(
            Column("match", _("Match"), lambda match: round(match.score * 100), sortable=True),
            Column("person", _("Person"), lambda match: match.person.full_name, sortable=True),
            Column("reference", _("Reference"), lambda match: match.person.reference, in_page=False),
            Column("sex", _("Sex"), lambda match: match.person.get_sex_display(), in_page=False),
            Column("age", _("Age"), lambda match: match.person.age, in_page=False),
            Column("born", _("Born"), lambda match: match.person.birth_date_display, sortable=True),
            Column("nationality", _("Nationality"), lambda match: match.person.nationality, sortable=True),
            Column("status", _("Legal status"), _status, sortable=True),
            Column("household", _("Household"), _household, sortable=True),
            Column("relationship", _("Relationship"), _relationship, in_page=False),
            Column("office", _("Office"), lambda match: match.person.office.code, sortable=True),
            Column("why", _("Why"), lambda match: "; ".join(str(reason) for reason in match.reasons)),
        ),
        default_sort="",
        export_url_name="registry:person-export",
        example_query=(("born", "1990"),),
    )
)
