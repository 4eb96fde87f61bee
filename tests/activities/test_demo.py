"""The demo's activities: every kind the demo promises, every state it reached with its history, certificates only
for those who completed, the MHPSS group's participants protection-tier, and the count table filled."""

from __future__ import annotations

import random

import pytest

from liman.activities.demo import seed_activities
from liman.activities.models import Activity, EquipmentHandover, Participant
from liman.activities.selectors import counts
from liman.core import demo
from liman.core.models import User
from liman.registry.demo import seed_registry
from tests.core.test_seed import unexplained_states

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_activities_of_every_programme_with_their_history():
    rng = random.Random(7)
    demo.seed_core(rng, 7)
    seed_registry(rng, 7)
    seed_activities(rng, 7)
    types = set(Activity.objects.values_list("type", flat=True))
    assert {"course", "mhpss_group", "social_cohesion", "authorities_training"} <= types
    assert set(Activity.objects.values_list("state", flat=True)) >= {"ongoing", "closed"}
    assert unexplained_states() == []
    certified = Participant.objects.exclude(certificate_number="")
    assert certified.exists() and not certified.filter(completed=False).exists()
    assert not Participant.objects.filter(activity__type="mhpss_group").exclude(sensitivity="protection").exists()
    cascade = Activity.objects.get(trained_facilitator__isnull=False)
    assert cascade.trained_facilitator.completed and EquipmentHandover.objects.filter(activity=cascade).exists()
    # Registered participants enter with the registry's consent for activities, not their registration consent.
    registered = Participant.objects.filter(person__isnull=False)
    assert registered.exists() and set(registered.values_list("consent__purpose", flat=True)) == {"activities"}
    officials = Participant.objects.exclude(institution="")
    assert {"coast_guard", "gendarmerie", "pmm"} <= set(officials.values_list("institution", flat=True))
    table = counts(User.objects.get(username="reporting-officer.ank"))
    reached = {(p.person_id or -p.pk, p.activity_type, p.province_id, p.reached_month)
               for p in Participant.objects.filter(reached_on__isnull=False)}  # fmt: skip
    assert table.total == len(reached) > 0  # people reached: once per type, province and month
    count = Activity.objects.count()
    seed_activities(rng, 7)
    assert Activity.objects.count() == count
