"""Lists (liman/core/lists.py): sort by a column, filters and sort kept in the URL, exports audited.

The walk at the end asks every registered list (`lists.LISTS`) for every sortable column in both directions,
every filter with a valid and a made-up value, and both export formats: a new list joins it by registering.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse

from liman.core import lists
from liman.core.choices import AuditAction, Role
from liman.core.lists import Column, Filter, Listing, ListSpec
from liman.core.models import AuditEvent
from tests.conftest import world_for_the_module
from tests.factories import SCOPED_FACTORIES, OfficeFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

SPEC = ListSpec(
    url_name="cases:case-list",
    title="Things",
    columns=(
        Column("name", "Name", lambda row: row["name"], sortable=True),
        Column("size", "Size", lambda row: row["size"], sortable=True),
        Column("note", "Note", lambda row: row["note"]),
    ),
    filters=(
        Filter("colour", "Colour", choices=lambda request, values: [("red", "Red"), ("blue", "Blue")]),
        Filter("q", "Search", kind="text"),
        Filter("big", "Big only", kind="flag"),
    ),
    default_sort="-size",
)
ROWS = [
    {"name": "beta", "size": 2, "note": "=HYPERLINK(1)"},
    {"name": "Alpha", "size": None, "note": ""},
    {"name": "gamma", "size": 3, "note": "x"},
]


def _listing(query: str = "") -> Listing:
    return Listing.read(RequestFactory().get(f"/cases/?{query}"), SPEC)


def test_the_default_order_and_a_column_in_both_directions():
    assert [row["name"] for row in _listing().ordered(ROWS)] == ["gamma", "beta", "Alpha"]
    assert [row["name"] for row in _listing("sort=name").ordered(ROWS)] == ["Alpha", "beta", "gamma"]
    assert [row["name"] for row in _listing("sort=-name").ordered(ROWS)] == ["gamma", "beta", "Alpha"]
    # Empty values go last in either direction.
    assert [row["name"] for row in _listing("sort=size").ordered(ROWS)] == ["beta", "gamma", "Alpha"]


def test_an_unknown_sort_or_choice_is_named_and_left_out_never_an_error():
    listing = _listing("sort=salary&colour=green&q=%20abc%20&big=1")
    assert listing.sort == "-size"
    assert listing.values == {"colour": "", "q": "abc", "big": True}
    assert len(listing.notices) == 2
    assert "salary" in listing.notices[1] and "green" in listing.notices[0]
    # A column that does not sort is not a sort either.
    assert _listing("sort=note").sort == "-size"


def test_headers_link_to_the_other_direction_and_keep_the_filters_but_not_the_page():
    listing = _listing("colour=red&page=3&sort=name")
    name, size, note = listing.headers
    assert name.aria_sort == "ascending" and "sort=-name" in name.url and "colour=red" in name.url
    assert "page" not in name.url
    assert size.aria_sort == "none" and "sort=size" in size.url
    assert not note.sortable and note.url == ""
    assert _listing("sort=-name").headers[0].aria_sort == "descending"
    assert "sort=name" in _listing("sort=-name").headers[0].url


def test_a_queryset_is_ordered_by_the_columns_fields_then_by_key(istanbul):
    from liman.core.models import Office

    spec = ListSpec(url_name="x", title="Offices", columns=(Column("code", "Code", str, ("code",)),))
    listing = Listing.read(RequestFactory().get("/?sort=-code"), spec)
    assert listing.ordered(Office.objects.all()).query.order_by == ("-code", "-pk")


# --- the lists themselves -------------------------------------------------------------------------------------


@pytest.fixture
def caseworker(istanbul):
    user = UserFactory(username="lists-caseworker")
    grant(user, Role.CASEWORKER, istanbul)
    return user


def _case(office, first_name, family_name, *, by=None, case_type="protection", opened_days_ago=1):
    from liman.cases import services as cases
    from liman.registry import services as registry

    person = registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=first_name, family_name=family_name, sex="F", nationality="SYR"),
        by=None,
    )
    opened = datetime.date.today() - datetime.timedelta(days=opened_days_ago)
    return cases.case_open(person=person, type=case_type, by=by, opened_on=opened)


def _references(response) -> list[str]:
    return re.findall(r'href="/cases/([A-Z0-9-]+)/"', response.content.decode())


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_the_case_list_sorts_by_person_and_keeps_the_filter_in_its_links(client, caseworker, istanbul):
    zeki = _case(istanbul, "Zeki", "Yilmaz", opened_days_ago=3)
    ayse = _case(istanbul, "Ayse", "Demir", opened_days_ago=1)
    client.force_login(caseworker)
    by_person = client.get(reverse("cases:case-list"), {"sort": "person", "type": "protection"})
    assert _references(by_person) == [ayse.reference, zeki.reference]
    assert _references(client.get(reverse("cases:case-list"), {"sort": "-person"})) == [zeki.reference, ayse.reference]
    body = by_person.content.decode()
    assert 'aria-sort="ascending"' in body
    assert "sort=-person&amp;type=protection" in body or "type=protection&amp;sort=-person" in body
    assert "/cases/export.xlsx?" in body and "type=protection" in body


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_an_unknown_sort_or_state_answers_the_list_with_a_message(client, caseworker, istanbul):
    _case(istanbul, "Zeki", "Yilmaz")
    client.force_login(caseworker)
    response = client.get(reverse("cases:case-list"), {"sort": "password", "state": "nonsense", "page": "x"})
    assert response.status_code == 200
    assert "cannot be sorted by" in response.content.decode()
    assert "is not a choice of" in response.content.decode()


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_the_case_export_holds_the_filtered_sorted_rows_and_is_audited(client, caseworker, istanbul, izmir):
    _case(istanbul, "Zeki", "Yilmaz", opened_days_ago=3)
    _case(istanbul, "=cmd|' /C calc'!A0", "Demir", opened_days_ago=1)
    _case(istanbul, "Old", "Avrr", case_type="avrr")
    outside = _case(izmir, "Outside", "Office")
    client.force_login(caseworker)
    response = client.get(reverse("cases:case-export-csv"), {"sort": "person", "type": "protection"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Case", "Person", "Type", "State"]
    people = [row[1] for row in rows[1:]]
    # Sorted by family name; the formula is neutralised; another office's case and the AVRR case are not there.
    assert people == ["'=cmd|' /C calc'!A0 Demir", "Zeki Yilmaz"]
    assert outside.reference not in response.content.decode()
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).latest("seq")
    assert event.actor == caseworker
    assert event.changes["rows"] == "2" and event.changes["format"] == "csv"
    assert event.changes["filters"] == {"type": "protection"} and event.changes["sort"] == "person"
    assert event.reason == "list export case-list"

    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("cases:case-export-xlsx"), {"sort": "-person"}).content)
    )
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]][:2] == ["Case", "Person"]
    assert sheet.max_row == 4
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == 2


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_a_protection_export_is_audited_at_its_tier_naming_the_files(client, istanbul):
    from liman.cases.models import Case

    supervisor = UserFactory(username="lists-supervisor")
    grant(supervisor, Role.SUPERVISOR, istanbul)
    case = _case(istanbul, "Hidden", "Person")
    Case.objects.filter(pk=case.pk).update(sensitivity="protection")
    client.force_login(supervisor)
    assert client.get(reverse("cases:case-export-csv")).status_code == 200
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).latest("seq")
    assert event.sensitivity == "protection"
    assert event.changes["sensitive"] == [case.reference]


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[], LIMAN_EXPORT_MAX_ROWS=1)
def test_an_export_larger_than_the_limit_asks_to_narrow_the_filters(client, caseworker, istanbul):
    _case(istanbul, "One", "Person")
    _case(istanbul, "Two", "Person")
    client.force_login(caseworker)
    response = client.get(reverse("cases:case-export-xlsx"), {"open": "1"}, follow=True)
    assert response.redirect_chain[0][0] == reverse("cases:case-list") + "?open=1"
    assert "narrow the filters" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_an_unknown_export_format_is_not_found(client, caseworker):
    from liman.cases import views

    client.force_login(caseworker)
    request = RequestFactory().get("/cases/export.pdf")
    request.user = caseworker
    with pytest.raises(Exception) as caught:
        views.case_export(request, "pdf")
    assert caught.type.__name__ == "Http404"


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_the_case_list_and_export_cost_the_same_few_queries_for_many_rows(
    client, caseworker, istanbul, django_assert_max_num_queries
):
    for number in range(30):
        _case(istanbul, f"Person{number}", f"Family{number}", by=caseworker)
    client.force_login(caseworker)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("cases:case-list"), {"sort": "caseworker"}).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("cases:case-export-xlsx"), {"sort": "state"}).status_code == 200


# --- the walk: every list, every column, every filter -------------------------------------------------------


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """One of every scoped record (so every list has rows to sort), and a user of their office with every role."""
    with world_for_the_module(django_db_blocker):
        from liman.registry import services as registry

        office = OfficeFactory(code="LST", name="Lists Office")
        for number, build in enumerate(dict.fromkeys(SCOPED_FACTORIES.values())):
            build(office, f"Walk{number}")
        registry.person_register(
            office=office,
            data=registry.PersonInput(
                first_name="Walk", family_name="Born", sex="M", nationality="SYR", birth_date=datetime.date(1990, 5, 1)
            ),
            by=None,
        )
        reader = UserFactory(username="lists-reader")
        for role in Role.values:
            grant(reader, role, office)
        yield reader


def _addresses(spec: ListSpec, user) -> list[dict]:
    """The queries the walk asks of one list: every sortable column both ways, every filter valid and made up."""
    base = dict(spec.example_query)
    queries = [dict(base), {**base, "sort": "no-such-column"}, {**base, "page": "999"}]
    for column in spec.columns:
        if column.sorts:
            queries += [{**base, "sort": column.key}, {**base, "sort": f"-{column.key}"}]
    request = RequestFactory().get("/")
    request.user = user
    for item in spec.filters:
        if item.kind == "choice":
            options = item.options(request, {}) if item.choices else []
            queries += [{**base, item.key: value} for value, _label in options[:3]]
            queries.append({**base, item.key: "no-such-choice"})
        elif item.kind == "flag":
            queries.append({**base, item.key: "1"})
        else:
            queries += [{**base, item.key: "Walk"}, {**base, item.key: "%_'\"<>"}]
    return queries


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_every_list_answers_every_sort_and_filter(client, _world):
    reader = _world
    client.force_login(reader)
    assert {"cases:case-list", "cases:follow-up-list", "cases:referral-list", "health:health-assessment-list"} <= set(
        lists.registered()
    )
    assert {"registry:person-search", "movements:movements-booking-list"} <= set(lists.registered())
    asked = 0
    for name, spec in lists.registered().items():
        url = reverse(name)
        shown_rows = False
        for query in _addresses(spec, reader):
            response = client.get(url, query)
            assert response.status_code == 200, f"{url} {query}: {response.status_code}"
            body = response.content.decode()
            if query.get("sort") and query["sort"].lstrip("-") in {c.key for c in spec.columns if c.sorts}:
                direction = "descending" if query["sort"].startswith("-") else "ascending"
                assert f'aria-sort="{direction}"' in body, f"{url} {query}: the sorted column is not marked"
            shown_rows = shown_rows or 'class="empty"' not in body
            asked += 1
        assert shown_rows, f"{url} never showed a row: the walk proves nothing for it"
        if spec.export_url_name:
            for fmt in lists.EXPORT_FORMATS:
                for query in _addresses(spec, reader)[:6]:
                    response = client.get(reverse(f"{spec.export_url_name}-{fmt}"), query)
                    assert response.status_code == 200, f"{spec.export_url_name}-{fmt} {query}"
                    assert response["Content-Disposition"].startswith("attachment")
    assert asked > 50
