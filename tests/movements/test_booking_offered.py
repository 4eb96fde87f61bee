"""No dead ends (issue 20, item 3): the case page offers the Book form only where a booking can succeed."""

import pytest
from django.urls import reverse

from liman.movements.choices import CaseState
from tests.movements.conftest import ready

pytestmark = pytest.mark.django_db


def test_a_case_not_ready_for_departure_shows_no_book_form(client, open_case, flight, worker):
    client.force_login(worker)
    assert open_case.state != CaseState.READY_FOR_DEPARTURE
    page = client.get(reverse("movements:resettlement-case-detail", args=[open_case.reference])).content.decode()
    assert 'id="booking-form"' not in page
    assert "booked on a flight once the case is ready for departure" in page
    ready(open_case)
    page = client.get(reverse("movements:resettlement-case-detail", args=[open_case.reference])).content.decode()
    assert 'id="booking-form"' in page and 'id="booking-not-yet"' not in page
