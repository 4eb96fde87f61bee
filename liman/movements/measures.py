"""What movements offers to reporting (liman.core.measures): refugees departed for resettlement. Registered in
MovementsConfig.ready()."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from liman.core import measures

DEPARTED = "movements.refugees_departed"


def refugees_departed(start: datetime.date, end: datetime.date, offices=None):
    """Each travelling member of a resettlement case that departed in [start, end), at the case's office."""
    from liman.registry.models import DisabilityAssessment, LegalStatus, Person

    path = "resettlement_memberships"
    people = Person.objects.filter(
        measures.day_range(f"{path}__case__departed_on", start, end),
        measures.offices_filter(f"{path}__case__office", offices),
        **{f"{path}__is_travelling": True},
    ).annotate(
        **measures.person_annotations("", legal_status_model=LegalStatus, disability_model=DisabilityAssessment,
                                      since=start)
    )  # fmt: skip
    return measures.person_rows(
        people, on=f"{path}__case__departed_on", office=f"{path}__case__office",
        district="membership__household__district__pcode",
    )  # fmt: skip


def register() -> None:
    measures.register(
        measures.Measure(
            key=DEPARTED,
            label=_("Refugees departed for resettlement"),
            unit=measures.Unit.PEOPLE,
            rows=refugees_departed,
            app="movements",
            order=50,
            tagged="movements.ResettlementCase",
            tagged_path="resettlement_memberships__case",
        )
    )
