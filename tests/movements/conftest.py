"""Builders for resettlement tests: a family of five in Istanbul, staff, a flight two days out, and a case with
every travel document in place (so each booking test takes away exactly one thing)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from liman.core.choices import Role
from liman.health import services as health
from liman.movements import services as movements
from liman.movements.choices import CaseState
from liman.movements.models import ResettlementCase
from liman.registry import services as registry
from liman.registry.choices import Relationship
from tests.factories import staff

TODAY = timezone.localdate


def years_ago(years: int, days: int = 40) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


@dataclass
class Family:
    father: object
    mother: object
    daughter: object  # 16
    son: object  # 12
    baby: object  # 2

    @property
    def people(self) -> list:
        return [self.father, self.mother, self.daughter, self.son, self.baby]


def register(office, first: str, family: str, sex: str, born: datetime.date):
    return registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=first, family_name=family, sex=sex, nationality="SYR", birth_date=born),
        by=None,
    )


@pytest.fixture
def worker(istanbul):
    return staff(Role.SUPERVISOR, istanbul, username="resettlement.ist")


@pytest.fixture
def caseworker(istanbul):
    return staff(Role.CASEWORKER, istanbul, username="caseworker.ist")


@pytest.fixture
def nurse(istanbul):
    return staff(Role.HEALTH, istanbul, programme="health", username="nurse.ist")


@pytest.fixture
def family(istanbul) -> Family:
    father = register(istanbul, "Ahmad", "Haddad", "M", years_ago(41))
    members = Family(
        father=father,
        mother=register(istanbul, "Rania", "Haddad", "F", years_ago(37)),
        daughter=register(istanbul, "Leyla", "Haddad", "F", years_ago(16)),
        son=register(istanbul, "Omar", "Haddad", "M", years_ago(12)),
        baby=register(istanbul, "Nour", "Haddad", "F", years_ago(2)),
    )
    household = registry.household_create(office=istanbul, head=father, by=None)
    relationships = [Relationship.SPOUSE, Relationship.CHILD, Relationship.CHILD, Relationship.CHILD]
    for person, relationship in zip(members.people[1:], relationships, strict=True):
        registry.household_add_member(household=household, person=person, relationship=relationship, by=None)
    return members


def leg(departs: datetime.datetime, number: str = "TK17", origin: str = "IST", destination: str = "YYZ"):
    return movements.LegInput(
        "Turkish Airlines", number, origin, destination, departs, departs + datetime.timedelta(hours=11)
    )


@pytest.fixture
def flight(istanbul, worker):
    """A flight to Canada two days from now: a fit-to-fly check done today falls within 72 hours of it."""
    return movements.flight_create(
        office=istanbul,
        destination_country="CAN",
        legs=[leg(timezone.now() + datetime.timedelta(days=2))],
        by=worker,
    )


def clear(person, nurse, *, needs=(), valid_days: int = 365):
    assessment = health.health_assessment_request(person=person, by=None)
    health.health_assessment_record(
        assessment=assessment,
        by=nurse,
        changes={
            "assessed_on": timezone.localdate(),
            "examination": "Normal examination.",
            "chest_xray": "normal",
            "fit_to_travel": True,
            "travel_needs": list(needs),
        },
    )
    return health.health_assessment_clear(
        assessment=assessment, by=nurse, valid_until=timezone.localdate() + datetime.timedelta(days=valid_days)
    )


def document(case, person, worker, nurse, *, clearance: bool = True, visa: bool = True, exit: bool = True,
             fit: bool = True):  # fmt: skip
    """Everything a traveller needs before booking; each flag leaves one thing out."""
    today = timezone.localdate()
    if clearance:
        clear(person, nurse)
    if visa:
        movements.visa_record(
            case=case, person=person, issued_on=today, valid_until=today + datetime.timedelta(days=120), by=worker
        )
    if exit:
        permission = movements.exit_permission_request(case=case, person=person, requested_on=today, by=worker)
        movements.exit_permission_grant(
            permission=permission, granted_on=today, valid_until=today + datetime.timedelta(days=60), by=worker
        )
    if fit:
        health.fit_to_fly_record(person=person, by=nurse, is_fit=True)


def ready(case) -> ResettlementCase:
    """Arrange: the case stands ready for departure (its workflow to get there has tests of its own)."""
    ResettlementCase.objects.filter(pk=case.pk).update(state=CaseState.READY_FOR_DEPARTURE)
    case.refresh_from_db()
    return case


@pytest.fixture
def open_case(istanbul, family, worker):
    return movements.resettlement_case_open(office=istanbul, principal=family.father, country="CAN", by=worker)


@pytest.fixture
def ready_case(open_case, family, worker, nurse):
    for person in family.people:
        document(open_case, person, worker, nurse)
    return ready(open_case)


def everyone(family, **extra) -> list[movements.TravellerBooking]:
    return [movements.TravellerBooking(person=person, **extra) for person in family.people]


@pytest.fixture(autouse=True)
def _plain_pdf_font(settings):
    """Manifests print with the built-in Helvetica in tests, so their text can be read back (see pdf.py)."""
    settings.LIMAN_PDF_FONT = ""
