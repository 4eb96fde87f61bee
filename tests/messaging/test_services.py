"""Queueing messages: never without consent, never to a person or a number that asked to stop; in the person's
language; once per key; audited, with a history for every state."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from liman.core.choices import Role
from liman.core.messages import Recipient
from liman.core.models import AuditEvent, StateChange
from liman.messaging import services
from liman.messaging.backends import get_backend
from liman.messaging.choices import MessageState, OptOutHow
from liman.messaging.models import ContactPreference, Message, MessageTemplate, PhoneOptOut
from liman.messaging.sender import send_pending
from liman.registry import services as registry
from liman.registry.models import Consent
from tests.factories import staff
from tests.messaging.conftest import contactable, register

pytestmark = pytest.mark.django_db

KIND = "health_assessment_appointment"


def appointment(person, key: str = "", **extra) -> Recipient:
    return Recipient(person, {"date": datetime.date(2026, 12, 5), "place": "Fatih clinic", **extra}, key=key)


def test_a_message_is_not_queued_to_a_person_who_did_not_agree_to_be_contacted(istanbul):
    person = register(istanbul, "Amal", phone="+905321234567")

    outcome = services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None)

    assert outcome.queued == 0 and outcome.skipped == {services.NO_CONSENT: 1}
    assert not Message.objects.exists()


def test_a_person_without_a_phone_is_skipped_with_the_reason(istanbul):
    person = register(istanbul, "Amal")
    services.contact_preference_save(
        person=person, by=None, language="ar", consent_on=timezone.localdate(), consent_how="form"
    )

    outcome = services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None)

    assert outcome.skipped_in_words == [("no phone number", 1)]


def test_a_person_who_asked_to_stop_is_not_queued(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    services.contact_opt_out(person=person, by=None, how=OptOutHow.CALL)

    outcome = services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None)

    assert outcome.skipped == {services.OPTED_OUT: 1}


def test_a_number_that_replied_stop_is_not_queued_whoever_has_it(istanbul):
    first = contactable(istanbul, "Amal", "+905321234567")
    services.number_opt_out(number="+90 532 123 45 67")
    # Registered later with the same number, and agreed to be contacted: the number still said STOP.
    second = register(istanbul, "Rania", phone="+905321234567")
    ContactPreference.objects.create(person=second, language="ar")
    registry.consent_record(person=second, purpose="contact", legal_basis="consent", by=None)

    outcome = services.messages_queue(kind=KIND, recipients=[appointment(first), appointment(second)], by=None)

    assert outcome.queued == 0
    assert outcome.skipped == {services.OPTED_OUT: 1, services.NUMBER_OPTED_OUT: 1}


def test_a_household_is_told_through_the_first_member_who_may_be_contacted(istanbul):
    head = register(istanbul, "Ahmad", phone="+905321234500")  # no consent
    wife = contactable(istanbul, "Amal", "+905321234501")
    son = contactable(istanbul, "Omar", "+905321234502")

    outcome = services.messages_queue(
        kind="distribution_day",
        recipients=[Recipient(head, {"date": "2026-12-05", "place": "Esenyurt"}, key="plan-1", fallbacks=(wife, son))],
        by=None,
    )

    assert outcome.queued == 1
    assert Message.objects.get().person == wife


def test_the_same_reminder_asked_for_twice_is_queued_once(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")

    first = services.messages_queue(kind=KIND, recipients=[appointment(person, key="booking:1")], by=None)
    again = services.messages_queue(kind=KIND, recipients=[appointment(person, key="booking:1")], by=None)

    assert (first.queued, again.queued) == (1, 0) and again.skipped == {services.ALREADY_QUEUED: 1}
    assert Message.objects.count() == 1


def test_the_message_is_in_the_persons_language_and_a_right_to_left_one_greets_in_the_original_script(istanbul):
    arabic = contactable(istanbul, "Amal", "+905321234567", language="ar", original_name="أمل حداد")
    turkish = contactable(istanbul, "Ayşe", "+905321234568", language="tr", nationality="TUR")

    services.messages_queue(kind=KIND, recipients=[appointment(arabic), appointment(turkish)], by=None)

    to_arabic, to_turkish = Message.objects.order_by("person__first_name")
    assert to_arabic.language == "ar" and to_arabic.body.startswith("أمل حداد، موعد التقييم الصحي")
    assert to_arabic.is_right_to_left
    assert to_turkish.language == "tr" and to_turkish.body.startswith("Ayşe Haddad, sağlık değerlendirmesi")
    assert "2026-12-05" in to_turkish.body and "Fatih clinic" in to_turkish.body


def test_what_a_message_says_and_where_it_went_are_stored_encrypted(istanbul):
    from django.db import connection

    person = contactable(istanbul, "Amal", "+905321234567")
    services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None)

    with connection.cursor() as cursor:
        cursor.execute("SELECT body, phone, phone_index FROM messaging_message")
        body, phone, index = cursor.fetchone()
    assert "Fatih" not in body and "5321234567" not in phone and "5321234567" not in index
    assert Message.objects.filter(phone_index="+905321234567").count() == 1


def test_an_edited_text_is_used_and_the_default_text_written_back_undoes_the_change(istanbul):
    officer = staff(Role.PROGRAMME_OFFICER, istanbul)
    person = contactable(istanbul, "Ayşe", "+905321234568", language="tr", nationality="TUR")
    services.template_save(kind=KIND, language="tr", body="{name}: {date}, {place}. DUR yazın.", by=officer)

    services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None)

    assert Message.objects.get().body == "Ayşe Haddad: 2026-12-05, Fatih clinic. DUR yazın."
    default = services.message_kind(KIND).templates["tr"]
    assert services.template_save(kind=KIND, language="tr", body=default, by=officer) is None
    assert not MessageTemplate.objects.exists()


def test_a_text_without_a_placeholder_of_its_kind_is_refused_naming_it(istanbul):
    officer = staff(Role.PROGRAMME_OFFICER, istanbul)

    with pytest.raises(ValidationError) as refused:
        services.template_save(kind=KIND, language="en", body="{name}, come on {date} to {room}.", by=officer)

    assert refused.value.message_dict["body"] == [
        "{room} is not a placeholder of this message (it offers {name}, {date}, {place}).",
        "{place} is missing: the message must say it.",
    ]


def test_only_those_who_word_messages_change_a_text(istanbul):
    with pytest.raises(PermissionDenied):
        services.template_save(
            kind=KIND, language="en", body="{name} {date} {place}", by=staff(Role.CASEWORKER, istanbul)
        )


def test_an_opt_out_keeps_what_is_queued_from_being_sent_and_leaves_a_history(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None)

    services.contact_opt_out(person=person, by=staff(Role.CASEWORKER, istanbul), how=OptOutHow.DESK)

    message = Message.objects.get()
    assert message.state == MessageState.CANCELLED and message.error == "The person asked to stop."
    change = StateChange.objects.get(content_type=ContentType.objects.get_for_model(Message))
    assert (change.from_state, change.to_state) == ("queued", "cancelled")


def test_a_consent_dated_before_the_opt_out_does_not_lift_it(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    services.contact_opt_out(person=person, by=None, how=OptOutHow.CALL)

    with pytest.raises(ValidationError, match="asked to stop on"):
        services.contact_preference_save(
            person=person,
            by=None,
            language="ar",
            consent_on=timezone.localdate() - datetime.timedelta(days=3),
            consent_how="phone",
        )


def test_agreeing_again_after_a_stop_reply_lifts_the_person_and_their_numbers_opt_out(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    services.number_opt_out(number="+905321234567")
    assert ContactPreference.objects.get(person=person).opted_out_at is not None

    services.contact_preference_save(
        person=person, by=None, language="ar", consent_on=timezone.localdate(), consent_how="in_person"
    )

    assert ContactPreference.objects.get(person=person).opted_out_at is None
    assert Consent.objects.filter(person=person, purpose="contact").count() == 2
    assert not PhoneOptOut.objects.exists()
    assert services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None).queued == 1


def test_leaving_the_consent_date_out_of_the_form_does_not_end_the_consent(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")

    services.contact_preference_save(person=person, by=None, language="tr", channel="sms")

    assert ContactPreference.objects.get(person=person).language == "tr"
    assert services.contactable(person) == (True, "")


def test_a_sender_checks_again_when_it_hands_the_message_over(istanbul):
    stopped = contactable(istanbul, "Amal", "+905321234567")
    moved = contactable(istanbul, "Rania", "+905321234568")
    services.messages_queue(kind=KIND, recipients=[appointment(stopped), appointment(moved)], by=None)
    # After queueing: an opt-out recorded straight in the table (as a race with the queue would leave it) ...
    ContactPreference.objects.filter(person=stopped).update(opted_out_at=timezone.now(), opt_out_how="call")
    # ... and a new number: the queued text would go to the old one.
    registry.person_update(person=moved, changes={"phone": "+905329999999"}, by=None)

    summary = send_pending(backend=get_backend())

    assert summary.sent == 0 and summary.cancelled == 2
    reasons = dict(Message.objects.values_list("person__first_name", "error"))
    assert reasons == {"Amal": "asked to stop", "Rania": "their number changed since it was queued"}


def test_a_user_queues_only_to_people_they_see_and_only_kinds_their_role_sends(istanbul, izmir):
    here = contactable(istanbul, "Amal", "+905321234567")
    caseworker = staff(Role.CASEWORKER, istanbul)

    with pytest.raises(PermissionDenied):
        services.messages_queue(
            kind="distribution_day", recipients=[Recipient(here, {"date": "x", "place": "y"})], by=caseworker
        )
    there = contactable(izmir, "Rania", "+905321234568")
    with pytest.raises(PermissionDenied):
        services.messages_queue(kind=KIND, recipients=[appointment(there)], by=caseworker)


def test_queueing_is_audited_one_event_per_message_without_the_text(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    caseworker = staff(Role.CASEWORKER, istanbul)

    services.messages_queue(kind=KIND, recipients=[appointment(person)], by=caseworker)

    event = AuditEvent.objects.get(object_type="messaging.message")
    assert event.actor == caseworker and event.office_id == istanbul.pk
    assert event.changes["body"] == ["[encrypted]", "[encrypted]"] and "Fatih" not in str(event.changes)


def test_staff_keep_a_queued_message_from_going_and_queue_a_failed_one_again_under_a_new_key(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    caseworker = staff(Role.CASEWORKER, istanbul)
    services.messages_queue(kind=KIND, recipients=[appointment(person), appointment(person, key="b")], by=None)
    first, second = Message.objects.order_by("pk")

    services.message_cancel(message=first, by=caseworker, reason="Appointment moved")
    Message.objects.filter(pk=second.pk).update(state=MessageState.FAILED, error="Absent subscriber")
    old_key = second.idempotency_key
    services.message_retry(message=second, by=caseworker)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == MessageState.CANCELLED and first.error == "Appointment moved"
    assert second.state == MessageState.QUEUED and second.idempotency_key != old_key and second.error == ""
    with pytest.raises(ValidationError, match="Only a queued message"):
        services.message_cancel(message=first, by=caseworker, reason="again")


def test_a_message_in_a_senders_hands_cannot_be_cancelled(istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    services.messages_queue(kind=KIND, recipients=[appointment(person)], by=None)
    Message.objects.update(claim_token="a" * 32)

    with pytest.raises(ValidationError, match="being handed to the gateway"):
        services.message_cancel(message=Message.objects.get(), by=None, reason="too late")


def test_flight_reminders_go_once_to_travellers_leaving_within_two_days(istanbul):
    from liman.core.models import Programme
    from liman.movements import services as movements
    from liman.movements.models import Booking

    supervisor = staff(Role.SUPERVISOR, istanbul)
    soon, later = (timezone.now() + datetime.timedelta(hours=hours) for hours in (30, 24 * 6))
    travellers = [contactable(istanbul, f"Traveller{n}", f"+90532123450{n}") for n in range(2)]
    flights = [
        movements.flight_create(
            office=istanbul,
            destination_country="CAN",
            legs=[
                movements.LegInput(
                    "Turkish Airlines", f"TK{n}", "IST", "YYZ", departs, departs + datetime.timedelta(hours=11)
                )
            ],
            by=supervisor,
        )
        for n, departs in enumerate((soon, later))
    ]
    for person, flight in zip(travellers, flights, strict=True):
        Booking.objects.create(
            flight=flight, person=person, office=istanbul, programme=Programme.objects.get(code="resettlement")
        )

    first = services.reminders_queue()["flight_reminder"]
    again = services.reminders_queue()["flight_reminder"]

    assert (first.queued, again.queued) == (1, 0)
    message = Message.objects.get(kind="flight_reminder")
    assert message.person == travellers[0] and "IST" in message.body
    assert timezone.localtime(soon).strftime("%Y-%m-%d %H:%M") in message.body
