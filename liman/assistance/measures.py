"""What assistance offers to reporting (liman.core.measures): people who received in-kind assistance, and people met
at the border by the mobile teams. Registered in AssistanceConfig.ready()."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core import measures
from liman.core.measures import MeasureRow

from .choices import EntitlementState

IN_KIND = "assistance.people_in_kind"
BORDER = "assistance.people_met_border"


def people_in_kind(start: datetime.date, end: datetime.date, offices=None):
    """Each member of a household whose entitlement was received in [start, end), at the plan's office and the
    household's district (a person merged into another counts as the survivor)."""
    from liman.registry.models import DisabilityAssessment, LegalStatus, Person

    path = "membership__household__entitlements"
    people = Person.objects.filter(
        measures.day_range(f"{path}__received_at", start, end, datetime_field=True),
        measures.offices_filter(f"{path}__plan__office", offices),
        **{f"{path}__state": EntitlementState.RECEIVED},
    ).annotate(
        **measures.person_annotations("", legal_status_model=LegalStatus, disability_model=DisabilityAssessment,
                                      since=start)
    )  # fmt: skip
    return measures.person_rows(
        people,
        on=f"{path}__received_at",
        office=f"{path}__plan__office",
        district="membership__household__district__pcode",
    )


def people_met_at_border(start: datetime.date, end: datetime.date, offices=None):
    """The group counts of the field incidents in [start, end) (sex × age group × nationality, no names). An
    incident's people with a disability are counted in its groups, largest group first, so that each incident's
    total and its people with a disability both stay exact."""
    from .models import IncidentGroupCount

    counts = (
        IncidentGroupCount.objects.filter(
            measures.day_range("incident__occurred_at", start, end, datetime_field=True),
            measures.offices_filter("incident__office", offices),
        )
        .order_by()
        .values_list(
            "incident_id", "incident__occurred_at", "incident__office", "incident__district",
            "incident__with_disability", "sex", "age_group", "nationality",
        )
        .annotate(n=Sum("count"))
    )  # fmt: skip
    incidents: dict[int, list] = defaultdict(list)
    for row in counts:
        incidents[row[0]].append(row)
    for groups in incidents.values():
        groups.sort(key=lambda row: -row[-1])
        disabled_left = groups[0][4] or 0
        for _id, at, office_id, pcode, _disabled, sex, band, nationality, n in groups:
            on = timezone.localtime(at).date()
            common = {
                "person_key": None, "on": on, "office_id": office_id, "district_pcode": pcode or "", "sex": sex.upper(),
                "age_group": measures.age_group_of_band(band),
                "population_group": measures.population_group_of_nationality(nationality),
            }  # fmt: skip
            with_disability = min(disabled_left, n)
            disabled_left -= with_disability
            if with_disability:
                yield MeasureRow(**common, with_disability=True, count=with_disability)
            if n - with_disability:
                yield MeasureRow(**common, with_disability=False, count=n - with_disability)


def _people():
    from liman.registry.models import Person

    return measures.person_base(Person)


def register() -> None:
    measures.register(
        measures.Measure(
            key=IN_KIND,
            label=_("People who received in-kind assistance"),
            unit=measures.Unit.PEOPLE,
            rows=people_in_kind,
            app="assistance",
            order=10,
            tagged="assistance.DistributionPlan",
            tagged_path="membership__household__entitlements__plan",
            reach=measures.Reach(
                base=_people,
                keys=measures.person_keys,
                sources={
                    **measures.PERSON_SOURCES,
                    "assistance.entitlement": "membership__household__entitlements",
                    "assistance.distributionplan": "membership__household__entitlements__plan",
                },
            ),
        )
    )
    measures.register(
        measures.Measure(
            key=BORDER,
            label=_("People met at the border"),
            unit=measures.Unit.PEOPLE,
            rows=people_met_at_border,
            app="assistance",
            order=20,
        )
    )
