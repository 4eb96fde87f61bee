from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from liman.activities import services
from liman.core.choices import Role
from liman.core.models import AdminArea
from liman.registry import services as registry
from tests.factories import staff


@pytest.fixture
def officer(istanbul):
    return staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def person(istanbul):
    return registry.person_register(
        office=istanbul,
        data=registry.PersonInput(
            first_name="Rania", family_name="Haddad", sex="F", nationality="SYR",
            birth_date=datetime.date(1990, 5, 1), legal_status="temporary_protection",
        ),
        by=None,
    )  # fmt: skip


@pytest.fixture
def training(istanbul, officer, today):
    return services.activity_create(
        office=istanbul, type="training", title="Tailoring for work", starts_on=today - datetime.timedelta(days=10),
        ends_on=today, district=AdminArea.objects.filter(parent__pcode="TUR034").order_by("pcode").first(),
        venue="Esenyurt centre", by=officer,
    )  # fmt: skip


def add_light(activity, by, count, **extra):
    extra.setdefault("population_group", "host_community")
    return [
        services.participant_add_light(
            activity=activity, name=f"Light {number}", sex="MF"[number % 2], age_group="18_59", by=by, **extra
        )
        for number in range(count)
    ]
