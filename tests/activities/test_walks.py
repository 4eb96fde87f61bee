"""The generic walks of tests/core, over the activities' records only (the full walks build every app's world; these
run in a minute and catch a leak of an activity, a participant's name or an MHPSS attendance early)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from liman.core.choices import Role
from tests.core.test_access_walk import walk_as_outsider
from tests.core.test_tier_walk import plant_canaries, walk_without_tier
from tests.factories import SCOPED_FACTORIES, OfficeFactory, UserFactory, _activities_world, grant

pytestmark = pytest.mark.django_db


def test_every_activities_model_has_the_world_factory():
    from django.apps import apps

    from liman.core.access import is_scoped

    models = [model for model in apps.get_app_config("activities").get_models() if is_scoped(model)]
    assert all(SCOPED_FACTORIES.get(model) is _activities_world for model in models)
    unscoped = {model.__name__ for model in apps.get_app_config("activities").get_models() if not is_scoped(model)}
    assert unscoped == {"ReachTotal"}  # counts across every office, naming no one (its `unscoped_because`)


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_no_activity_route_shows_another_offices_records(client):
    office = OfficeFactory(code="CNY", name="Canary Office Kuşadası")
    records = _activities_world(office, "Canary")
    outsider = UserFactory(username="outsider")
    other = OfficeFactory(code="OTH", name="Other Office")
    for role in Role.values:
        grant(outsider, role, other)
    assert walk_as_outsider(client, records, outsider) > 20


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_no_route_shows_who_attended_an_mhpss_group_to_a_reader_without_the_protection_tier(client):
    office = OfficeFactory(code="CNY", name="Canary Office Kuşadası")
    records = _activities_world(office, "Canary")
    planted = plant_canaries(records)
    assert planted["protection"], "the MHPSS participant got no canary"
    assert walk_without_tier(client, (office, records, planted), "protection") > 20
