"""The gateway's webhook: delivery reports mark messages delivered or failed; a STOP reply (in Turkish and Arabic
too) opts the number out; any other text becomes feedback from the SMS channel. Only with the shared token."""

import json

import pytest
from django.urls import reverse

from liman.core.messages import Recipient
from liman.feedback.models import Feedback
from liman.messaging import sender, services
from liman.messaging.choices import MessageState
from liman.messaging.models import ContactPreference, InboundReceipt, Message, PhoneOptOut
from tests.messaging.conftest import contactable, register

pytestmark = pytest.mark.django_db

TOKEN = "webhook-token-0123456789"


@pytest.fixture
def webhook(settings, http_gateway):
    settings.LIMAN_MESSAGE_WEBHOOK_TOKEN = TOKEN
    return reverse("messaging:message-webhook", args=["http"])


def post(client, url, payload, *, token=TOKEN, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(url, json.dumps(payload), content_type="application/json", **headers, **extra)


def sent_message(istanbul, phone="+905321234567") -> Message:
    person = contactable(istanbul, "Amal", phone)
    services.messages_queue(
        kind="health_assessment_appointment",
        recipients=[Recipient(person, {"date": "2026-12-05", "place": "Fatih"})],
        by=None,
    )
    sender.send_pending()
    return Message.objects.get(person=person)


def test_a_delivery_report_marks_the_message_delivered_and_a_repeat_changes_nothing(client, webhook, istanbul):
    message = sent_message(istanbul)

    first = post(client, webhook, {"id": message.provider_message_id, "status": "delivered"})
    again = post(client, webhook, {"id": message.provider_message_id, "status": "delivered"})

    assert first.status_code == 200 and first.json()["delivered"] == 1
    assert again.json()["unchanged"] == 1
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED and message.delivered_at is not None


def test_a_failure_report_keeps_the_gateways_reason_and_is_found_by_the_idempotency_key(client, webhook, istanbul):
    message = sent_message(istanbul)

    response = post(
        client, webhook, [{"reference": message.idempotency_key, "status": "undelivered", "error": "Absent subscriber"}]
    )

    assert response.json()["failed"] == 1
    message.refresh_from_db()
    assert message.state == MessageState.FAILED and message.error == "Absent subscriber"


def test_the_webhook_wants_the_shared_token(client, webhook, istanbul):
    message = sent_message(istanbul)
    report = {"id": message.provider_message_id, "status": "delivered"}

    assert post(client, webhook, report, token="wrong").status_code == 403
    assert post(client, webhook, report, token="").status_code == 403
    assert client.get(webhook).status_code == 405
    # Gateways that only take a URL put the token in it.
    assert post(client, f"{webhook}?token={TOKEN}", report, token="").status_code == 200


def test_without_a_token_configured_there_is_no_webhook(client, settings, http_gateway):
    settings.LIMAN_MESSAGE_WEBHOOK_TOKEN = ""

    response = post(client, reverse("messaging:message-webhook", args=["http"]), {"id": "x", "status": "delivered"})

    assert response.status_code == 404


def test_a_body_the_gateway_should_not_send_is_refused_with_what_is_wrong(client, webhook):
    response = post(client, webhook, {"hello": "world"})

    assert response.status_code == 400
    assert "neither an inbound text" in response.json()["error"]


@pytest.mark.parametrize("word", ["STOP", "stop!", "Dur", "İPTAL", "iptal", "توقف", "STOP please", "لغو"])
def test_a_stop_reply_opts_the_number_and_every_person_with_it_out(client, webhook, istanbul, word):
    first = contactable(istanbul, "Amal", "+905321234567")
    second = contactable(istanbul, "Omar", "+905321234567")
    queued = services.messages_queue(
        kind="health_assessment_appointment",
        recipients=[Recipient(second, {"date": "2026-12-05", "place": "Fatih"})],
        by=None,
    )

    response = post(client, webhook, {"from": "05321234567", "text": word, "id": "in-1"})

    assert response.json()["inbound_opt_out"] == 1
    assert PhoneOptOut.objects.count() == 1
    for person in (first, second):
        preference = ContactPreference.objects.get(person=person)
        assert preference.opted_out_at is not None and preference.opt_out_how == "stop_reply"
    assert Message.objects.get(pk=queued.message_ids[0]).state == MessageState.CANCELLED
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("text", ["Cancel my appointment", "Stop sending the wrong date please", "Durum nedir?"])
def test_a_sentence_that_starts_like_stop_is_a_message_not_an_opt_out(text):
    assert not services.is_opt_out(text)


def test_an_inbound_text_is_feedback_from_the_one_person_registered_with_the_number(client, webhook, istanbul):
    person = register(istanbul, "Amal", phone="+905321234567")

    response = post(client, webhook, {"from": "+905321234567", "text": "When is the next payment?", "id": "in-9"})

    assert response.json()["inbound_handled"] == 1
    feedback = Feedback.objects.get()
    assert feedback.channel == "sms" and feedback.person == person and feedback.office == istanbul
    assert feedback.summary == "When is the next payment?" and feedback.contact == ""


def test_a_text_from_a_shared_phone_names_no_one_and_keeps_the_number_to_answer(client, webhook, istanbul, izmir):
    register(istanbul, "Amal", phone="+905321234567")
    register(istanbul, "Omar", phone="+905321234567")

    post(client, webhook, {"from": "+905321234567", "text": "The distribution skipped us", "id": "in-2"})

    feedback = Feedback.objects.get()
    assert feedback.person is None and not feedback.anonymous and feedback.contact == "+905321234567"


def test_a_text_from_an_unknown_number_goes_to_the_office_that_last_wrote_to_it(client, webhook, istanbul, izmir):
    message = sent_message(izmir, phone="+905321234567")
    message.person.phone = ""
    message.person.save(update_fields=["phone", "phone_index"])

    post(client, webhook, {"from": "+905321234567", "text": "Thank you", "id": "in-3"})

    assert Feedback.objects.get().office == izmir


def test_the_same_inbound_text_posted_twice_is_recorded_once(client, webhook, istanbul):
    register(istanbul, "Amal", phone="+905321234567")
    payload = {"from": "+905321234567", "text": "Hello", "id": "in-7"}

    post(client, webhook, payload)
    second = post(client, webhook, payload)

    assert second.json()["inbound_duplicate"] == 1
    assert Feedback.objects.count() == 1 and InboundReceipt.objects.count() == 1
