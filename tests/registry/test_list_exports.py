"""The people search as a list: its matches sort by a column (over every page) and export as CSV and XLSX, masked
as the page is (no phone, no identifier), audited."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent
from liman.registry import services as registry
from liman.registry.choices import IdentifierType
from tests.factories import staff

pytestmark = pytest.mark.django_db


def _person(office, first_name, family_name, born, **extra):
    return registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=first_name, family_name=family_name, sex="F", nationality="SYR", birth_date=born, **extra
        ),
        by=None,
    )


@pytest.fixture
def registrar(istanbul):
    return staff(Role.CASEWORKER, istanbul, username="reg.ist")


def test_matches_sort_by_name_across_pages_and_the_pager_keeps_the_order(client, istanbul, registrar):
    born = datetime.date(1990, 5, 17)
    people = [_person(istanbul, f"Name{chr(90 - n)}", "Same", born) for n in range(25)]
    client.force_login(registrar)
    first = client.get(reverse("registry:person-search"), {"born": "1990-05-17", "sort": "person"})
    names = [match.person.full_name for match in first.context["matches"]]
    assert len(names) == 20 and names == sorted(person.full_name for person in people)[:20]
    assert "sort=person&amp;page=2" in first.content.decode()
    second = client.get(reverse("registry:person-search"), {"born": "1990-05-17", "sort": "person", "page": "2"})
    assert [match.person.full_name for match in second.context["matches"]] == sorted(p.full_name for p in people)[20:]


def test_the_people_export_is_masked_as_the_page_and_audited(client, istanbul, izmir, registrar):
    born = datetime.date(1985, 1, 2)
    shown = _person(
        istanbul,
        "Amal",
        "=Haddad",
        born,
        phone="+905321234567",
        identifiers=[registry.IdentifierInput(IdentifierType.PASSPORT, "P99887766")],
    )
    _person(izmir, "Amal", "Elsewhere", born)
    client.force_login(registrar)
    response = client.get(reverse("registry:person-export-csv"), {"born": "1985-01-02", "sort": "-person"})
    body = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Match", "Person", "Reference"]
    assert [row[2] for row in rows[1:]] == [shown.reference]
    assert rows[1][1] == "Amal =Haddad"  # the cell does not start with "=": nothing to neutralise there
    assert "+905321234567" not in body and "P99887766" not in body and "Elsewhere" not in body
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.object_type == "registry.person" and event.changes["rows"] == "1"


def test_an_export_without_search_terms_asks_for_them(client, registrar):
    client.force_login(registrar)
    response = client.get(reverse("registry:person-export-xlsx"), follow=True)
    assert "Search first" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_sorted_search_and_its_export_cost_a_bounded_number_of_queries(
    client, istanbul, registrar, django_assert_max_num_queries
):
    for number in range(30):
        _person(istanbul, f"Name{number}", "Many", datetime.date(1990, 5, 17))
    client.force_login(registrar)
    with django_assert_max_num_queries(20):
        assert (
            client.get(reverse("registry:person-search"), {"born": "1990-05-17", "sort": "-office"}).status_code == 200
        )
    with django_assert_max_num_queries(20):
        assert (
            client.get(reverse("registry:person-export-xlsx"), {"born": "1990-05-17", "sort": "born"}).status_code
            == 200
        )
