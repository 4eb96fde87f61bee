"""The HTTP gateway backend and the sender, against a real HTTP server on 127.0.0.1 (tests/messaging/gateway.py)
that records what it receives and answers like a gateway: accepted, busy, refused, slow, or "I have this key"."""

import datetime

import pytest
from django.utils import timezone

from liman.core.messages import Recipient
from liman.messaging import sender, services
from liman.messaging.backends import Outgoing, get_backend
from liman.messaging.choices import MessageState
from liman.messaging.models import Message
from tests.messaging.conftest import contactable

pytestmark = pytest.mark.django_db

KIND = "health_assessment_appointment"


def queue(*people, key: str = "") -> list[Message]:
    recipients = [Recipient(p, {"date": "2026-12-05", "place": "Fatih"}, key=key) for p in people]
    outcome = services.messages_queue(kind=KIND, recipients=recipients, by=None)
    return list(Message.objects.filter(pk__in=outcome.message_ids).order_by("pk"))


def later(minutes: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_the_request_carries_the_number_the_text_and_the_idempotency_key_as_json(http_gateway, istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    (message,) = queue(person)

    summary = sender.send_pending()

    assert summary.sent == 1
    (request,) = http_gateway.requests
    assert request["key"] == message.idempotency_key and request["fields"]["reference"] == message.idempotency_key
    assert request["to"] == "+905321234567" and request["text"] == message.body
    assert request["content_type"].startswith("application/json")
    message.refresh_from_db()
    assert message.state == MessageState.SENT and message.provider_message_id == "gw-0000001"
    assert message.backend == "http" and message.sent_at is not None and message.attempts == 1


def test_a_request_template_with_form_fields_a_fixed_sender_and_basic_auth(gateway, settings, istanbul):
    settings.LIMAN_MESSAGE_BACKEND = "http"
    settings.LIMAN_MESSAGE_OPTIONS = {
        "url": gateway.url,
        "format": "form",
        "fields": {"to": "{to}", "text": "{body}", "reference": "{key}", "sender": "LIMAN", "lang": "{language}"},
        "username": "mission",
        "password": "s3cret",
        "id_field": "id",
    }
    person = contactable(istanbul, "Amal", "+905321234567")
    (message,) = queue(person)

    sender.send_pending()

    (request,) = gateway.requests
    assert request["content_type"].startswith("application/x-www-form-urlencoded")
    assert request["fields"]["sender"] == "LIMAN" and request["fields"]["lang"] == "ar"
    assert request["fields"]["text"] == message.body  # Arabic, through form encoding
    assert request["authorization"] == "Basic bWlzc2lvbjpzM2NyZXQ="


def test_a_busy_gateway_is_tried_again_later_with_a_growing_wait(http_gateway, istanbul):
    (message,) = queue(contactable(istanbul, "Amal", "+905321234567"))
    http_gateway.then(("status", 503, {"error": "busy"}), ("status", 503, {"error": "busy"}))

    first = sender.send_pending()
    message.refresh_from_db()
    assert first.retrying == 1 and message.state == MessageState.QUEUED and "HTTP 503" in message.error
    wait = message.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=25) < wait <= datetime.timedelta(seconds=30)
    assert sender.send_pending().claimed == 0  # not due yet

    Message.objects.update(next_attempt_at=timezone.now())
    sender.send_pending()
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at - timezone.now() > datetime.timedelta(seconds=55)

    Message.objects.update(next_attempt_at=timezone.now())
    sender.send_pending()
    message.refresh_from_db()
    assert message.state == MessageState.SENT and message.attempts == 3
    assert len(http_gateway.requests) == 3 and len(http_gateway.sent) == 1


def test_a_gateway_asking_to_slow_down_is_left_alone_as_long_as_it_says(http_gateway, istanbul):
    (message,) = queue(contactable(istanbul, "Amal", "+905321234567"))
    http_gateway.then(("status", 429, {"error": "rate"}, {"Retry-After": "600"}))

    sender.send_pending()

    message.refresh_from_db()
    assert message.next_attempt_at - timezone.now() > datetime.timedelta(seconds=590)


def test_a_number_the_gateway_refuses_fails_for_good_with_its_reason(http_gateway, istanbul):
    refused = contactable(istanbul, "Amal", "+905321234567")
    fine = contactable(istanbul, "Rania", "+905321234568")
    http_gateway.refuse_number("+905321234567", "Invalid destination number")
    queue(refused, fine)

    summary = sender.send_pending()

    assert (summary.sent, summary.failed) == (1, 1)
    failed = Message.objects.get(person=refused)
    assert failed.state == MessageState.FAILED and failed.failed_at is not None
    assert failed.error == 'HTTP 400: {"error": "Invalid destination number"}'


def test_a_gateway_slower_than_the_timeout_is_tried_again_and_its_late_answer_sends_nothing_twice(
    http_gateway, settings, istanbul
):
    settings.LIMAN_MESSAGE_OPTIONS = {"url": http_gateway.url, "timeout": 0.3}
    (message,) = queue(contactable(istanbul, "Amal", "+905321234567"))
    http_gateway.then(("slow", 1.0))  # the gateway accepts it, but answers after the client gave up

    summary = sender.send_pending()
    message.refresh_from_db()
    assert summary.retrying == 1 and message.error == "No answer within 0.3 s."

    import time

    time.sleep(1.0)  # the slow answer arrives (and is dropped): the gateway has the key
    Message.objects.update(next_attempt_at=timezone.now())
    sender.send_pending()

    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert http_gateway.per_key[message.idempotency_key] == 2 and len(http_gateway.sent) == 1


def test_a_message_that_keeps_failing_fails_after_the_last_attempt(http_gateway, settings, istanbul):
    settings.LIMAN_MESSAGE_MAX_ATTEMPTS = 2
    (message,) = queue(contactable(istanbul, "Amal", "+905321234567"))
    http_gateway.then(*[("status", 500, {"error": "down"})] * 2)

    sender.send_pending()
    Message.objects.update(next_attempt_at=timezone.now())
    sender.send_pending()

    message.refresh_from_db()
    assert message.state == MessageState.FAILED and message.attempts == 2 and "HTTP 500" in message.error


def test_a_sender_killed_after_the_gateway_accepted_does_not_make_a_second_sms(http_gateway, istanbul, monkeypatch):
    """The crash between the gateway's answer and the commit: the messages stay claimed; when the claim runs out,
    the next sender hands them over again with the same keys, and the gateway sends nothing new."""
    people = [contactable(istanbul, f"P{n}", f"+90532123450{n}") for n in range(3)]
    messages = queue(*people)

    def killed(*args, **kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr(sender, "record_outcomes", killed)
    with pytest.raises(SystemExit):
        sender.send_pending()
    monkeypatch.undo()
    assert len(http_gateway.sent) == 3
    assert all(m.state == MessageState.QUEUED and m.claim_token for m in Message.objects.all())
    assert sender.send_pending().claimed == 0  # the claim has not run out: nobody else takes them

    Message.objects.update(next_attempt_at=timezone.now())  # as when LIMAN_MESSAGE_CLAIM_SECONDS have passed
    summary = sender.send_pending()

    assert summary.sent == 3 and summary.duplicates == 3
    assert len(http_gateway.sent) == 3 and all(n == 2 for n in http_gateway.per_key.values())
    for message in messages:
        message.refresh_from_db()
        assert (
            message.state == MessageState.SENT
            and message.provider_message_id == http_gateway.sent[message.idempotency_key]
        )


def test_with_a_gateway_that_does_not_deduplicate_a_lost_outcome_is_never_handed_over_again(
    http_gateway, settings, istanbul, monkeypatch
):
    settings.LIMAN_MESSAGE_OPTIONS = {"url": http_gateway.url, "timeout": 1, "deduplicates": False}
    (message,) = queue(contactable(istanbul, "Amal", "+905321234567"))
    monkeypatch.setattr(sender, "record_outcomes", lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        sender.send_pending()
    monkeypatch.undo()

    Message.objects.update(next_attempt_at=timezone.now())
    summary = sender.send_pending()

    message.refresh_from_db()
    assert summary.unknown == 1 and message.state == MessageState.FAILED and "Outcome unknown" in message.error
    assert len(http_gateway.requests) == 1


def test_no_hand_over_starts_that_could_outlive_the_claim(http_gateway, settings, istanbul):
    settings.LIMAN_MESSAGE_CLAIM_SECONDS = 5
    settings.LIMAN_MESSAGE_OPTIONS = {"url": http_gateway.url, "timeout": 1}
    http_gateway.delay = 0.8
    queue(*[contactable(istanbul, f"P{n}", f"+90532123450{n}") for n in range(6)])

    summary = sender.send_pending(concurrency=1, limit=6)

    # 5 s of claim, less twice a request's timeout (1 s) and a second: hand-overs start until 2 s after the claim
    # (at 0, 0.8 and 1.6 s); the other three stay queued, due again, their attempt not counted.
    assert summary.sent == 3 and summary.released == 3 and len(http_gateway.requests) == 3
    waiting = Message.objects.filter(state=MessageState.QUEUED)
    assert waiting.count() == 3 and all(m.attempts == 0 and not m.claim_token for m in waiting)


def test_a_claim_too_short_for_the_gateways_timeout_is_refused_before_anything_is_claimed(http_gateway, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.LIMAN_MESSAGE_CLAIM_SECONDS = 5
    settings.LIMAN_MESSAGE_OPTIONS = {"url": http_gateway.url, "timeout": 2}

    with pytest.raises(ImproperlyConfigured, match="must be longer than twice the gateway's timeout"):
        sender.send_pending()


def test_two_senders_never_hand_over_the_same_message(http_gateway, istanbul):
    queue(*[contactable(istanbul, f"P{n}", f"+9053212345{n:02d}") for n in range(20)])
    backend = get_backend()

    first = sender.claim(backend, batch=12)
    second = sender.claim(backend, batch=12)

    assert len(first.messages) == 12 and len(second.messages) == 8
    assert not {m.pk for m in first.messages} & {m.pk for m in second.messages}


def test_an_outcome_is_written_only_under_the_senders_own_claim(http_gateway, istanbul):
    (message,) = queue(contactable(istanbul, "Amal", "+905321234567"))
    backend = get_backend()
    claimed = sender.claim(backend, batch=10)
    results = backend.send_many(
        [Outgoing(key=m.idempotency_key, to=m.phone, body=m.body) for m in claimed.messages], concurrency=1
    )
    # Meanwhile the claim ran out and another sender took the message over.
    Message.objects.filter(pk=message.pk).update(claim_token="b" * 32)

    sender.record_outcomes(claimed, results)

    message.refresh_from_db()
    assert message.state == MessageState.QUEUED and message.claim_token == "b" * 32


def test_an_answer_that_is_not_json_still_counts_as_accepted_with_a_note(http_gateway, istanbul):
    backend = get_backend()

    result = backend.read_answer(202, b"OK queued")

    assert result.accepted and result.provider_id == "" and "no “id”" in result.error
