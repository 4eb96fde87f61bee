"""Grant pages: a call set up, an application registered with a bad tax number refused, scored by two members
through the page, approved by the committee (not by its preparer), the agreement signed and the first tranche
paid; the owner's person page lists the grant."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from liman.core.choices import Role
from liman.livelihoods.models import GrantApplication, GrantCall
from liman.registry import services as registry
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_a_grant_from_application_to_first_tranche_through_the_pages(client, istanbul):
    officer = staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist")
    sup, cw = staff(Role.SUPERVISOR, istanbul, username="sup.ist"), staff(Role.CASEWORKER, istanbul, username="cw.ist")
    approver = staff(Role.CASH_APPROVER, istanbul, username="ca.ist")
    owner = registry.person_register(
        office=istanbul, data=registry.PersonInput(first_name="Nour", family_name="Haddad", sex="F", nationality="SYR"),
        by=None,
    )  # fmt: skip
    today = datetime.date.today()
    client.force_login(officer)
    client.post(reverse("livelihoods:grant-call-create"),
                {"office": istanbul.pk, "title": "Recovery grants", "currency": "TRY", "opens_on": today.isoformat(),
                 "closes_on": today.isoformat(), "max_amount": "100000"})  # fmt: skip
    call = GrantCall.objects.get()
    for name, weight in (("Plan", 50), ("Jobs", 50)):
        client.post(reverse("livelihoods:grant-criterion-add", args=[call.reference]), {"name": name, "weight": weight,
                                                                             "max_score": 10})  # fmt: skip
    for member in (sup, cw):
        client.post(reverse("livelihoods:grant-panel-add", args=[call.reference]), {"username": member.username})
    assert call.criteria.count() == 2 and call.panel.count() == 2
    form = {"business_name": "Nour Bakery", "owner": owner.reference, "sector": "food_service",
            "registration": "formal", "tax_kind": "vkn", "tax_number": "1234567899", "requested_amount": "50000",
            "employees_syrian_f": "2"}  # fmt: skip
    response = client.post(reverse("livelihoods:grant-application-create", args=[call.reference]), form)
    assert "check digit does not match" in response.content.decode() and not GrantApplication.objects.exists()
    form["tax_number"] = "1234567890"
    client.post(reverse("livelihoods:grant-application-create", args=[call.reference]), form)
    application = GrantApplication.objects.get()
    assert application.owner == owner and application.owner_name == "Nour Haddad"
    url = lambda name: reverse(name, args=[application.reference])  # noqa: E731
    client.post(url("livelihoods:grant-application-step"), {"to": "scoring"})
    plan, jobs = call.criteria.order_by("id")
    for member, values in ((sup, (8, 6)), (cw, (6, 8))):
        client.force_login(member)
        assert "Your scores" in client.get(url("livelihoods:grant-application-detail")).content.decode()
        client.post(
            url("livelihoods:grant-application-score"),
            {f"criterion_{plan.pk}": values[0], f"criterion_{jobs.pk}": values[1]},
        )
    client.force_login(officer)
    client.post(url("livelihoods:grant-application-step"), {"to": "scored"})
    application.refresh_from_db()
    assert application.state == "scored" and str(application.score) == "70.00"
    # The preparer cannot approve through the page either.
    response = client.post(url("livelihoods:grant-application-step"), {"to": "approved"}, follow=True)
    application.refresh_from_db()
    assert application.state == "scored"
    client.force_login(approver)
    client.post(url("livelihoods:grant-application-step"), {"to": "approved"})
    client.force_login(officer)
    client.post(url("livelihoods:grant-agreement-sign"), {"amount": "50000", "signed_on": today.isoformat(),
                "tranches": "30000; Oven bought\n20000; Two workers hired"})  # fmt: skip
    application.refresh_from_db()
    assert application.state == "contracted"
    first = application.agreement.tranches.get(number=1)
    client.post(
        reverse("livelihoods:grant-tranche-milestone", args=[first.pk]), {"evidence": "Invoice", "met_on": today}
    )
    client.force_login(approver)
    client.post(
        reverse("livelihoods:grant-tranche-pay", args=[first.pk]), {"paid_on": today, "payment_reference": "EFT-77"}
    )
    first.refresh_from_db()
    assert first.status == "paid" and first.payment_reference == "EFT-77"
    assert "EFT-77" in client.get(url("livelihoods:grant-application-detail")).content.decode()
    client.force_login(officer)
    # The second tranche waits for its milestone.
    assert "Milestone met" in client.get(url("livelihoods:grant-application-detail")).content.decode()
    person_page = client.get(reverse("registry:person-detail", args=[owner.reference])).content.decode()
    assert "Small-business grants" in person_page and application.reference in person_page
    assert application.reference in client.get(reverse("livelihoods:grant-home")).content.decode()
