"""What activities offer to reporting (liman.core.measures): people who completed a training, and people who took part
in MHPSS group sessions (protection tier: counts only). Registered in ActivitiesConfig.ready()."""

from __future__ import annotations

import datetime

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from liman.core import measures

from .choices import ActivityType, AgeGroup, PopulationGroup

TRAINING_COMPLETED = "activities.training_completed"
MHPSS_REACHED = "activities.mhpss_reached"

#: The activities a participant completes as a training (a course of sessions, a training, one for authorities).
TRAININGS = (ActivityType.TRAINING, ActivityType.COURSE, ActivityType.AUTHORITIES_TRAINING)

_GROUPS = {
    PopulationGroup.SYRIAN_TP: measures.PopulationGroup.SYRIANS_TP,
    PopulationGroup.OTHER_FOREIGNER: measures.PopulationGroup.OTHER,
    PopulationGroup.HOST_COMMUNITY: measures.PopulationGroup.HOST,
}


def training_completed(start: datetime.date, end: datetime.date, offices=None):
    """Each person who completed a training that ended in [start, end), once, at the activity's office and district.

    A registered participant counts as the person (the survivor of a merge: someone trained twice under two records
    counts once) with the person's sex, age and population group; a participant recorded without registration (an
    official, a walk-in) counts once as recorded, by the sex, age group and population group on the sign-in sheet."""
    return _participants(Q(activity_type__in=TRAININGS, completed=True), "activity__ends_on", start, end, offices)


def mhpss_reached(start: datetime.date, end: datetime.date, offices=None):
    """Each person first present at an MHPSS group session in [start, end), once (as `training_completed` counts)."""
    return _participants(Q(activity_type=ActivityType.MHPSS_GROUP), "reached_on", start, end, offices)


def _participants(which: Q, on: str, start: datetime.date, end: datetime.date, offices):
    from liman.registry.models import DisabilityAssessment, LegalStatus

    from .models import Participant

    person = measures.person_annotations(
        "person", legal_status_model=LegalStatus, disability_model=DisabilityAssessment, since=start
    )
    light = Q(person__isnull=True)
    participants = Participant.objects.filter(
        which, measures.day_range(on, start, end), measures.offices_filter("office", offices)
    ).annotate(
        # A light record's key is its own id, negated: never a person's.
        m_person=Case(When(light, then=-F("pk")), default=person["m_person"], output_field=IntegerField()),
        m_sex=Coalesce(person["m_sex"], F("sex")),
        # A light record's age group as a birth date: a child is "born" the day the activity started.
        m_birth=Case(
            When(light & Q(age_group__in=[AgeGroup.INFANTS, AgeGroup.CHILDREN]), then=F("activity__starts_on")),
            When(light, then=Value(None)),
            default=person["m_birth"],
        ),
        m_group=Case(
            *[When(light & Q(population_group=ours), then=Value(theirs.value)) for ours, theirs in _GROUPS.items()],
            When(light, then=Value(measures.PopulationGroup.OTHER.value)),
            default=person["m_group"],
        ),
        m_disability=Case(When(light, then=Value(0)), default=person["m_disability"], output_field=IntegerField()),
    )
    return measures.person_rows(participants, on=on, office="office", district="activity__district__pcode")


def register() -> None:
    measures.register(
        measures.Measure(
            key=TRAINING_COMPLETED,
            label=_("People who completed a training"),
            unit=measures.Unit.PEOPLE,
            rows=training_completed,
            app="activities",
            order=70,
            tagged="activities.Activity",
            tagged_path="activity",
        )
    )
    measures.register(
        measures.Measure(
            key=MHPSS_REACHED,
            label=_("People who took part in MHPSS group sessions"),
            unit=measures.Unit.PEOPLE,
            rows=mhpss_reached,
            app="activities",
            # Who attended an MHPSS session is protection-tier: the measure yields counts only.
            sensitivity="protection",
            order=71,
            tagged="activities.Activity",
            tagged_path="activity",
        )
    )
