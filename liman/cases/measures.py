"""What cases offer to reporting (liman.core.measures): victims of trafficking assisted. Protection-tier data: the
measure yields counts by sex, age group, population group and district only, never a name or a case reference.
Registered in CasesConfig.ready()."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from liman.core import measures

from .choices import CaseType, VictimStatus

VICTIMS_ASSISTED = "cases.victims_of_trafficking_assisted"


def victims_assisted(start: datetime.date, end: datetime.date, offices=None):
    """People with a counter-trafficking case (a potential or identified victim, not one found not to be) who
    received a service in [start, end), at the case's office and the person's household district."""
    from liman.registry.models import DisabilityAssessment, LegalStatus, Person

    people = (
        Person.objects.filter(
            measures.day_range("cases__deliveries__delivered_on", start, end),
            measures.offices_filter("cases__office", offices),
            cases__type=CaseType.COUNTER_TRAFFICKING,
        )
        .exclude(cases__victim_status=VictimStatus.NOT_IDENTIFIED)
        .annotate(
            **measures.person_annotations(
                "", legal_status_model=LegalStatus, disability_model=DisabilityAssessment, since=start
            )
        )
    )
    return measures.person_rows(
        people, on="cases__deliveries__delivered_on", office="cases__office",
        district="membership__household__district__pcode",
    )  # fmt: skip


def register() -> None:
    measures.register(
        measures.Measure(
            key=VICTIMS_ASSISTED,
            label=_("Victims of trafficking assisted"),
            unit=measures.Unit.PEOPLE,
            rows=victims_assisted,
            app="cases",
            sensitivity="protection",
            order=40,
            tagged="cases.Case",
            tagged_path="cases",
        )
    )
