"""The messaging pages: the outbox (numbers masked, scoped), a message, the texts, how to reach a person on the person
page, one message from the person page, and "Tell the households" from a distribution with its progress bar."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from liman.core.choices import Role
from liman.core.messages import Recipient
from liman.core.models import TaskProgress
from liman.messaging import services
from liman.messaging.choices import MessageState
from liman.messaging.models import ContactPreference, Message, MessageTemplate
from liman.messaging.tasks import audience_queue_task
from liman.registry import services as registry
from liman.registry.models import Consent
from tests.factories import staff
from tests.messaging.conftest import contactable, distribution_with_households, register

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_no_second_factor")]

KIND = "health_assessment_appointment"


@pytest.fixture
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


def queue(person, place: str = "Fatih clinic", key: str = "") -> Message:
    outcome = services.messages_queue(
        kind=KIND, recipients=[Recipient(person, {"date": "2026-12-05", "place": place}, key=key)], by=None
    )
    return Message.objects.get(pk=outcome.message_ids[0])


def test_the_outbox_masks_numbers_and_filters_by_state_and_message(client, istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    queue(person)
    delivered = queue(person, key="two")
    Message.objects.filter(pk=delivered.pk).update(state=MessageState.DELIVERED)
    client.force_login(staff(Role.CASEWORKER, istanbul))

    page = client.get(reverse("messaging:message-list")).content.decode()
    assert "···567" in page and "5321234567" not in page and "Health assessment appointment" in page
    filtered = client.get(reverse("messaging:message-list"), {"state": "delivered", "kind": KIND}).content.decode()
    assert filtered.count(reverse("messaging:message-detail", args=[delivered.pk])) == 1
    assert client.get(reverse("messaging:message-list"), {"state": "failed"}).content.decode().count("/messages/") < 5


def test_the_outbox_costs_the_same_queries_for_five_messages_or_fifty(client, istanbul, django_assert_max_num_queries):
    person = contactable(istanbul, "Amal", "+905321234567")
    for number in range(50):
        queue(person, key=str(number))
    client.force_login(staff(Role.CASEWORKER, istanbul))

    with django_assert_max_num_queries(20):
        assert client.get(reverse("messaging:message-list")).status_code == 200


def test_a_message_reads_right_to_left_in_arabic_with_the_number_masked(client, istanbul):
    message = queue(contactable(istanbul, "Amal", "+905321234567", language="ar"))
    client.force_login(staff(Role.CASEWORKER, istanbul))

    page = client.get(reverse("messaging:message-detail", args=[message.pk])).content.decode()

    assert 'lang="ar" dir="rtl"' in page and "موعد التقييم الصحي" in page
    assert "···567" in page and "5321234567" not in page


def test_a_message_of_another_office_or_a_protected_person_is_not_found(client, istanbul, izmir):
    message = queue(contactable(istanbul, "Amal", "+905321234567"))
    client.force_login(staff(Role.CASEWORKER, izmir))
    assert client.get(reverse("messaging:message-detail", args=[message.pk])).status_code == 404

    registry.person_update(person=message.person, changes={"sensitivity": "protection"}, by=None)
    client.force_login(staff(Role.PROGRAMME_OFFICER, istanbul))
    assert client.get(reverse("messaging:message-detail", args=[message.pk])).status_code == 404
    assert "···567" not in client.get(reverse("messaging:message-list")).content.decode()


def test_staff_keep_a_message_from_going_from_its_page(client, istanbul):
    message = queue(contactable(istanbul, "Amal", "+905321234567"))
    client.force_login(staff(Role.CASEWORKER, istanbul))

    client.post(reverse("messaging:message-cancel", args=[message.pk]), {"reason": "Appointment moved"})

    message.refresh_from_db()
    assert message.state == MessageState.CANCELLED
    page = client.get(reverse("messaging:message-detail", args=[message.pk])).content.decode()
    assert "Appointment moved" in page and "queued → cancelled" in page


def test_a_text_with_an_unknown_placeholder_is_refused_on_the_page_naming_it(client, istanbul):
    client.force_login(staff(Role.PROGRAMME_OFFICER, istanbul))
    url = reverse("messaging:message-template-edit", args=[KIND])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}

    data["en"] = "{name}, come on {date} to {room}."
    refused = client.post(url, data).content.decode()
    assert "{room} is not a placeholder of this message" in refused and "{place} is missing" in refused
    assert not MessageTemplate.objects.exists()

    data["en"] = "{name}: your appointment is on {date} at {place}. Reply STOP to opt out."
    assert client.post(url, data).status_code == 302
    assert MessageTemplate.objects.get().language == "en"
    listing = client.get(reverse("messaging:message-template-list")).content.decode()
    assert "your appointment is on {date} at {place}" in listing and 'dir="rtl"' in listing


def test_a_caseworker_reads_the_texts_but_does_not_change_them(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul))

    assert client.get(reverse("messaging:message-template-list")).status_code == 200
    assert client.get(reverse("messaging:message-template-edit", args=[KIND])).status_code == 404


def test_the_person_page_shows_how_to_reach_them_and_a_caseworker_records_consent(client, istanbul):
    person = register(istanbul, "Amal", phone="+905321234567")
    client.force_login(staff(Role.CASEWORKER, istanbul))

    page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "Messages and how to reach them" in page and "no consent to be contacted" in page

    response = client.post(
        reverse("messaging:message-person-contact", args=[person.reference]),
        {"language": "fa", "channel": "sms", "consent_on": timezone.localdate().isoformat(), "consent_how": "phone"},
    )

    assert response.status_code == 302
    assert ContactPreference.objects.get(person=person).language == "fa"
    consent = Consent.objects.get(person=person, purpose="contact")
    assert (consent.legal_basis, consent.given_on, consent.note) == ("consent", timezone.localdate(), "On a phone call")
    assert consent.taken_by.username
    page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "may be sent" in page and "5321234567" not in page


def test_consent_without_how_it_was_given_is_refused(client, istanbul):
    person = register(istanbul, "Amal", phone="+905321234567")
    client.force_login(staff(Role.CASEWORKER, istanbul))

    response = client.post(
        reverse("messaging:message-person-contact", args=[person.reference]),
        {"language": "ar", "channel": "sms", "consent_on": timezone.localdate().isoformat()},
    )

    assert "Say how the person agreed to be contacted." in response.content.decode()
    assert not ContactPreference.objects.exists()


def test_an_opt_out_is_recorded_from_the_person_page(client, istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    client.force_login(staff(Role.CASEWORKER, istanbul))

    client.post(reverse("messaging:message-person-opt-out", args=[person.reference]), {"how": "call"})

    assert ContactPreference.objects.get(person=person).opt_out_how == "call"
    assert (
        "Asked on a phone call"
        in client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    )


def test_a_viewer_sees_the_section_but_changes_nothing(client, istanbul):
    person = contactable(istanbul, "Amal", "+905321234567")
    client.force_login(staff(Role.VIEWER, istanbul))

    page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()

    assert (
        "Agreed to be contacted" in page
        and reverse("messaging:message-person-contact", args=[person.reference]) not in page
    )
    assert client.get(reverse("messaging:message-person-contact", args=[person.reference])).status_code == 404


def test_one_message_from_the_person_page_in_their_language(client, istanbul):
    person = contactable(istanbul, "Amal", "+905321234567", language="en")
    client.force_login(staff(Role.CASEWORKER, istanbul))
    url = reverse("messaging:message-person-send", args=[person.reference])

    choose = client.get(url).content.decode()
    assert "Health assessment appointment" in choose and "Flight reminder" in choose
    response = client.post(url, {"kind": KIND, "date": "2026-12-05", "place": "Fatih clinic"})

    message = Message.objects.get()
    assert response.status_code == 302 and message.queued_by.username == "caseworker.ist"
    assert message.body.startswith("Amal Haddad, your health assessment appointment is on 2026-12-05 at Fatih clinic")


def test_a_message_to_someone_who_did_not_agree_is_refused_on_the_page(client, istanbul):
    person = register(istanbul, "Amal", phone="+905321234567")
    client.force_login(staff(Role.CASEWORKER, istanbul))

    response = client.post(
        reverse("messaging:message-person-send", args=[person.reference]),
        {"kind": KIND, "date": "2026-12-05", "place": "Fatih"},
    )

    assert "no consent to be contacted" in response.content.decode() and not Message.objects.exists()


# --- a distribution's households ------------------------------------------------------------------------------


@pytest.fixture
def plan(istanbul):
    return distribution_with_households(istanbul)


def test_the_distribution_page_offers_to_tell_the_households_to_who_may(client, istanbul, plan):
    plan, clerk = plan
    client.force_login(clerk)
    page = client.get(reverse("assistance:distribution-detail", args=[plan.pk])).content.decode()
    assert reverse("messaging:message-audience-distribution_day", kwargs={"pk": plan.pk}) in page

    client.force_login(staff(Role.VIEWER, istanbul))
    page = client.get(reverse("assistance:distribution-detail", args=[plan.pk])).content.decode()
    assert "/message/" not in page
    assert client.get(reverse("messaging:message-audience-distribution_day", kwargs={"pk": plan.pk})).status_code == 404


def test_telling_the_households_previews_then_queues_in_the_background_with_a_progress_bar(client, istanbul, plan):
    plan, clerk = plan
    client.force_login(clerk)
    url = reverse("messaging:message-audience-distribution_day", kwargs={"pk": plan.pk})

    preview = client.get(url).content.decode()
    assert "2 of 3 will be sent a message." in preview and "1 no phone number" in preview
    assert 'dir="rtl"' in preview and "Esenyurt point" in preview

    response = client.post(url)
    progress = TaskProgress.objects.get()
    assert response.status_code == 302 and response.url == reverse("core:task-detail", args=[progress.pk])
    audience_queue_task.call(str(progress.pk), "distribution_day", plan.pk, clerk.pk)

    progress.refresh_from_db()
    assert progress.state == "succeeded" and progress.done == progress.total == 3
    assert progress.message == "2 messages queued. Not queued: 1 no phone number."
    told = dict(Message.objects.values_list("person__first_name", "language"))
    assert told == {"Amal": "ar", "Rania": "fa"}
    assert all(m.source.startswith(plan.reference) for m in Message.objects.all())
    # Told again: nothing new is queued (once per household and distribution day).
    audience_queue_task.call(str(progress.pk), "distribution_day", plan.pk, clerk.pk)
    assert Message.objects.count() == 2


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_the_distribution_of_another_office_is_not_found(client, izmir, plan):
    plan, _clerk = plan
    client.force_login(staff(Role.DISTRIBUTION, izmir))

    assert client.get(reverse("messaging:message-audience-distribution_day", kwargs={"pk": plan.pk})).status_code == 404
    assert (
        client.post(reverse("messaging:message-audience-distribution_day", kwargs={"pk": plan.pk})).status_code == 404
    )
