"""Records of a taggable kind created in bulk are tagged with their office × programme's default project, like one
record saved: the service that creates them sends liman.core.measures.records_created (bulk_create sends no
post_save), and no bulk path creates taggable records without it."""

import re
from pathlib import Path

from django.utils import timezone

from liman.activities.models import Activity
from liman.core import measures
from liman.core.choices import Role
from liman.core.models import Programme
from liman.reporting.models import ProjectTag
from liman.reporting.tagging import TAGGABLE
from tests.factories import staff

ROOT = Path(__file__).resolve().parents[2] / "liman"


def test_records_created_in_bulk_are_tagged_with_the_default_project(istanbul, izmir, make_project):
    from liman.reporting import services

    officer = staff(Role.REPORTING_OFFICER, istanbul, username="bulk-officer")
    project = make_project("EU-BULK", [istanbul], by=officer)
    assistance = Programme.objects.get(code="assistance")
    services.project_default_set(office=istanbul, programme=assistance, project=project, by=officer)
    today = timezone.localdate()
    activities = Activity.objects.bulk_create(
        [
            Activity(office=office, programme=assistance, reference=f"ACT-BULK-{n}", type="training", title="Bulk",
                     province=office.province, starts_on=today, ends_on=today)
            for n, office in enumerate([istanbul, istanbul, izmir])
        ]
    )  # fmt: skip
    assert not ProjectTag.objects.filter(object_id__in=[a.pk for a in activities]).exists()  # no post_save
    measures.records_created.send(sender=Activity, records=activities)
    tagged = dict(
        ProjectTag.objects.filter(object_id__in=[a.pk for a in activities]).values_list("object_id", "project")
    )
    # Istanbul's two are the project's; İzmir has no default project, so its activity stays untagged.
    assert tagged == {activities[0].pk: project.pk, activities[1].pk: project.pk}


def test_no_bulk_path_creates_taggable_records_without_announcing_them():
    names = {label.split(".")[1] for label in TAGGABLE}
    either = "|".join(sorted(names))
    bulk = re.compile(rf"\b({either})\.objects\.bulk_create\(|record_create_many\(\s*({either})\b")
    silent = []
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts or path.parts[-2] == "reporting":
            continue
        text = path.read_text()
        if bulk.search(text) and "records_created.send" not in text:
            silent.append(str(path.relative_to(ROOT)))
    assert silent == []
    assert bulk.search("Activity.objects.bulk_create(rows)") and bulk.search("record_create_many(DistributionPlan, x)")
