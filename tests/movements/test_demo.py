"""The demo pipeline: `liman seed` adds resettlement cases at every stage for several countries, with
missions, orientation, health holds and upcoming flights, from the registry's demo households.

(The whole `liman seed`, with the registry's people, runs in tests/core/test_seed.py; here the households
are few and made directly, so the test stays fast.)"""

from __future__ import annotations

import datetime
import random

import pytest

from liman.core.choices import Role
from liman.core.demo import demo_username
from liman.health.models import HealthAssessment
from liman.movements.choices import CaseState
from liman.movements.demo import TARGETS, seed_movements
from liman.movements.models import Booking, Flight, OrientationSession, ResettlementCase, SelectionMission
from liman.registry import services as registry
from tests.factories import staff
from tests.movements.conftest import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_households(istanbul):
    staff(Role.SUPERVISOR, istanbul, username=demo_username(Role.SUPERVISOR, "IST"))
    staff(Role.HEALTH, istanbul, programme="health", username=demo_username(Role.HEALTH, "IST"))
    for n in range(len(TARGETS)):
        head = register(istanbul, f"Head{n}", f"Demo{n}", "M", datetime.date(1980, 5, 1))
        household = registry.household_create(office=istanbul, head=head, by=None)
        for child in range(2):
            person = register(istanbul, f"Child{n}{child}", f"Demo{n}", "F", datetime.date(2008 + child * 6, 2, 1))
            registry.household_add_member(household=household, person=person, relationship="child", by=None)


def test_the_demo_has_cases_at_every_stage_for_several_countries(demo_households):
    seed_movements(random.Random(7), 7)
    states = set(ResettlementCase.objects.values_list("state", flat=True))
    assert states == set(TARGETS)
    assert set(ResettlementCase.objects.values_list("country", flat=True)) == {"CAN", "AUS", "USA", "DEU", "NOR", "GBR"}
    assert SelectionMission.objects.exists() and OrientationSession.objects.exists()
    assert HealthAssessment.objects.filter(status="medical_hold").exists()
    upcoming = Flight.objects.filter(status="planned")
    assert Booking.objects.filter(flight__in=upcoming).exists()
    assert ResettlementCase.objects.filter(state=CaseState.ARRIVED, arrived_on__isnull=False).exists()

    count = ResettlementCase.objects.count()
    seed_movements(random.Random(7), 7)
    assert ResettlementCase.objects.count() == count, "seeding again adds nothing"


def test_without_registry_people_the_demo_adds_nothing(istanbul):
    seed_movements(random.Random(7), 7)
    assert not ResettlementCase.objects.exists()


def test_a_child_who_reached_the_course_age_since_the_last_session_attends_a_new_one(istanbul):
    """`liman seed --seed 3` stopped at "orientation done": a child who turned 5 after the office's Australian
    session started was too young for it, yet due before the step."""
    from django.utils import timezone

    from liman.movements.models import OrientationAttendance

    staff(Role.SUPERVISOR, istanbul, username=demo_username(Role.SUPERVISOR, "IST"))
    staff(Role.HEALTH, istanbul, programme="health", username=demo_username(Role.HEALTH, "IST"))
    birthday = timezone.localdate() - datetime.timedelta(days=2)
    born = birthday.replace(year=birthday.year - 5, day=min(birthday.day, 28))
    children = []
    for n in range(len(TARGETS)):
        head = register(istanbul, f"Head{n}", f"Demo{n}", "M", datetime.date(1980, 5, 1))
        household = registry.household_create(office=istanbul, head=head, by=None)
        child = register(istanbul, f"Child{n}", f"Demo{n}", "F", born)
        registry.household_add_member(household=household, person=child, relationship="child", by=None)
        children.append(child)
    seed_movements(random.Random(3), 3)
    attended = OrientationAttendance.objects.filter(person__in=children, session__course__country="AUS")
    assert attended.exists() and all(attendance.completed for attendance in attended)
    fifth_birthday = born.replace(year=born.year + 5)
    assert all(attendance.session.starts_on >= fifth_birthday for attendance in attended)
