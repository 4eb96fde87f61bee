"""Cash declares "payment loaded" through the one registry: offered on a cycle's page once the list went to the
provider, each household told its own amount through its head (or another adult), once per payment; a draft cycle,
another office's cycle and a role that does not prepare cash get 404."""

import datetime

import pytest
from django.urls import reverse

from liman.cash import services as cash
from liman.core.choices import Role
from liman.core.messages import message_kind
from liman.messaging import services
from liman.messaging.models import Message
from tests.cash.conftest import family
from tests.factories import staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_no_second_factor")]


@pytest.fixture
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


def agree(person, language="ar"):
    services.contact_preference_save(
        person=person, by=None, language=language, consent_on=datetime.date(2026, 1, 5), consent_how="in_person"
    )


@pytest.fixture
def sent(programme, istanbul, officer, approver):
    """Three households enrolled, a cycle approved and sent to the provider; every head agreed to be contacted."""
    households = [
        family(istanbul, "Amira", "Haddad", 2, phone="+905321000001", foreigner_id="99123450001",
               born=datetime.date(1971, 2, 3)),
        family(istanbul, "Layla", "Nouri", 4, phone="+905321000002", foreigner_id="99123450002",
               born=datetime.date(1983, 7, 19)),
        family(istanbul, "Huda", "Mansour", 3, phone="+905321000003", foreigner_id="99123450003",
               born=datetime.date(1992, 11, 28)),
    ]  # fmt: skip
    agree(households[0].head)
    agree(households[1].head, language="tr")
    agree(households[2].head)
    run = cash.targeting_run(programme=programme, office=istanbul, by=officer)
    cash.enrol(run=run, by=officer)
    cycle = cash.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    cash.cycle_verify(cycle=cycle, by=officer)
    cash.cycle_approve(cycle=cycle, by=approver)
    cash.cycle_export(cycle=cycle, by=officer)
    cycle.refresh_from_db()
    return cycle


def test_each_household_is_told_its_own_amount_once(sent, officer):
    listed = message_kind("payment_loaded").audience.recipients(officer, sent.pk)
    amounts = {r.person.first_name: r.context["amount"] for r in listed.recipients}
    assert amounts == {"Amira": "13,000.00 TRY", "Layla": "17,000.00 TRY", "Huda": "15,000.00 TRY"}
    # A payment held as a possible duplicate was never sent: it is not announced.
    held = sent.payments.get(household__head__first_name="Huda")
    held.status = "held"
    held.save(update_fields=["status"])
    listed = message_kind("payment_loaded").audience.recipients(officer, sent.pk)
    assert {r.person.first_name for r in listed.recipients} == {"Amira", "Layla"}
    assert all(r.person.age >= 18 for r in listed.recipients)

    outcome = services.messages_queue(kind="payment_loaded", recipients=listed.recipients, by=officer)
    texts = dict(Message.objects.values_list("person__first_name", "language"))
    assert texts == {"Amira": "ar", "Layla": "tr"}
    assert len(outcome.message_ids) == 2
    services.messages_queue(kind="payment_loaded", recipients=listed.recipients, by=officer)
    assert Message.objects.count() == 2


def test_the_cycle_page_offers_it_only_once_sent_and_only_to_who_prepares_cash(
    client,
    sent,
    officer,
    approver,
    programme,
    istanbul,
    izmir,
):
    url = reverse("messaging:message-audience-payment_loaded", kwargs={"pk": sent.pk})
    client.force_login(officer)
    assert url in client.get(reverse("cash:cash-cycle-detail", args=[sent.pk])).content.decode()
    assert client.get(url).status_code == 200

    draft = cash.cycle_create(programme=programme, office=istanbul, provider="generic_csv", by=officer)
    draft_url = reverse("messaging:message-audience-payment_loaded", kwargs={"pk": draft.pk})
    assert draft_url not in client.get(reverse("cash:cash-cycle-detail", args=[draft.pk])).content.decode()
    assert client.get(draft_url).status_code == 404

    client.force_login(approver)  # reads cash, does not send to households
    assert url not in client.get(reverse("cash:cash-cycle-detail", args=[sent.pk])).content.decode()
    assert client.get(url).status_code == 404
    client.force_login(staff(Role.PROGRAMME_OFFICER, izmir))
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
