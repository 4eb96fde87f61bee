"""The demo data set: the earthquake operation, the western border and MPM figures, forms and field users."""

import random

import pytest
from defusedxml import ElementTree
from django.db.models import Sum

from liman.core import demo
from liman.dtm.demo import seed_dtm
from liman.dtm.demo_data import EARTHQUAKE_PROVINCES
from liman.dtm.models import FieldUser, InterceptionCount, Operation, PresenceFigure, SiteAssessment, Submission
from tests.dtm.conftest import basic

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    rng = random.Random(2026)
    demo.seed_core(rng, 2026)
    seed_dtm(rng, 2026)


def test_the_demo_has_the_earthquake_and_the_figures_of_domain_md(seeded):
    earthquake = Operation.objects.get(code="TUR-EQ-2023")
    assert sorted(earthquake.provinces.values_list("pcode", flat=True)) == sorted(EARTHQUAKE_PROVINCES)
    assert earthquake.rounds.count() == 4
    assert SiteAssessment.objects.filter(round__operation=earthquake).count() > 80
    july = PresenceFigure.objects.filter(period="2023-07-01", population_group="temporary_protection")
    assert july.aggregate(n=Sum("individuals"))["n"] == 3_321_072
    assert july.get(province__pcode="TUR034").individuals == 531_742
    aegean = InterceptionCount.objects.filter(route="aegean_sea")
    assert aegean.filter(period__year=2022).aggregate(n=Sum("individuals"))["n"] == 49_231
    assert aegean.filter(period__year=2023).aggregate(n=Sum("individuals"))["n"] == 56_621
    assert sorted(Submission.objects.values_list("state", flat=True)) == ["processed", "review"]


def test_a_demo_field_user_lists_the_demo_forms_with_the_demo_password(seeded, client):
    response = client.get("/openrosa/formList", **basic("enumerator.edr", demo.DEMO_PASSWORD))

    ids = sorted(node.text for node in ElementTree.fromstring(response.content).iter() if node.tag.endswith("formID"))
    assert ids == ["dtm_flow_count", "dtm_flow_survey"]
    assert FieldUser.objects.count() == 5
    seed_dtm(random.Random(2026), 2026)  # a second run adds nothing
    assert Operation.objects.count() == 3


def test_the_seed_output_tells_how_to_reach_the_demo_forms_from_odk_collect():
    from liman.dtm.demo import demo_login_lines

    text = "\n".join(demo_login_lines())

    assert "http://127.0.0.1:8000/openrosa" in text and "enumerator.hty" in text and demo.DEMO_PASSWORD in text
    assert "curl -u enumerator.hty:liman-demo-2026 -H 'X-OpenRosa-Version: 1.0'" in text
