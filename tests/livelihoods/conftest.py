"""A grant agreement of İstanbul with two tranches, from a call scored by a panel and approved by the committee."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from liman.core.choices import Role
from tests.factories import staff


@pytest.fixture
def grant_people(istanbul) -> dict:
    return {
        "officer": staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist"),
        "supervisor": staff(Role.SUPERVISOR, istanbul, username="sup.ist"),
        "approver": staff(Role.CASH_APPROVER, istanbul, username="ca.ist"),
    }


@pytest.fixture
def agreement(istanbul, grant_people):
    from liman.livelihoods import services as grants
    from liman.livelihoods.rules import vkn_with_checksum

    officer, supervisor, approver = grant_people["officer"], grant_people["supervisor"], grant_people["approver"]
    today = timezone.localdate()
    call = grants.call_open(office=istanbul, title="Recovery grants", opens_on=today - datetime.timedelta(days=30),
                            closes_on=today, max_amount=Decimal(100000), by=officer)  # fmt: skip
    criterion = grants.criterion_add(call=call, name="Viability", weight=100, by=officer)
    grants.panel_add(call=call, member=supervisor, by=officer)
    application = grants.application_submit(
        call=call, by=officer,
        data=grants.ApplicationInput(business_name="Nour Bakery", sector="food_service", registration="formal",
                                     owner_name="Nour Haddad", owner_sex="F", owner_nationality="SYR",
                                     tax_kind="vkn", tax_number=vkn_with_checksum("123456789"),
                                     requested_amount=Decimal(50000), employees={"syrian_f": 2}),
    )  # fmt: skip
    grants.application_to_panel(application=application, by=officer)
    grants.scores_record(application=application, member=supervisor, values={criterion.pk: 8})
    grants.scoring_close(application=application, by=officer)
    grants.application_approve(application=application, by=approver)
    application.refresh_from_db()
    return grants.agreement_sign(
        application=application, amount=Decimal(50000), signed_on=today, by=officer,
        tranches=[(Decimal(30000), "Oven bought"), (Decimal(20000), "Two workers hired")],
    )  # fmt: skip
