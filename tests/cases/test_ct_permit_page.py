"""The counter-trafficking case page shows the victim's residence permit: its end date and what is left of the
3-year total."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from liman.registry import permits
from liman.registry import services as registry
from tests.cases.builders import open_case

pytestmark = pytest.mark.django_db

VICTIM = "residence_permit_trafficking_victim"


def permit(person, start: datetime.date, months: int = 6) -> datetime.date:
    ends = permits.last_day(start, months)
    registry.legal_status_add(person=person, status=VICTIM, started_on=start, ended_on=ends, by=None)
    return ends


def day(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


def case_page(client, caseworker, case) -> str:
    client.force_login(caseworker)
    response = client.get(reverse("cases:case-detail", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_permits_end_and_what_is_left_of_the_total(client, person, caseworker):
    today = timezone.localdate()
    first = today - datetime.timedelta(days=200)
    second_start = permit(person, first) + datetime.timedelta(days=1)
    ends = permit(person, second_start)
    limit = permits.last_day(first, 36)
    page = case_page(client, caseworker, open_case(person, "counter_trafficking", caseworker))
    days_left = (ends - today).days + 1
    assert f"runs until {day(ends)} ({days_left} days left)." in page
    total_left = (limit - ends).days
    assert f"{total_left} days are left: extensions may run until {day(limit)} at the latest." in page


def test_an_ended_permit_is_shown_as_ended(client, person, caseworker):
    ends = permit(person, datetime.date(2020, 1, 1))
    page = case_page(client, caseworker, open_case(person, "counter_trafficking", caseworker))
    assert f"ended on {day(ends)}." in page


def test_without_a_permit_the_page_says_so(client, person, caseworker):
    page = case_page(client, caseworker, open_case(person, "counter_trafficking", caseworker))
    assert "No residence permit for victims of trafficking is recorded for this person." in page


def test_other_case_types_show_no_permit(client, person, caseworker):
    page = case_page(client, caseworker, open_case(person, "protection", caseworker))
    assert "residence permit for victims" not in page.lower()
