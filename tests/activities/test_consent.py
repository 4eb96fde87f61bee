"""Consent of activity participants: taken at entry (the registry's consent record for a registered person, reused
while it stands; on the participant for a light record) or another basis documented; a withdrawn consent shows on
the participant list and keeps the participant out of the certificate message."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from liman.activities import messages as activity_messages
from liman.activities import services
from liman.activities.models import Participant
from liman.core.choices import Role
from liman.registry.choices import ConsentPurpose
from liman.registry.consent import consent_for, withdrawn
from liman.registry.models import Consent
from liman.registry.services import consent_record
from tests.factories import staff

pytestmark = pytest.mark.django_db


def _add(client, activity, **data):
    return client.post(reverse("activities:activity-participant-add", args=[activity.reference]), data, follow=True)


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def test_consent_at_entry_for_registered_and_light_participants(client, training, officer, person):
    client.force_login(officer)
    _add(client, training, kind="person", person=person.reference, legal_basis="consent")
    linked = Participant.objects.get(person=person)
    assert linked.consent.purpose == ConsentPurpose.ACTIVITIES and linked.consent.legal_basis == "consent"
    assert linked.consent.person == person and linked.consent_given_on is not None
    # A second activity reuses the consent that stands.
    other = services.activity_create(office=training.office, type="workshop", title="CV writing",
                                     starts_on=training.starts_on, ends_on=training.ends_on, by=officer)  # fmt: skip
    again = services.participant_add_person(activity=other, person=person, by=officer)
    assert again.consent == linked.consent and Consent.objects.filter(person=person).count() == 1
    light = {"kind": "light", "name": "Kaymakam Yardımcısı", "sex": "M", "age_group": "18_59",
             "population_group": "host_community", "institution": "municipality",
             "legal_basis": "public_interest"}  # fmt: skip
    response = _add(client, training, **light)
    assert "say what the other basis is" in _messages(response)
    assert not Participant.objects.filter(name="Kaymakam Yardımcısı").exists()
    _add(client, training, **light, basis_note="Official duty training, letter 2026/114 on file")
    official = Participant.objects.get(name="Kaymakam Yardımcısı")
    assert (official.legal_basis, official.basis_note) == (
        "public_interest",
        "Official duty training, letter 2026/114 on file",
    )
    page = client.get(reverse("activities:activity-detail", args=[training.reference])).content.decode()
    assert "Public interest" in page and "letter 2026/114" in page and "Legal basis" in page


def test_a_withdrawn_consent_shows_and_stops_the_certificate_message(client, training, officer, person, today):
    linked = services.participant_add_person(activity=training, person=person, by=officer)
    light = services.participant_add_light(activity=training, name="Walk-in", sex="F", age_group="18_59",
                                           population_group="host_community", by=officer)  # fmt: skip
    session = services.session_add(activity=training, held_on=today, by=officer)
    services.attendance_take(session=session, present={linked.pk, light.pk}, by=officer)
    for participant in (linked, light):
        services.certificate_issue(participant=participant, by=officer)
    audience = activity_messages.certificate_holders(officer, training.pk)
    assert [recipient.person for recipient in audience.recipients] == [person]  # a light record has no contact
    assert audience.recipients[0].context["number"].endswith("-001")
    client.force_login(officer)
    assert (
        "Tell the participants"
        in client.get(reverse("activities:activity-detail", args=[training.reference])).content.decode()
    )
    for participant in (linked, light):
        client.post(reverse("activities:activity-participant-consent-withdraw", args=[participant.pk]))
    linked.refresh_from_db()
    light.refresh_from_db()
    assert linked.consent.withdrawn_on == today and linked.consent_withdrawn and light.consent_withdrawn
    response = client.post(reverse("activities:activity-participant-consent-withdraw", args=[light.pk]), follow=True)
    assert "withdrawn already" in _messages(response)
    assert activity_messages.certificate_holders(officer, training.pk).recipients == []
    page = client.get(reverse("activities:activity-detail", args=[training.reference])).content.decode()
    assert page.count("Consent withdrawn") == 2


def test_outside_the_office_consent_and_the_audience_are_not_found(client, training, officer, person, izmir):
    linked = services.participant_add_person(activity=training, person=person, by=officer)
    outsider = staff(Role.PROGRAMME_OFFICER, izmir, username="po.izm")
    with pytest.raises(Http404):
        activity_messages.certificate_holders(outsider, training.pk)
    client.force_login(outsider)
    assert client.post(reverse("activities:activity-participant-consent-withdraw", args=[linked.pk])).status_code == 404
    assert client.get(f"/activities/certificates/{training.pk}/message/").status_code == 404
    viewer = staff(Role.VIEWER, training.office, username="viewer.ist")
    client.force_login(viewer)
    assert client.post(reverse("activities:activity-participant-consent-withdraw", args=[linked.pk])).status_code == 404
    linked.refresh_from_db()
    assert not linked.consent_withdrawn


def test_the_activities_consent_is_its_own_and_withdrawing_it_leaves_registration_alone(
    training, officer, person, today
):
    registration = consent_record(person=person, purpose=ConsentPurpose.REGISTRATION, legal_basis="consent", by=None)
    linked = services.participant_add_person(activity=training, person=person, by=officer)
    assert linked.consent != registration and linked.consent == consent_for(person, ConsentPurpose.ACTIVITIES)
    session = services.session_add(activity=training, held_on=today, by=officer)
    services.attendance_take(session=session, present={linked.pk}, by=officer)
    services.certificate_issue(participant=linked, by=officer)
    assert [r.person for r in activity_messages.certificate_holders(officer, training.pk).recipients] == [person]

    services.participant_consent_withdraw(participant=linked, by=officer)

    assert consent_for(person, ConsentPurpose.ACTIVITIES) is None
    assert consent_for(person, ConsentPurpose.REGISTRATION) == registration
    assert [entry["purpose"] for entry in withdrawn(person)] == [ConsentPurpose.ACTIVITIES.label]
    assert activity_messages.certificate_holders(officer, training.pk).recipients == []
    # Enrolled again later: a new consent for activities is recorded, and the certificate message reaches them again.
    again = services.participant_add_person(
        activity=services.activity_create(office=training.office, type="workshop", title="CV writing",
                                          starts_on=today, ends_on=today, by=officer),
        person=person, by=officer,
    )  # fmt: skip
    assert again.consent.purpose == ConsentPurpose.ACTIVITIES and again.consent.is_current
    assert [r.person for r in activity_messages.certificate_holders(officer, training.pk).recipients] == [person]


def test_the_migration_gives_activities_the_consents_enrolments_recorded_under_registration(
    monkeypatch, training, officer, person, istanbul
):
    from importlib import import_module

    from django.apps import apps

    from liman.registry import services as registry

    migration = import_module("liman.activities.migrations.0004_participant_consents_for_activities")
    registered_with_consent = registry.person_register(
        office=istanbul, data=registry.PersonInput(first_name="Omar", family_name="Khalil", sex="M", nationality="SYR"),
        by=None,
    )  # fmt: skip
    at_registration = consent_record(
        person=registered_with_consent, purpose=ConsentPurpose.REGISTRATION, legal_basis="consent", by=None
    )
    # As enrolments were recorded before activities had a purpose: under registration, reusing a current one.
    monkeypatch.setattr(services, "ACTIVITY_CONSENT_PURPOSE", ConsentPurpose.REGISTRATION)
    recorded = services.participant_add_person(activity=training, person=person, by=officer)
    reused = services.participant_add_person(activity=training, person=registered_with_consent, by=officer)
    assert reused.consent == at_registration and recorded.consent.purpose == ConsentPurpose.REGISTRATION

    migration.consents_for_activities(apps, None)

    recorded.consent.refresh_from_db()
    at_registration.refresh_from_db()
    assert recorded.consent.purpose == ConsentPurpose.ACTIVITIES
    assert at_registration.purpose == ConsentPurpose.REGISTRATION  # given at registration: stays
    migration.consents_for_registration(apps, None)
    recorded.consent.refresh_from_db()
    assert recorded.consent.purpose == ConsentPurpose.REGISTRATION
