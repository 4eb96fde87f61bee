"""The demo's grants: applications in every state the demo promises, each state with its history, decisions never by
the preparer, the panel's conflicts respected, tranches paid only against a met milestone."""

from __future__ import annotations

import random

import pytest

from liman.core import demo
from liman.livelihoods.demo import seed_employment, seed_livelihoods
from liman.livelihoods.models import GrantApplication, GrantCall, Placement, Tranche, WorkPermitApplication
from liman.registry.demo import seed_registry
from tests.core.test_seed import unexplained_states

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_grants_in_every_state_with_their_history():
    rng = random.Random(7)
    demo.seed_core(rng, 7)
    seed_registry(rng, 7)
    seed_livelihoods(rng, 7)
    seed_employment(rng, 7)
    states = set(GrantApplication.objects.values_list("state", flat=True))
    assert {"submitted", "scoring", "scored", "rejected", "contracted", "completed"} <= states
    assert unexplained_states() == []
    decided = GrantApplication.objects.exclude(decided_by=None)
    assert decided.exists() and all(a.decided_by_id != a.prepared_by_id for a in decided)
    for application in GrantApplication.objects.filter(conflicts__isnull=False):
        conflicted = set(application.conflicts.values_list("member_id", flat=True))
        assert not application.scores.filter(member_id__in=conflicted).exists()
    assert Tranche.objects.filter(status="paid").exists()
    assert not Tranche.objects.filter(status="paid", milestone_met_on=None).exists()
    assert Tranche.objects.filter(status="payable", provider="ptt_csv", payment_status="listed").exists()
    from liman.dtm.models import Form

    assert Form.objects.filter(form_id="liman_msme_visit", target="msme_visit").count() == 2  # İstanbul, Gaziantep
    assert Placement.objects.exists() and Placement.objects.filter(follow_ups__done_on__isnull=False).exists()
    assert {"seasonal_exemption", "permit"} <= set(WorkPermitApplication.objects.values_list("kind", flat=True))
    count = GrantCall.objects.count()
    seed_livelihoods(rng, 7)
    assert GrantCall.objects.count() == count
