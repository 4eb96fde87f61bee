"""The health list finds a person by their full name, as the people search does (issue 20, item 2)."""

import pytest
from django.urls import reverse

from liman.health import services as health
from tests.movements.conftest import register, years_ago

pytestmark = pytest.mark.django_db


def test_the_health_list_finds_said_al_hassan_by_his_full_name(client, istanbul, nurse):
    said = register(istanbul, "Said", "Al-Hassan", "M", years_ago(30))
    other = register(istanbul, "Said", "Karimi", "M", years_ago(25))
    for person in (said, other):
        health.health_assessment_request(person=person, by=nurse)
    client.force_login(nurse)
    for query in ("Said Al-Hassan", "said al hassan", "Al-Hassan"):
        listed = [
            assessment.person
            for assessment in client.get(reverse("health:health-assessment-list"), {"q": query}).context["page"]
        ]
        assert listed == [said], query
    both = client.get(reverse("health:health-assessment-list"), {"q": "Said"}).context["page"]
    assert {assessment.person for assessment in both} == {said, other}
