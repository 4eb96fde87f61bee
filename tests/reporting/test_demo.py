"""The demo's reporting: donors, the 3RP mapping, projects with results frameworks, two locked months (the last
complete month stays open and shows what the operations did)."""

import random

import pytest
from django.utils import timezone

from liman.reporting import fourw, selectors
from liman.reporting.demo import seed_reporting
from liman.reporting.models import Donor, DonorReport, FourWSubmission, Indicator, Project, ProjectTag, ThreeRPMapping

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_projects_and_locks_two_months(istanbul, izmir, months, served):
    locked, last = months
    served(last.replace(day=3))
    seed_reporting(random.Random(7), 7)
    assert {"Australia", "Canada", "European Union", "United States", "United Kingdom"} <= set(
        Donor.objects.values_list("name", flat=True)
    )
    assert ThreeRPMapping.objects.count() == 9
    assert Project.objects.count() >= 3
    assert Indicator.objects.filter(kind="computed").exists() and Indicator.objects.filter(kind="manual").exists()
    assert set(FourWSubmission.objects.values_list("month", flat=True)) == {fourw.previous_month(locked), locked}
    assert not FourWSubmission.objects.filter(month=last).exists()
    table = fourw.table(last, fourw.office_lines(last, [istanbul.pk]))
    assert any(row[4] == "BN-1.1" and row[16] == 2 for row in table[1:])
    # A training completed and an MHPSS group in the month: Livelihoods and Health rows whatever the seed day.
    assert {"Livelihoods", "Health"} <= {row[3] for row in table[1:] if row[16] > 0}
    # The operations' records are tagged with the projects their office × programme defaults to; reports issued.
    eu = Project.objects.get(grant_code="EU-ECHO-2026-TR-01")
    assert ProjectTag.objects.filter(project=eu).exists()
    assert any(row.achieved == 2 for _o, _p, row in selectors.indicator_table(eu) if row.indicator.code == "IND1")
    if last.year == timezone.localdate().year:
        report = DonorReport.objects.get(project=eu)
        issues = list(report.issues.order_by("number"))
        assert [issue.number for issue in issues] == ([1, 2] if last.month > 1 else [1])
        assert issues[-1].content["stories"] and issues[-1].content["indicators"]
        if len(issues) == 2:
            assert any(change["field"] == "period" for change in issues[1].changes)
        assert DonorReport.objects.get(project__grant_code="PRM-2026-TUR-BORDER").issues.count() == 1
    seed_reporting(random.Random(7), 7)  # a second run changes nothing
    assert Project.objects.count() == Project.objects.values("grant_code").distinct().count()
