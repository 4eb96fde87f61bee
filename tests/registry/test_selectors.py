"""Registry reads: who may register and change, search matches, one person's record, all within the user's scope."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from liman.core.choices import Role, Sensitivity
from liman.registry import selectors
from liman.registry import services as registry
from liman.registry.choices import DatePrecision, IdentifierType, LegalStatusType
from liman.registry.forms import PartialDate, parse_partial_date
from liman.registry.identifiers import ykn_with_checksum
from liman.registry.selectors import SearchTerms
from tests.factories import OfficeFactory, grant, staff

YKN = ykn_with_checksum("991112223")


def register(office, first="Omar", family="Haddad", **extra):
    extra = {"sex": "M", "nationality": "SYR", **extra}
    return registry.person_register(
        office=office, data=registry.PersonInput(first_name=first, family_name=family, **extra), by=None
    )


# --- who may register and change ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_registrar_offices_are_where_the_user_is_caseworker_or_supervisor(istanbul, izmir):
    user = staff(Role.CASEWORKER, istanbul)
    grant(user, Role.SUPERVISOR, izmir)
    grant(user, Role.VIEWER, OfficeFactory(code="EDR"))
    assert [office.code for office in selectors.registrar_offices(user)] == ["IST", "IZM"]


@pytest.mark.django_db
def test_a_caseworker_of_every_office_registers_in_any_active_office(istanbul, izmir):
    OfficeFactory(code="OLD", is_active=False)
    user = staff(Role.CASEWORKER, None)
    assert [office.code for office in selectors.registrar_offices(user)] == ["IST", "IZM"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.VIEWER, Role.HEALTH, Role.PROGRAMME_OFFICER, Role.PARTNER])
def test_other_roles_do_not_register(istanbul, role):
    user = staff(role, istanbul)
    assert selectors.registrar_offices(user) == [] and not selectors.can_register(user)


@pytest.mark.django_db
def test_only_the_persons_office_changes_them(istanbul, izmir):
    person = register(istanbul)
    assert selectors.can_change(staff(Role.SUPERVISOR, istanbul), person)
    assert not selectors.can_change(staff(Role.CASEWORKER, izmir), person)
    assert not selectors.can_change(staff(Role.VIEWER, istanbul), person)


# --- search -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_nothing_asked_finds_nothing(istanbul):
    register(istanbul)
    assert selectors.people_matching(staff(Role.CASEWORKER, istanbul), SearchTerms()) == []


@pytest.mark.django_db
def test_a_person_found_by_identifier_and_name_appears_once_with_both_reasons(istanbul):
    omar = register(istanbul, identifiers=[registry.IdentifierInput(IdentifierType.FOREIGNER_ID, YKN)])
    user = staff(Role.CASEWORKER, istanbul)
    matches = selectors.people_matching(user, SearchTerms(name="Haddad", identifier=YKN))
    assert [match.person for match in matches] == [omar]
    assert matches[0].score == 1.0 and len(matches[0].reasons) >= 1


@pytest.mark.django_db
def test_an_identifier_lookup_ignores_spacing_and_case(istanbul):
    omar = register(istanbul, identifiers=[registry.IdentifierInput(IdentifierType.PASSPORT, "N1234567")])
    user = staff(Role.VIEWER, istanbul)
    assert [m.person for m in selectors.people_matching(user, SearchTerms(identifier="n 123 4567"))] == [omar]


@pytest.mark.django_db
def test_the_search_leaves_out_people_the_user_may_not_see(istanbul, izmir):
    register(izmir, identifiers=[registry.IdentifierInput(IdentifierType.FOREIGNER_ID, YKN)])
    hidden = register(istanbul, phone="+905321112233")
    registry.person_update(person=hidden, changes={"sensitivity": Sensitivity.PROTECTION}, by=None)
    viewer = staff(Role.VIEWER, istanbul)
    assert selectors.people_matching(viewer, SearchTerms(identifier=YKN)) == []
    assert selectors.people_matching(viewer, SearchTerms(phone="+905321112233")) == []
    caseworker = staff(Role.CASEWORKER, istanbul)
    assert [m.person for m in selectors.people_matching(caseworker, SearchTerms(phone="+905321112233"))] == [hidden]


@pytest.mark.django_db
def test_matches_come_with_household_and_current_status_loaded(istanbul):
    for n in range(5):
        person = register(istanbul, first=f"P{n}", legal_status=LegalStatusType.TEMPORARY_PROTECTION)
        registry.household_create(office=istanbul, head=person, by=None)
    user = staff(Role.CASEWORKER, istanbul)
    matches = selectors.people_matching(user, SearchTerms(name="Haddad"))
    with CaptureQueriesContext(connection) as queries:
        shown = [
            (m.person.office.code, m.person.membership.household.reference, m.person.current_statuses[0].status)
            for m in matches
        ]
    assert len(shown) == 5 and len(queries) == 0


# --- one person ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_outside_the_users_scope_is_404(istanbul, izmir):
    person = register(istanbul)
    with pytest.raises(Http404):
        selectors.person_get(staff(Role.CASEWORKER, izmir), reference=person.reference)
    assert selectors.person_get(staff(Role.VIEWER, istanbul), reference=person.reference.lower()) == person


@pytest.mark.django_db
def test_the_person_record_costs_one_query_per_kind_of_record(istanbul):
    head = register(
        istanbul,
        legal_status=LegalStatusType.TEMPORARY_PROTECTION,
        identifiers=[registry.IdentifierInput("passport", f"P{n}") for n in range(6)],
    )
    household = registry.household_create(office=istanbul, head=head, by=None)
    for n in range(8):
        registry.household_add_member(
            household=household, person=register(istanbul, first=f"C{n}"), relationship="child", by=None
        )
    user = staff(Role.CASEWORKER, istanbul)
    person = selectors.person_get(user, reference=head.reference)
    with CaptureQueriesContext(connection) as queries:
        record = selectors.person_record(user, person)
        names = [member.person.full_name for member in record.members]
    assert len(queries) == 7 and len(names) == 9 and len(record.identifiers) == 6
    assert record.members[0].person == head, "the head comes first"


@pytest.mark.django_db
def test_the_record_shows_only_the_household_members_the_user_may_see(istanbul):
    head = register(istanbul)
    household = registry.household_create(office=istanbul, head=head, by=None)
    child = register(istanbul, first="Nour")
    registry.household_add_member(household=household, person=child, relationship="child", by=None)
    registry.person_update(person=child, changes={"sensitivity": Sensitivity.PROTECTION}, by=None)
    viewer = staff(Role.VIEWER, istanbul)
    record = selectors.person_record(viewer, selectors.person_get(viewer, reference=head.reference))
    assert [member.person for member in record.members] == [head]


@pytest.mark.django_db
def test_the_current_legal_status_and_disability_come_from_the_latest_records(istanbul):
    person = register(istanbul, legal_status=LegalStatusType.TEMPORARY_PROTECTION)
    registry.legal_status_add(
        person=person, status=LegalStatusType.REFUGEE, started_on=datetime.date(2025, 3, 1), by=None
    )
    user = staff(Role.CASEWORKER, istanbul)
    record = selectors.person_record(user, person)
    assert record.current_legal_status.status == LegalStatusType.REFUGEE and record.has_disability is None


# --- dates of birth as far as they are known ----------------------------------------------------------------

TODAY = datetime.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990", PartialDate(datetime.date(1990, 1, 1), DatePrecision.YEAR)),
        ("1990-05", PartialDate(datetime.date(1990, 5, 1), DatePrecision.MONTH)),
        ("1990-05-17", PartialDate(datetime.date(1990, 5, 17), DatePrecision.DAY)),
        ("17.05.1990", PartialDate(datetime.date(1990, 5, 17), DatePrecision.DAY)),
        ("05.1990", PartialDate(datetime.date(1990, 5, 1), DatePrecision.MONTH)),
        (" 1990/5/7 ", PartialDate(datetime.date(1990, 5, 7), DatePrecision.DAY)),
        ("", None),
    ],
)
def test_a_date_of_birth_is_read_to_the_precision_given(text, expected):
    assert parse_partial_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1990-13", "not a date in the calendar"),
        ("1990-02-30", "not a date in the calendar"),
        ("2027", "future"),
        ("2026-07", "future"),
        ("1850", "before 1900"),
        ("May 1990", "1990, 1990-05 or 1990-05-17"),
        ("90", "1990, 1990-05 or 1990-05-17"),
    ],
)
def test_a_date_of_birth_that_cannot_be_is_refused_with_the_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_partial_date(text, today=TODAY)


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY), st.sampled_from(DatePrecision.values))
def test_a_partial_date_reads_back_as_written(day, precision):
    written = str(PartialDate(day, precision))
    parsed = parse_partial_date(written, today=TODAY)
    assert str(parsed) == written and parsed.precision == precision
