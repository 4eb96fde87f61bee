"""Merging duplicate person records without loss, and undoing a merge exactly (liman.registry.merge)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liman.cases import services as cases
from liman.core.choices import AuditAction, Role, Sensitivity
from liman.core.models import AuditEvent, Programme
from liman.health import services as health
from liman.movements import services as movements
from liman.movements.models import Booking
from liman.registry import search
from liman.registry import selectors as registry_selectors
from liman.registry import services as registry
from liman.registry.choices import WG_DOMAINS, IdentifierType, LegalStatusType, Relationship
from liman.registry.merge import person_merge, person_references, person_unmerge
from liman.registry.models import HouseholdMember, Person, PersonMerge, PersonNameKey, Vulnerability
from tests.factories import agreement, grant, staff

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def supervisor(istanbul):
    return staff(Role.SUPERVISOR, istanbul, username="supervisor.ist")


def register(office, first: str, family: str, **extra) -> Person:
    extra = {"sex": "M", "nationality": "SYR", **extra}
    return registry.person_register(
        office=office, data=registry.PersonInput(first_name=first, family_name=family, **extra), by=None
    )


# --- a person with every kind of record ----------------------------------------------------------------------


@dataclass
class Staff:
    supervisor: object
    nurse: object


@pytest.fixture
def team(istanbul, supervisor) -> Staff:
    return Staff(supervisor, staff(Role.HEALTH, istanbul, programme="health", username="nurse.ist"))


@pytest.fixture
def flight(istanbul, supervisor):
    departure = timezone.now() + datetime.timedelta(days=2)
    legs = [
        movements.LegInput("Turkish Airlines", "TK1", "IST", "JFK", departure, departure + datetime.timedelta(hours=11))
    ]
    return movements.flight_create(office=istanbul, destination_country="USA", legs=legs, by=supervisor)


def person_with_everything(office, team: Staff, flight, *, first: str, passport: str, phone: str) -> Person:
    """A head of household with a spouse, legal statuses, identifiers, WG-SS, vulnerabilities, consents, a document,
    a protection case with a referral and a follow-up, a health assessment with clearance and a fit-to-fly check, a
    resettlement case with a visa, an exit permission, a promissory note, orientation and a booking."""
    today = timezone.localdate()
    person = register(
        office,
        first,
        "Haddad",
        birth_date=datetime.date(1985, 1, 1),
        phone=phone,
        languages=["ar", "ku"],
        legal_status=LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT,
        legal_status_since=datetime.date(2019, 3, 1),
        identifiers=[registry.IdentifierInput(IdentifierType.PASSPORT, passport, "SYR")],
    )
    registry.legal_status_add(
        person=person, status=LegalStatusType.REFUGEE, started_on=datetime.date(2021, 5, 4), by=None
    )
    spouse = register(office, f"{first}spouse", "Haddad", sex="F")
    household = registry.household_create(office=office, head=person, by=None)
    registry.household_add_member(household=household, person=spouse, relationship=Relationship.SPOUSE, by=None)
    registry.disability_assess(person=person, answers=dict.fromkeys(WG_DOMAINS, 2), by=None)
    registry.vulnerability_add(person=person, type="serious_medical_condition", note=f"{first} note", by=None)
    for purpose in ("registration", "referral", "sharing_partner"):
        registry.consent_record(person=person, purpose=purpose, legal_basis="consent", by=None)
    upload = SimpleUploadedFile(f"{first}-passport.pdf", PDF, content_type="application/pdf")
    registry.attachment_add(person=person, kind="identity_document", upload=upload, by=team.supervisor)

    opened = today - datetime.timedelta(days=30)
    case = cases.case_open(person=person, type="protection", by=None, opened_on=opened)
    partner = cases.partner_organisation_create(name=f"{first} Partner", kind="ngo", by=None)
    agreement(partner)
    cases.referral_send(case=case, to_partner=partner, summary=f"{first} referral", by=None)
    cases.follow_up_schedule(case=case, due_on=today, purpose=f"{first} follow-up", by=None)

    assessment = health.health_assessment_request(person=person, by=None)
    health.health_assessment_record(
        assessment=assessment,
        by=team.nurse,
        changes={
            "assessed_on": today,
            "examination": f"{first} examined",
            "chest_xray": "normal",
            "fit_to_travel": True,
        },
    )
    health.health_assessment_clear(
        assessment=assessment, by=team.nurse, valid_until=today + datetime.timedelta(days=90)
    )
    health.fit_to_fly_record(person=person, by=team.nurse, is_fit=True)

    resettlement = movements.resettlement_case_open(
        office=office, principal=person, country="USA", unhcr_reference=f"{first}-UNHCR", by=team.supervisor
    )
    movements.visa_record(
        case=resettlement, person=person, issued_on=today, valid_until=today + datetime.timedelta(days=90), by=None
    )
    movements.exit_permission_request(case=resettlement, person=person, requested_on=today, by=None)
    movements.promissory_note_record(case=resettlement, person=person, signed_on=today, by=None)
    Booking.objects.create(
        flight=flight,
        person=person,
        office=office,
        programme=Programme.objects.get(code="resettlement"),
        case=resettlement,
        source_reference=resettlement.reference,
    )
    return person


# --- a generic picture of everything that points at two people ----------------------------------------------


def raw_rows(table: str, column: str, values) -> dict:
    """The rows of `table` whose `column` is one of `values`, exactly as stored (ciphertexts included)."""
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(table)} WHERE {quote(column)} IN ({marks})", list(values))
        names = [column[0] for column in cursor.description]
        return {tuple(row): dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def picture(*people: Person) -> dict:
    """Every stored value of both people and of every row of any app that points at either of them; search keys
    (rebuilt from the names, so with new ids) as what they say."""
    pks = [person.pk for person in people]
    shot = {"registry_person": raw_rows(Person._meta.db_table, "id", pks)}
    for relation in Person._meta.get_fields(include_hidden=True):
        if not (relation.is_relation and relation.auto_created and not relation.concrete) or relation.many_to_many:
            continue
        field = relation.field
        if field.model in (PersonMerge, PersonNameKey):
            continue
        shot[f"{field.model._meta.db_table}.{field.column}"] = raw_rows(field.model._meta.db_table, field.column, pks)
    shot["search keys"] = sorted(
        PersonNameKey.objects.filter(person__in=pks).values_list("person_id", "office_id", "sensitivity", "kind", "key")
    )
    return shot


def references_to(person: Person) -> dict[str, list[int]]:
    """Which rows of which model point at `person` (through any column)."""
    found = {}
    for field in person_references():
        pks = sorted(field.model._base_manager.filter(**{field.attname: person.pk}).values_list("pk", flat=True))
        if pks:
            found[f"{field.model._meta.label_lower}.{field.name}"] = pks
    return found


@pytest.fixture
def two_people(istanbul, team, flight):
    first = person_with_everything(istanbul, team, flight, first="Mohammed", passport="N1234567", phone="+905321112233")
    second = person_with_everything(
        istanbul, team, flight, first="Muhammad", passport="N7654321", phone="+905329998877"
    )
    return first, second


# --- merge and unmerge, every field and relation -------------------------------------------------------------


@pytest.mark.parametrize("survivor_is_first", [True, False], ids=["older-survives", "newer-survives"])
def test_merge_then_unmerge_restores_every_field_and_relation(two_people, team, survivor_is_first):
    survivor, merged = two_people if survivor_is_first else reversed(two_people)
    before = picture(survivor, merged)
    merged_refs, survivor_refs = references_to(merged), references_to(survivor)

    merge = person_merge(survivor=survivor, merged=merged, by=team.supervisor, reason="same passport photo")

    kept = {(entry["model"], entry["field"]) for entry in merge.kept}
    assert kept == {
        ("registry.householdmember", "person_id"),  # one household per person: the survivor keeps his
        ("registry.household", "head_id"),  # and the alias stays head of the household it is a member of
        ("health.medicalclearance", "person_id"),  # one clearance per person
        ("movements.booking", "person_id"),  # one seat per person on a flight
    }
    moved_now = references_to(survivor)
    for relation, pks in merged_refs.items():
        stayed = {int(entry["pk"]) for entry in merge.kept if f"{entry['model']}.{entry['field'][:-3]}" == relation}
        assert set(pks) - stayed <= set(moved_now[relation]), relation
    assert sum(len(pks) for pks in survivor_refs.values()) + len(merge.moved) == sum(
        len(pks) for pks in moved_now.values()
    )
    assert {relation for relation in references_to(merged)} == {
        "registry.householdmember.person",
        "registry.household.head",
        "health.medicalclearance.person",
        "movements.booking.person",
    }
    alias_now = picture(merged)["registry_person"]
    (alias_row,) = alias_now.values()
    (alias_before,) = (row for row in before["registry_person"].values() if row["id"] == merged.pk)
    assert alias_row == {**alias_before, "merged_into_id": survivor.pk}  # the alias keeps its own values

    person_unmerge(merge=merge, by=team.supervisor)

    assert picture(survivor, merged) == before


def test_merge_moves_the_references_of_every_app_to_the_survivor(two_people, team):
    survivor, merged = two_people
    merged_case = merged.cases.get()
    merged_identifier = merged.identifiers.get()

    person_merge(survivor=survivor, merged=merged, by=team.supervisor)

    assert merged_case.__class__.objects.get(pk=merged_case.pk).person_id == survivor.pk
    assert merged_identifier.__class__.objects.get(pk=merged_identifier.pk).person_id == survivor.pk
    assert survivor.cases.count() == 2
    assert survivor.consents.count() == 6
    assert survivor.legal_statuses.count() == 4
    assert survivor.health_assessments.count() == 2
    assert survivor.resettlement_cases.count() == 2
    assert Person.objects.get(pk=merged.pk).merged_into_id == survivor.pk


def test_merge_and_unmerge_are_audited(two_people, team):
    survivor, merged = two_people
    start = AuditEvent.objects.order_by("-seq").first().seq

    merge = person_merge(survivor=survivor, merged=merged, by=team.supervisor, reason="same passport photo")

    events = AuditEvent.objects.filter(seq__gt=start)
    assert events.filter(
        action=AuditAction.CREATE, object_type="registry.personmerge", object_id=str(merge.pk)
    ).exists()
    alias_event = events.get(object_type="registry.person", object_id=str(merged.pk))
    assert alias_event.changes == {"merged_into": [None, survivor.reference]}
    assert alias_event.actor == team.supervisor
    assert alias_event.reason == "same passport photo"
    for entry in merge.moved:
        event = events.get(object_type=entry["model"], object_id=entry["pk"])
        assert list(event.changes.values()) == [[str(merged.pk), str(survivor.pk)]]

    middle = AuditEvent.objects.order_by("-seq").first().seq
    person_unmerge(merge=merge, by=team.supervisor)

    events = AuditEvent.objects.filter(seq__gt=middle)
    alias_event = events.get(object_type="registry.person", object_id=str(merged.pk))
    assert alias_event.changes == {"merged_into": [survivor.reference, None]}
    assert events.filter(object_type="registry.personmerge", object_id=str(merge.pk), action=AuditAction.UPDATE)
    assert events.filter(object_type__in={entry["model"] for entry in merge.moved}).count() == len(merge.moved)
    merge.refresh_from_db()
    assert merge.unmerged_by == team.supervisor and merge.unmerged_at is not None


def test_the_merge_record_keeps_no_decrypted_value_in_plain_columns(istanbul, supervisor):
    survivor = register(istanbul, "Omar", "Haddad")
    merged = register(istanbul, "Omar", "Hadad", phone="+905321234567")

    merge = person_merge(survivor=survivor, merged=merged, by=supervisor)

    stored = raw_rows(PersonMerge._meta.db_table, "id", [merge.pk])
    (row,) = stored.values()
    assert "5321234567" not in repr(row)
    assert "phone" not in merge.person_values and "phone_index" not in merge.person_values
    assert '"+905321234567"' in merge.sealed_values  # readable only through the field's decryption


def test_unmerge_restores_a_phone_changed_while_merged(istanbul, supervisor):
    """An alias is not edited through the pages; if a value changed anyway, undoing the merge puts it back."""
    survivor = register(istanbul, "Omar", "Haddad")
    merged = register(istanbul, "Omar", "Hadad", phone="+905321234567")
    merge = person_merge(survivor=survivor, merged=merged, by=supervisor)
    Person.objects.filter(pk=merged.pk).update(phone="+905329999999", phone_index="+905329999999", first_name="X")

    person_unmerge(merge=merge, by=supervisor)

    merged.refresh_from_db()
    assert (merged.first_name, merged.phone, merged.merged_into) == ("Omar", "+905321234567", None)
    assert list(Person.objects.filter(phone_index="+905321234567")) == [merged]


def test_the_survivor_takes_the_stricter_sensitivity_until_the_merge_is_undone(istanbul, supervisor):
    survivor = register(istanbul, "Omar", "Haddad")
    merged = register(istanbul, "Omar", "Hadad")
    registry.vulnerability_add(person=merged, type="survivor_of_violence", by=None)
    registry.person_update(person=merged, changes={"sensitivity": Sensitivity.PROTECTION}, by=supervisor)
    viewer = staff(Role.VIEWER, istanbul)
    before = picture(survivor, merged)

    merge = person_merge(survivor=survivor, merged=merged, by=supervisor)

    assert Person.objects.get(pk=survivor.pk).sensitivity == Sensitivity.PROTECTION
    assert not Person.objects.visible_to(viewer).filter(pk=survivor.pk).exists()
    assert not Vulnerability.objects.visible_to(viewer).exists()
    person_unmerge(merge=merge, by=supervisor)
    assert picture(survivor, merged) == before


def test_protection_and_medical_records_are_not_merged(istanbul):
    boss = staff(Role.SUPERVISOR, istanbul)
    grant(boss, Role.HEALTH, istanbul)
    survivor = register(istanbul, "Omar", "Haddad")
    merged = register(istanbul, "Omar", "Hadad")
    Person.objects.filter(pk=survivor.pk).update(sensitivity=Sensitivity.PROTECTION)
    Person.objects.filter(pk=merged.pk).update(sensitivity=Sensitivity.MEDICAL)
    survivor.refresh_from_db()
    merged.refresh_from_db()
    with pytest.raises(ValidationError, match="give both records the same sensitivity"):
        person_merge(survivor=survivor, merged=merged, by=boss)


# --- households: who keeps which membership ------------------------------------------------------------------


def test_a_merged_member_of_no_other_household_moves_into_the_survivors_place(istanbul, supervisor):
    survivor = register(istanbul, "Omar", "Haddad")
    merged = register(istanbul, "Omar", "Hadad")
    household = registry.household_create(office=istanbul, head=merged, by=None)

    person_merge(survivor=survivor, merged=merged, by=supervisor)

    household.refresh_from_db()
    assert household.head == survivor
    assert HouseholdMember.objects.get(household=household).person == survivor


def test_members_of_one_household_merged_keep_both_rows_and_the_alias_shows_on_the_survivors_page(
    client, istanbul, supervisor
):
    head = register(istanbul, "Omar", "Haddad")
    duplicate = register(istanbul, "Omar", "Hadad")
    household = registry.household_create(office=istanbul, head=head, by=None)
    registry.household_add_member(household=household, person=duplicate, relationship=Relationship.CHILD, by=None)

    merge = person_merge(survivor=duplicate, merged=head, by=supervisor)

    assert [entry["model"] for entry in merge.kept] == ["registry.household", "registry.householdmember"]
    client.force_login(supervisor)
    page = client.get(reverse("registry:person-detail", args=[duplicate.reference])).content.decode()
    assert "Also registered as" in page and head.reference in page and "household member" in page
    household_page = client.get(reverse("registry:household-detail", args=[household.reference])).content.decode()
    assert household_page.count("merged record") == 1


def test_an_alias_left_in_the_survivors_household_is_not_taken_along_on_a_resettlement_case(istanbul, supervisor):
    head = register(istanbul, "Omar", "Haddad")
    duplicate = register(istanbul, "Omar", "Hadad")
    child = register(istanbul, "Lina", "Haddad", sex="F")
    household = registry.household_create(office=istanbul, head=head, by=None)
    for person in (duplicate, child):
        registry.household_add_member(household=household, person=person, relationship=Relationship.CHILD, by=None)
    person_merge(survivor=head, merged=duplicate, by=supervisor)

    case = movements.resettlement_case_open(office=istanbul, principal=head, country="CAN", by=supervisor)

    assert {member.person for member in case.members.all()} == {head, child}


# --- refusals ------------------------------------------------------------------------------------------------


def test_a_person_cannot_be_merged_into_themselves(istanbul, supervisor):
    person = register(istanbul, "Omar", "Haddad")
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        person_merge(survivor=person, merged=person, by=supervisor)


def test_an_alias_cannot_be_merged_again(istanbul, supervisor):
    survivor, merged, third = (register(istanbul, "Omar", name) for name in ("Haddad", "Hadad", "Hadded"))
    person_merge(survivor=survivor, merged=merged, by=supervisor)
    with pytest.raises(ValidationError, match=f"{merged.reference} is already merged into {survivor.reference}"):
        person_merge(survivor=third, merged=merged, by=supervisor)


def test_nobody_is_merged_into_an_alias(istanbul, supervisor):
    survivor, merged, third = (register(istanbul, "Omar", name) for name in ("Haddad", "Hadad", "Hadded"))
    person_merge(survivor=survivor, merged=merged, by=supervisor)
    with pytest.raises(ValidationError, match=f"merge into {survivor.reference} instead"):
        person_merge(survivor=merged, merged=third, by=supervisor)
    assert Person.objects.get(pk=third.pk).merged_into is None


def test_a_caseworker_cannot_merge(istanbul):
    caseworker = staff(Role.CASEWORKER, istanbul)
    survivor, merged = register(istanbul, "Omar", "Haddad"), register(istanbul, "Omar", "Hadad")
    with pytest.raises(PermissionDenied, match="supervisor or administrator"):
        person_merge(survivor=survivor, merged=merged, by=caseworker)


def test_a_supervisor_who_cannot_see_the_other_office_cannot_merge_across_offices(istanbul, izmir, supervisor):
    survivor, merged = register(istanbul, "Omar", "Haddad"), register(izmir, "Omar", "Hadad")
    with pytest.raises(PermissionDenied):
        person_merge(survivor=survivor, merged=merged, by=supervisor)
    grant(supervisor, Role.SUPERVISOR, izmir)
    person_merge(survivor=survivor, merged=merged, by=supervisor)
    assert Person.objects.get(pk=merged.pk).merged_into_id == survivor.pk


def test_a_merge_is_undone_only_once(istanbul, supervisor):
    survivor, merged = register(istanbul, "Omar", "Haddad"), register(istanbul, "Omar", "Hadad")
    merge = person_merge(survivor=survivor, merged=merged, by=supervisor)
    person_unmerge(merge=merge, by=supervisor)
    with pytest.raises(ValidationError, match="already undone"):
        person_unmerge(merge=merge, by=supervisor)


def test_unmerge_is_refused_once_the_survivor_is_merged_into_someone_else(istanbul, supervisor):
    survivor, merged, third = (register(istanbul, "Omar", name) for name in ("Haddad", "Hadad", "Hadded"))
    merge = person_merge(survivor=survivor, merged=merged, by=supervisor)
    person_merge(survivor=third, merged=survivor, by=supervisor)
    with pytest.raises(ValidationError, match=f"{survivor.reference} has since been merged into {third.reference}"):
        person_unmerge(merge=merge, by=supervisor)


def test_a_caseworker_cannot_unmerge(istanbul, supervisor):
    survivor, merged = register(istanbul, "Omar", "Haddad"), register(istanbul, "Omar", "Hadad")
    merge = person_merge(survivor=survivor, merged=merged, by=supervisor)
    with pytest.raises(PermissionDenied):
        person_unmerge(merge=merge, by=staff(Role.CASEWORKER, istanbul))


# --- merged people are gone from search and lists ------------------------------------------------------------


def test_a_merged_person_is_gone_from_search_lists_and_the_api_until_unmerged(client, istanbul, supervisor):
    survivor = register(istanbul, "Omar", "Haddad", birth_date=datetime.date(1990, 2, 3))
    merged = register(
        istanbul,
        "Omer",
        "Hadad",
        phone="+905321234567",
        identifiers=[registry.IdentifierInput(IdentifierType.PASSPORT, "N9988776")],
    )
    terms = registry_selectors.SearchTerms(name="Omer Hadad", identifier="N9988776", phone="0532 123 45 67")

    def found() -> set[str]:
        by_name = {match.person.reference for match in search.person_search(supervisor, text="Omer Hadad")}
        by_terms = {match.person.reference for match in registry_selectors.people_matching(supervisor, terms)}
        listed = {row["reference"] for row in client.get("/api/people/").json()["results"]}
        return (by_name | by_terms | listed) & {merged.reference, survivor.reference}

    client.force_login(supervisor)
    assert found() == {merged.reference, survivor.reference}
    merge = person_merge(survivor=survivor, merged=merged, by=supervisor)
    assert found() == {survivor.reference}  # the survivor is found by the alias's passport now
    assert not PersonNameKey.objects.filter(person=merged).exists()
    person_unmerge(merge=merge, by=supervisor)
    assert found() == {merged.reference, survivor.reference}


# --- the pages -----------------------------------------------------------------------------------------------


def test_the_alias_page_offers_unmerge_to_a_supervisor_and_it_undoes_the_merge(client, istanbul, supervisor):
    survivor, merged = register(istanbul, "Omar", "Haddad"), register(istanbul, "Omar", "Hadad")
    person_merge(survivor=survivor, merged=merged, by=supervisor, reason="same person, registered twice")
    client.force_login(supervisor)
    url = reverse("registry:person-unmerge", args=[merged.reference])

    page = client.get(reverse("registry:person-detail", args=[merged.reference])).content.decode()
    assert "This record was merged into" in page and survivor.reference in page
    assert "same person, registered twice" in page and url in page
    assert "Edit details" not in page

    response = client.post(url, follow=True)

    assert "is a record of its own again" in response.content.decode()
    assert Person.objects.get(pk=merged.pk).merged_into is None


def test_the_alias_page_offers_no_unmerge_to_a_caseworker_and_the_post_is_404(client, istanbul, supervisor):
    survivor, merged = register(istanbul, "Omar", "Haddad"), register(istanbul, "Omar", "Hadad")
    person_merge(survivor=survivor, merged=merged, by=supervisor)
    client.force_login(staff(Role.CASEWORKER, istanbul))
    url = reverse("registry:person-unmerge", args=[merged.reference])

    page = client.get(reverse("registry:person-detail", args=[merged.reference])).content.decode()

    assert "This record was merged into" in page and url not in page
    assert client.post(url).status_code == 404
    assert Person.objects.get(pk=merged.pk).merged_into_id == survivor.pk


def test_unmerge_of_another_offices_alias_is_404(client, istanbul, izmir):
    boss = staff(Role.SUPERVISOR, izmir, username="supervisor.izm")
    survivor, merged = register(izmir, "Omar", "Haddad"), register(izmir, "Omar", "Hadad")
    person_merge(survivor=survivor, merged=merged, by=boss)
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    assert client.post(reverse("registry:person-unmerge", args=[merged.reference])).status_code == 404


def test_the_unmerge_button_says_why_it_cannot_be_used(client, istanbul, supervisor):
    survivor, merged, third = (register(istanbul, "Omar", name) for name in ("Haddad", "Hadad", "Hadded"))
    person_merge(survivor=survivor, merged=merged, by=supervisor)
    person_merge(survivor=third, merged=survivor, by=supervisor)
    client.force_login(supervisor)

    page = client.get(reverse("registry:person-detail", args=[merged.reference])).content.decode()

    assert f"{survivor.reference} has since been merged into {third.reference}" in page
    assert reverse("registry:person-unmerge", args=[merged.reference]) not in page


def test_the_survivors_page_costs_the_same_queries_with_one_alias_or_four(
    client, istanbul, supervisor, django_assert_max_num_queries
):
    survivor = register(istanbul, "Omar", "Haddad")
    client.force_login(supervisor)
    url = reverse("registry:person-detail", args=[survivor.reference])
    person_merge(survivor=survivor, merged=register(istanbul, "Omar", "Hadad"), by=supervisor)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for name in ("Hadded", "Haddat", "Hadat"):
        person_merge(survivor=survivor, merged=register(istanbul, "Omar", name), by=supervisor)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("Also registered as") == 1 and page.count("merged on") == 4


# --- any shape of records, either side surviving ------------------------------------------------------------


@st.composite
def shapes(draw):
    """What each of two registrations of one person has: identifiers, consents, a household (own, shared or none)."""
    return {
        "identifiers": (draw(st.integers(0, 2)), draw(st.integers(0, 2))),
        "consents": (draw(st.integers(0, 2)), draw(st.integers(0, 2))),
        "households": draw(st.sampled_from(["none", "first", "second", "both", "shared"])),
        "first_survives": draw(st.booleans()),
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=shapes())
def test_any_merge_is_undone_exactly_whichever_record_survives(istanbul, supervisor, shape):
    with transaction.atomic():
        people = []
        for side in (0, 1):
            person = register(
                istanbul,
                "Omar",
                ("Haddad", "Hadad")[side],
                identifiers=[
                    registry.IdentifierInput(IdentifierType.PASSPORT, f"N{side}{n}44556")
                    for n in range(shape["identifiers"][side])
                ],
            )
            for purpose in ("registration", "referral")[: shape["consents"][side]]:
                registry.consent_record(person=person, purpose=purpose, legal_basis="consent", by=None)
            people.append(person)
        households = shape["households"]
        if households in ("first", "both", "shared"):
            household = registry.household_create(office=istanbul, head=people[0], by=None)
            if households == "shared":
                registry.household_add_member(
                    household=household, person=people[1], relationship=Relationship.SIBLING, by=None
                )
        if households in ("second", "both"):
            registry.household_create(office=istanbul, head=people[1], by=None)
        survivor, merged = people if shape["first_survives"] else people[::-1]
        before = picture(survivor, merged)

        merge = person_merge(survivor=survivor, merged=merged, by=supervisor)
        assert set(references_to(merged)) <= {"registry.householdmember.person", "registry.household.head"}
        person_unmerge(merge=merge, by=supervisor)

        assert picture(survivor, merged) == before
        transaction.set_rollback(True)
