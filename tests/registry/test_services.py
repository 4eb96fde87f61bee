"""Registry writes the pages rely on: registration at the desk all or nothing, households with exactly one head,
statuses that end, flags that end, documents checked by content."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from liman.core.choices import AuditAction
from liman.core.models import AuditEvent
from liman.registry import services as registry
from liman.registry.choices import IdentifierType, LegalBasis, LegalStatusType, Relationship
from liman.registry.models import ATTACHMENT_MAX_BYTES, Consent, Household, HouseholdMember, Person

pytestmark = pytest.mark.django_db


def person_input(first="Rania", family="Haddad", **extra) -> registry.PersonInput:
    return registry.PersonInput(first_name=first, family_name=family, **{"sex": "F", "nationality": "SYR", **extra})


def register(office, first="Omar", family="Haddad", **extra) -> Person:
    return registry.person_register(office=office, data=person_input(first, family, **extra), by=None)


def test_enrolment_records_the_person_a_new_household_and_the_legal_basis(istanbul):
    person = registry.person_enrol(
        office=istanbul, data=person_input(), legal_basis=LegalBasis.CONSENT, start_household=True, by=None
    )
    assert person.membership.relationship == Relationship.HEAD and person.headed_households.get().head == person
    consent = Consent.objects.get(person=person)
    assert (consent.purpose, consent.legal_basis) == ("registration", "consent")


def test_enrolment_into_an_existing_household_sets_the_relationship(istanbul):
    household = registry.household_create(office=istanbul, head=register(istanbul), by=None)
    person = registry.person_enrol(
        office=istanbul,
        data=person_input(),
        legal_basis=LegalBasis.VITAL_INTEREST,
        household=household,
        relationship=Relationship.SPOUSE,
        by=None,
    )
    assert person.membership.household == household and person.membership.relationship == Relationship.SPOUSE


def test_enrolment_writes_nothing_when_any_part_fails(istanbul):
    household = registry.household_create(office=istanbul, head=register(istanbul), by=None)
    people, events = Person.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        registry.person_enrol(
            office=istanbul,
            data=person_input(identifiers=[registry.IdentifierInput(IdentifierType.FOREIGNER_ID, "12345")]),
            legal_basis=LegalBasis.CONSENT,
            household=household,
            relationship=Relationship.CHILD,
            by=None,
        )
    assert "value" in error.value.message_dict
    assert Person.objects.count() == people and AuditEvent.objects.count() == events
    assert household.members.count() == 1


def test_enrolment_refuses_to_join_a_household_as_a_second_head(istanbul):
    household = registry.household_create(office=istanbul, head=register(istanbul), by=None)
    with pytest.raises(ValidationError):
        registry.person_enrol(
            office=istanbul,
            data=person_input(),
            legal_basis=LegalBasis.CONSENT,
            household=household,
            relationship=Relationship.HEAD,
            by=None,
        )
    assert Person.objects.count() == 1


def test_enrolment_needs_a_known_legal_basis(istanbul):
    with pytest.raises(ValidationError, match="legal basis"):
        registry.person_enrol(office=istanbul, data=person_input(), legal_basis="because", by=None)
    assert not Person.objects.exists()


def test_changing_the_head_leaves_exactly_one_head(istanbul):
    head = register(istanbul)
    household = registry.household_create(office=istanbul, head=head, by=None)
    son = register(istanbul, first="Yusuf")
    registry.household_add_member(household=household, person=son, relationship=Relationship.CHILD, by=None)
    registry.household_change_head(
        household=household, person=son, former_head_relationship=Relationship.PARENT, by=None
    )
    household.refresh_from_db()
    assert household.head == son
    assert dict(household.members.values_list("person_id", "relationship")) == {
        son.pk: Relationship.HEAD,
        head.pk: Relationship.PARENT,
    }
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="registry.household").exists()


def test_only_a_member_can_become_head(istanbul):
    household = registry.household_create(office=istanbul, head=register(istanbul), by=None)
    stranger = register(istanbul, first="Kerem")
    with pytest.raises(ValidationError, match="not a member"):
        registry.household_change_head(
            household=household, person=stranger, former_head_relationship=Relationship.SPOUSE, by=None
        )


def test_the_former_head_cannot_stay_head(istanbul):
    head = register(istanbul)
    household = registry.household_create(office=istanbul, head=head, by=None)
    with pytest.raises(ValidationError):
        registry.household_change_head(
            household=household, person=head, former_head_relationship=Relationship.HEAD, by=None
        )


def test_a_members_relationship_changes_but_not_to_head(istanbul):
    household = registry.household_create(office=istanbul, head=register(istanbul), by=None)
    member = registry.household_add_member(
        household=household, person=register(istanbul, first="Nour"), relationship=Relationship.CHILD, by=None
    )
    registry.household_member_update(member=member, relationship=Relationship.GRANDCHILD, by=None)
    assert HouseholdMember.objects.get(pk=member.pk).relationship == Relationship.GRANDCHILD
    with pytest.raises(ValidationError):
        registry.household_member_update(member=member, relationship=Relationship.HEAD, by=None)


def test_a_new_status_ends_a_current_one_that_has_no_start_date_the_day_before(istanbul):
    person = register(istanbul, legal_status=LegalStatusType.IRREGULAR_MIGRANT)
    applicant = LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT
    registry.legal_status_add(person=person, status=applicant, started_on=datetime.date(2026, 3, 2), by=None)
    ended = person.legal_statuses.get(status=LegalStatusType.IRREGULAR_MIGRANT)
    assert ended.ended_on == datetime.date(2026, 3, 1)


def test_a_status_never_ends_before_it_started(istanbul):
    person = register(istanbul)
    registry.legal_status_add(
        person=person, status=LegalStatusType.REFUGEE, started_on=datetime.date(2026, 3, 2), by=None
    )
    registry.legal_status_add(
        person=person, status=LegalStatusType.STATELESS, started_on=datetime.date(2026, 3, 2), by=None
    )
    first = person.legal_statuses.get(status=LegalStatusType.REFUGEE)
    assert first.ended_on == first.started_on


def test_ending_a_vulnerability_keeps_it_with_its_end_date(istanbul):
    person = register(istanbul)
    flag = registry.vulnerability_add(person=person, type="single_parent", by=None)
    registry.vulnerability_end(vulnerability=flag, on=datetime.date(2026, 2, 1), by=None)
    assert person.vulnerabilities.get().ended_on == datetime.date(2026, 2, 1)


def test_a_document_over_the_limit_is_refused_with_its_size(istanbul):
    person = register(istanbul)
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * ATTACHMENT_MAX_BYTES)
    with pytest.raises(ValidationError, match=r"The file is 10\.1 MB; the limit is 10 MB"):
        registry.attachment_add(person=person, kind="other", upload=upload, by=None)
    assert not person.attachments.exists()


def test_starting_a_household_twice_for_one_person_is_refused(istanbul):
    person = register(istanbul)
    registry.household_create(office=istanbul, head=person, by=None)
    with pytest.raises(ValidationError, match="already belongs to a household"):
        registry.household_create(office=istanbul, head=person, by=None)
    assert Household.objects.count() == 1
