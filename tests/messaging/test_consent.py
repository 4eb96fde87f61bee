"""Messages rely on the registry's consent for contact: recording it from the messaging pages records a registry
consent (audited), withdrawing it on the person page stops what is queued, and it is read within the user's scope."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from liman.core.choices import AuditAction, Role
from liman.core.messages import Recipient
from liman.core.models import AuditEvent
from liman.messaging import selectors, services
from liman.messaging.backends import get_backend
from liman.messaging.choices import MessageState
from liman.messaging.models import Message
from liman.messaging.sender import send_pending
from liman.registry import services as registry
from liman.registry.consent import consent_for
from liman.registry.models import Consent
from tests.factories import staff
from tests.messaging.conftest import contactable, register

pytestmark = pytest.mark.django_db

KIND = "health_assessment_appointment"


def appointment(person) -> Recipient:
    return Recipient(person, {"date": datetime.date(2026, 12, 5), "place": "Fatih clinic"})


def test_a_consent_withdrawn_after_queueing_keeps_the_message_from_being_handed_over(istanbul, tmp_path):
    person = contactable(istanbul, "Amal", "+905321234567")
    services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None)

    registry.consent_withdraw(consent=consent_for(person, "contact"), by=staff(Role.CASEWORKER, istanbul))
    summary = send_pending(backend=get_backend())

    message = Message.objects.get()
    assert summary.sent == 0 and summary.cancelled == 1
    assert (message.state, message.error) == (MessageState.CANCELLED, "no consent to be contacted")
    assert not (tmp_path / "outbox.jsonl").exists()


def test_after_a_withdrawal_nothing_is_queued_and_the_send_page_shows_the_banner(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    person = contactable(istanbul, "Amal", "+905321234567")
    registry.consent_withdraw(consent=consent_for(person, "contact"), by=None)

    outcome = services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None)
    client.force_login(staff(Role.CASEWORKER, istanbul))

    assert outcome.skipped == {services.NO_CONSENT: 1}
    for name in ("messaging:message-person-send", "messaging:message-person-contact"):
        page = client.get(reverse(name, args=[person.reference])).content.decode()
        assert "Consent withdrawn" in page and "this stops messages and calls from the mission" in page


def test_recording_consent_for_contact_is_a_registry_consent_audited_with_who_and_its_legal_basis(istanbul):
    person = register(istanbul, "Amal", phone="+905321234567")
    caseworker = staff(Role.CASEWORKER, istanbul)

    services.contact_preference_save(
        person=person, by=caseworker, language="ar", consent_on=timezone.localdate(), consent_how="in_person"
    )

    consent = Consent.objects.get(person=person)
    assert (consent.purpose, consent.legal_basis, consent.taken_by) == ("contact", "consent", caseworker)
    event = AuditEvent.objects.get(object_type="registry.consent", object_id=str(consent.pk))
    assert event.action == AuditAction.CREATE and event.actor == caseworker
    assert event.changes["purpose"][1] == "contact" and event.changes["legal_basis"][1] == "consent"
    assert services.contactable(person) == (True, "")


def test_saving_the_same_consent_again_records_it_once(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")

    services.contact_preference_save(
        person=person, by=None, language="tr", consent_on=timezone.localdate(), consent_how="in_person"
    )

    assert Consent.objects.filter(person=person, purpose="contact").count() == 1


def test_contact_on_another_legal_basis_needs_no_how_but_consent_does(istanbul):
    person = register(istanbul, "Amal", phone="+905321234567")

    with pytest.raises(ValidationError, match="Say how the person agreed"):
        services.contact_preference_save(person=person, by=None, language="ar", consent_on=timezone.localdate())
    services.contact_preference_save(
        person=person, by=None, language="ar", consent_on=timezone.localdate(), legal_basis="vital_interest"
    )

    assert consent_for(person, "contact").legal_basis == "vital_interest"


def test_a_consent_outside_the_users_scope_is_not_shown(client, istanbul, izmir, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    person = contactable(istanbul, "Amal", "+905321234567")
    there = staff(Role.CASEWORKER, izmir)
    assert selectors.person_contact_consent(staff(Role.CASEWORKER, istanbul, username="cw.ist2"), person) is not None

    assert selectors.person_contact_consent(there, person) is None
    client.force_login(there)
    assert client.get(reverse("messaging:message-person-contact", args=[person.reference])).status_code == 404

    registry.person_update(person=person, changes={"sensitivity": "protection"}, by=None)
    officer = staff(Role.PROGRAMME_OFFICER, istanbul)
    assert selectors.person_contact_consent(officer, person) is None
