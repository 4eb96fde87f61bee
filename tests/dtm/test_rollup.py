"""The monthly flow rollup the dashboards read equals the flow counts, after creates, edits, deletes and imports."""

import datetime
import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liman.core import staging
from liman.core.choices import Role
from liman.core.models import AdminArea
from liman.dtm import selectors, services
from liman.dtm.importers import stage_export
from liman.dtm.models import FlowCount, FlowMonthly
from liman.dtm.targets import suggest_mapping
from tests.dtm.builders import FLOW_CHOICES, FLOW_SURVEY, collect_xml, flow_body, xlsform
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow_operation(edirne):
    return services.operation_create(
        office=edirne, code="TUR-FM-2023", name="Western border flow monitoring", kind="flow",
        started_on=datetime.date(2023, 1, 1), by=None,
    )  # fmt: skip


@pytest.fixture
def points(edirne, flow_operation):
    return [
        services.flow_point_create(
            office=edirne,
            code=code,
            name=code.title(),
            type="border_crossing",
            operation=flow_operation,
            district=AdminArea.objects.get(pcode=district),
            by=None,
        )  # fmt: skip
        for code, district in (("EDR-PAZARKULE", "TUR022001"), ("EDR-IPSALA", "TUR022005"))
    ]


@pytest.fixture
def flow_version(edirne, points):
    version = services.form_upload(
        office=edirne, content=xlsform(FLOW_SURVEY, choices=FLOW_CHOICES), file_name="flow_count.xlsx", by=None
    )
    services.form_bind(
        form=version.form, target="flow_count", mapping=suggest_mapping("flow_count", version.fields), by=None
    )
    return version


TWO_ROWS = [("AFG", "M", "18_59", 41), ("SYR", "F", "5_17", 7)]


def receive(version, body: str, **kwargs):
    xml = collect_xml(version.form.form_id, version.version, body, **kwargs)
    return services.submission_receive(office=version.form.office, xml=xml).submission


def assert_rollup_equals_counts():
    assert [str(difference) for difference in services.flow_monthly_differences()] == []


def cell(breakdown: str, **fields) -> tuple[int, int]:
    row = FlowMonthly.objects.get(breakdown=breakdown, **fields)
    return row.individuals, row.records


def test_counts_are_summed_by_month_in_each_breakdown(points):
    pazarkule, ipsala = points
    services.flow_counts_record(
        rows=[
            services.FlowCountInput(pazarkule, datetime.date(2023, 4, 3), "outgoing", "AFG", "M", "18_59", 37),
            services.FlowCountInput(pazarkule, datetime.date(2023, 4, 19), "outgoing", "AFG", "F", "18_59", 5),
            services.FlowCountInput(ipsala, datetime.date(2023, 4, 20), "incoming", "SYR", "M", "18_59", 11),
            services.FlowCountInput(ipsala, datetime.date(2023, 5, 2), "outgoing", "AFG", "M", "18_59", 3),
        ],
        by=None,
    )

    april = datetime.date(2023, 4, 1)
    assert cell("nationality", month=april, nationality="AFG") == (42, 2)
    assert cell("nationality", month=april, nationality="SYR") == (11, 1)
    assert cell("district", month=april, district=pazarkule.district) == (42, 2)
    assert cell("sex_age", month=april, sex="M", age_group="18_59") == (48, 2)
    assert FlowMonthly.objects.filter(month=datetime.date(2023, 5, 1)).count() == 3
    assert_rollup_equals_counts()


def test_submissions_from_phones_keep_the_rollup_equal_to_the_counts(flow_version):
    receive(flow_version, flow_body("EDR-PAZARKULE", "2023-08-14", TWO_ROWS))
    receive(flow_version, flow_body("EDR-IPSALA", "2023-08-15", [("AFG", "M", "18_59", 9)]))
    receive(flow_version, flow_body("EDR-PAZARKULE", "2023-09-01", [("SYR", "F", "5_17", 2)]))

    assert cell("nationality", month=datetime.date(2023, 8, 1), nationality="AFG") == (50, 2)
    assert_rollup_equals_counts()


def test_an_edit_moves_its_counts_out_of_the_cells_of_the_version_it_replaces(flow_version):
    first_id = f"uuid:{uuid.uuid4()}"
    receive(flow_version, flow_body("EDR-PAZARKULE", "2023-08-14", [("AFG", "M", "18_59", 41)]), instance_id=first_id)

    receive(
        flow_version,
        flow_body("EDR-IPSALA", "2023-09-02", [("SYR", "F", "5_17", 12), ("SYR", "M", "5_17", 10)]),
        deprecated_id=first_id,
    )

    assert not FlowMonthly.objects.filter(nationality="AFG").exists()
    assert not FlowMonthly.objects.filter(month=datetime.date(2023, 8, 1)).exists()
    assert cell("nationality", month=datetime.date(2023, 9, 1), nationality="SYR") == (22, 2)
    assert_rollup_equals_counts()


def test_an_edit_that_goes_to_review_keeps_the_earlier_counts_in_the_rollup(flow_version):
    first_id = f"uuid:{uuid.uuid4()}"
    receive(flow_version, flow_body("EDR-PAZARKULE", "2023-08-14", [("AFG", "M", "18_59", 41)]), instance_id=first_id)

    edit = receive(flow_version, flow_body("NOWHERE", "2023-08-14", [("AFG", "M", "18_59", 1)]), deprecated_id=first_id)

    assert edit.state == "review"
    assert FlowCount.objects.get().individuals == 41  # the retirement was taken back with the failed build
    assert_rollup_equals_counts()


def test_a_submission_waiting_for_review_counts_once_it_is_processed(flow_version, edirne):
    submission = receive(flow_version, flow_body("EDR-KAPIKULE", "2023-08-14", [("AFG", "M", "18_59", 41)]))
    assert submission.state == "review"
    assert not FlowMonthly.objects.exists()

    services.flow_point_create(
        office=edirne, code="EDR-KAPIKULE", name="Kapıkule", type="border_crossing",
        district=AdminArea.objects.get(pcode="TUR022001"), by=None,
    )  # fmt: skip
    services.submission_retry(submission=submission, by=None)

    assert cell("nationality", month=datetime.date(2023, 8, 1), nationality="AFG") == (41, 1)
    assert_rollup_equals_counts()


def test_an_import_of_a_kobo_export_keeps_the_rollup_equal_to_the_counts(flow_version):
    records = [
        {
            "_uuid": str(uuid.uuid4()),
            "point": point,
            "counted_on": day,
            "direction": "outgoing",
            "row": [
                {"row/nationality": n, "row/sex": s, "row/age_group": a, "row/individuals": str(c)}
                for n, s, a, c in rows
            ],
            "_submission_time": "2023-08-20T10:00:00",
        }
        for point, day, rows in (
            ("EDR-PAZARKULE", "2023-08-14", [("AFG", "M", "18_59", 41), ("SYR", "F", "5_17", 7)]),
            ("EDR-IPSALA", "2023-08-15", [("AFG", "M", "18_59", 9)]),
        )
    ]
    content = io.BytesIO(json.dumps({"results": records}).encode())
    batch = stage_export(form=flow_version.form, stream=content, file_name="flow.json", by=None)

    staging.import_commit(batch=batch, by=None)

    assert FlowCount.objects.aggregate(n=Sum("individuals"))["n"] == 57
    assert cell("nationality", month=datetime.date(2023, 8, 1), nationality="AFG") == (50, 2)
    assert_rollup_equals_counts()


def test_the_dashboard_shows_the_same_flow_figures_as_the_counts(flow_version, flow_operation, edirne):
    receive(flow_version, flow_body("EDR-PAZARKULE", "2023-08-14", TWO_ROWS))
    receive(flow_version, flow_body("EDR-IPSALA", "2023-09-15", [("AFG", "F", "18_59", 9)]))
    reader = staff(Role.VIEWER, edirne)

    data = selectors.dashboard(reader, flow_operation, selectors.DashboardFilters())

    counts = FlowCount.objects.filter(point__operation=flow_operation)
    by_district = {
        area: n for area, n in counts.values_list("point__district__pcode").annotate(n=Sum("individuals")).order_by()
    }
    assert data["districts"] == by_district
    assert data["totals"]["flows"] == 57
    flows = next(series for series in data["by_month"]["series"] if series["key"] == "flows")
    assert dict(zip(data["by_month"]["labels"], flows["data"], strict=True)) == {"2023-08": 48, "2023-09": 9}
    female = next(series for series in data["by_sex_age"]["series"] if series["key"] == "female")
    assert female["data"] == [0, 7, 9, 0]


def test_the_province_month_nationality_aggregate_reads_the_rollup(points, edirne):
    pazarkule, ipsala = points
    services.flow_counts_record(
        rows=[
            services.FlowCountInput(pazarkule, datetime.date(2023, 4, 3), "outgoing", "AFG", "M", "18_59", 37),
            services.FlowCountInput(ipsala, datetime.date(2023, 4, 20), "incoming", "AFG", "F", "5_17", 11),
        ],
        by=None,
    )

    rows = selectors.flow_by_province_month_nationality(staff(Role.REPORTING_OFFICER, edirne))

    assert rows == [("TUR022", datetime.date(2023, 4, 1), "AFG", 48)]


def test_counts_written_around_the_services_are_found_and_the_rebuild_repairs_them(points, capsys):
    pazarkule, _ipsala = points
    services.flow_counts_record(
        rows=[services.FlowCountInput(pazarkule, datetime.date(2023, 4, 3), "outgoing", "AFG", "M", "18_59", 37)],
        by=None,
    )
    # A bulk load straight into the table, as the benchmark's is.
    FlowCount.objects.bulk_create(
        [
            FlowCount(
                office=pazarkule.office,
                point=pazarkule,
                counted_on=datetime.date(2023, 4, 9),
                month=datetime.date(2023, 4, 1),
                province=pazarkule.province,
                direction="outgoing",
                nationality="IRQ",
                sex="F",
                age_group="60",
                individuals=4,
            )  # fmt: skip
        ]
    )

    with pytest.raises(CommandError, match="differs from the flow counts in 3 cells"):
        call_command("dtm-rollup", "check")
    assert "nationality=IRQ" in capsys.readouterr().out

    call_command("dtm-rollup", "rebuild")

    assert_rollup_equals_counts()
    assert cell("nationality", month=datetime.date(2023, 4, 1), nationality="IRQ") == (4, 1)
    call_command("dtm-rollup", "check")
    assert "equals the flow counts" in capsys.readouterr().out


ROW = st.tuples(
    st.sampled_from(["AFG", "SYR"]), st.sampled_from(["F", "M"]), st.sampled_from(["18_59", "5_17"]), st.integers(0, 50)
)
SUBMISSION = st.tuples(
    st.sampled_from(["EDR-PAZARKULE", "EDR-IPSALA"]),
    st.sampled_from(["2023-08-14", "2023-08-30", "2023-09-02"]),
    st.lists(ROW, min_size=1, max_size=4),
    st.booleans(),  # an edit of the submission before it
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SUBMISSION, min_size=1, max_size=5))
def test_any_sequence_of_submissions_and_edits_keeps_the_rollup_exact(flow_version, sequence):
    previous = ""
    for point, day, rows, is_edit in sequence:
        instance_id = f"uuid:{uuid.uuid4()}"
        receive(flow_version, flow_body(point, day, rows), instance_id=instance_id,
                deprecated_id=previous if is_edit else "")  # fmt: skip
        previous = instance_id

    assert_rollup_equals_counts()
