"""A form's submissions exported as Kobo does it: a main table and one table per repeat, tied by `_parent_index`."""

import csv
import io
import uuid
import zipfile

import hxl
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from liman.core.choices import Role
from liman.core.models import AuditEvent
from liman.dtm import services
from liman.dtm.xlsform import hxl_tags
from tests.dtm.builders import collect_xml, xlsform
from tests.dtm.conftest import post_instance
from tests.factories import staff

pytestmark = pytest.mark.django_db

HOUSEHOLD_SURVEY = [
    ["type", "name", "label", "hxl"],
    ["start", "start", "", ""],
    ["today", "today", "", ""],
    ["begin_group", "hh", "Household", ""],
    ["text", "district", "District (p-code)", "#adm2+code"],
    ["integer", "size", "Household size", "#affected+ind"],
    ["end_group", "", "", ""],
    ["begin_repeat", "member", "Members", ""],
    ["text", "name", "Name", "#beneficiary+name"],
    ["integer", "age", "Age", "#beneficiary+age"],
    ["select_one sex", "sex", "Sex", ""],
    ["begin_repeat", "phone", "Phones", ""],
    ["text", "number", "Number", "#contact+phone"],
    ["end_repeat", "", "", ""],
    ["end_repeat", "", "", ""],
    ["begin_repeat", "need", "Needs", ""],
    ["select_one sector", "sector", "Sector", "#sector"],
    ["end_repeat", "", "", ""],
]
HOUSEHOLD_CHOICES = [
    ["list_name", "name", "label"],
    ["sex", "F", "Female"], ["sex", "M", "Male"], ["sector", "food", "Food"], ["sector", "shelter", "Shelter"],
]  # fmt: skip
SETTINGS = [["form_id", "version", "form_title"], ["household_survey", "2023050101", "Household survey"]]


@pytest.fixture
def household_version(hatay):
    return services.form_upload(
        office=hatay,
        content=xlsform(HOUSEHOLD_SURVEY, choices=HOUSEHOLD_CHOICES, settings=SETTINGS),
        file_name="household_survey.xlsx",
        by=None,
    )


def member(name: str, age: int, sex: str, *phones: str) -> str:
    numbers = "".join(f"<phone><number>{number}</number></phone>" for number in phones)
    return f"<member><name>{name}</name><age>{age}</age><sex>{sex}</sex>{numbers}</member>"


def household(district: str, *members: str, needs: tuple[str, ...] = ()) -> str:
    """A household as ODK Collect sends it: repeats as repeated elements, nested repeats inside their entry."""
    return (
        "<start>2023-05-02T10:01:12.000+03:00</start><today>2023-05-02</today>"
        f"<hh><district>{district}</district><size>{len(members)}</size></hh>"
        + "".join(members)
        + "".join(f"<need><sector>{sector}</sector></need>" for sector in needs)
    )


@pytest.fixture
def households(client, household_version, field_user):
    bodies = [
        household(
            "TUR031001",
            member("Amina Haddad", 34, "F", "0532 000 0001", "0532 000 0002"),
            member("Omar Haddad", 9, "M"),
            needs=("food", "shelter"),
        ),
        household("TUR031002", member("Leyla Kaya", 61, "F", "0533 000 0003")),
    ]
    ids = []
    for body in bodies:
        instance_id = f"uuid:{uuid.uuid4()}"
        xml = collect_xml("household_survey", household_version.version, body, instance_id=instance_id)
        assert post_instance(client, xml).status_code == 201
        ids.append(instance_id)
    return ids


@pytest.fixture
def officer_client(client, dtm_officer):
    client.force_login(dtm_officer)
    return client


def export(client, version, **params):
    response = client.get(reverse("dtm:dtm-form-export", args=[version.form.pk]), params)
    assert response.status_code == 200, response.content[:300]
    return response


def read_csv(content: bytes) -> tuple[list[str], list[str], list[dict]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    header, tags = rows[0], rows[1]
    return header, tags, [dict(zip(header, row, strict=True)) for row in rows[2:]]


def unzip(response) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return {name: archive.read(name) for name in archive.namelist()}


def test_the_csv_export_of_a_form_with_repeats_is_a_zip_of_one_csv_per_repeat(officer_client, household_version,
                                                                             households):  # fmt: skip
    response = export(officer_client, household_version, fmt="csv")

    assert response["Content-Type"] == "application/zip"
    assert 'filename="household_survey-csv.zip"' in response["Content-Disposition"]
    assert sorted(unzip(response)) == [
        "household_survey-member.csv", "household_survey-need.csv", "household_survey-phone.csv",
        "household_survey.csv",
    ]  # fmt: skip


def test_the_main_table_has_one_row_per_submission_with_its_questions_and_metadata(
    officer_client, household_version, households
):
    header, _tags, rows = read_csv(unzip(export(officer_client, household_version))["household_survey.csv"])

    assert header[:4] == ["start", "today", "hh/district", "hh/size"]
    assert header[-7:] == ["_id", "_uuid", "_submission_time", "_status", "_submitted_by", "__version__", "_index"]
    # hh/size is tagged #affected+ind, a count of people: like every download, no count from 1 to 10.
    assert [(row["hh/district"], row["hh/size"], row["_uuid"], row["_index"]) for row in rows] == [
        ("TUR031001", "<11", households[0], "1"), ("TUR031002", "<11", households[1], "2"),
    ]  # fmt: skip
    assert {row["_submitted_by"] for row in rows} == {"enumerator.hty"}
    assert {row["__version__"] for row in rows} == {"2023050101"}
    assert not any(name.startswith("member") for name in header)  # repeats have their own tables


def test_each_repeat_row_points_to_its_parent_row_as_kobo_does(officer_client, household_version, households):
    files = unzip(export(officer_client, household_version))
    _h, _t, main = read_csv(files["household_survey.csv"])
    header, _tags, members = read_csv(files["household_survey-member.csv"])
    _h, _t, phones = read_csv(files["household_survey-phone.csv"])
    _h, _t, needs = read_csv(files["household_survey-need.csv"])

    assert header == [
        "member/name", "member/age", "member/sex", "_index", "_parent_table_name", "_parent_index",
        "_submission__id", "_submission__uuid",
    ]  # fmt: skip
    assert [(m["member/name"], m["_index"], m["_parent_table_name"], m["_parent_index"]) for m in members] == [
        ("Amina Haddad", "1", "household_survey", "1"),
        ("Omar Haddad", "2", "household_survey", "1"),
        ("Leyla Kaya", "3", "household_survey", "2"),
    ]
    assert [m["_submission__uuid"] for m in members] == [households[0], households[0], households[1]]
    # A nested repeat points to the row of the repeat it is in.
    assert [(p["member/phone/number"], p["_parent_table_name"], p["_parent_index"]) for p in phones] == [
        ("0532 000 0001", "member", "1"), ("0532 000 0002", "member", "1"), ("0533 000 0003", "member", "3"),
    ]  # fmt: skip
    assert [(n["need/sector"], n["_parent_index"]) for n in needs] == [("food", "1"), ("shelter", "1")]
    by_index = {row["_index"]: row for row in main}
    assert by_index[members[2]["_parent_index"]]["hh/district"] == "TUR031002"


def test_every_table_is_hxl_tagged_with_the_xlsforms_own_hashtags(officer_client, household_version, households,
                                                                  tmp_path):  # fmt: skip
    files = unzip(export(officer_client, household_version))
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)

    main = hxl.data(str(tmp_path / "household_survey.csv"), hxl.input.InputOptions(allow_local=True))
    members = hxl.data(str(tmp_path / "household_survey-member.csv"), hxl.input.InputOptions(allow_local=True))

    main_tags = [column.display_tag for column in main.columns]
    assert {"#adm2+code", "#affected+ind", "#meta+uuid", "#meta+index", "#indicator+today"} <= set(main_tags)
    assert [row.get("#adm2+code") for row in main] == ["TUR031001", "TUR031002"]
    member_tags = [column.display_tag for column in members.columns]
    assert {"#beneficiary+name", "#beneficiary+age", "#indicator+sex", "#meta+parent+index"} <= set(member_tags)
    assert [row.get("#beneficiary+age") for row in members] == ["34", "9", "61"]


def test_the_xlsx_export_has_one_sheet_per_repeat(officer_client, household_version, households):
    response = export(officer_client, household_version, fmt="xlsx")

    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["household_survey", "member", "phone", "need"]
    phone_rows = list(workbook["phone"].iter_rows(values_only=True))
    assert phone_rows[0][:4] == ("member/phone/number", "_index", "_parent_table_name", "_parent_index")
    assert phone_rows[1][:4] == ("#contact+phone", "#meta+index", "#meta+parent+table", "#meta+parent+index")
    assert [row[:4] for row in phone_rows[2:]] == [
        ("0532 000 0001", 1, "member", 1), ("0532 000 0002", 2, "member", 1), ("0533 000 0003", 3, "member", 3),
    ]  # fmt: skip
    member_rows = list(workbook["member"].iter_rows(values_only=True))
    assert [row[:2] for row in member_rows[2:]] == [("Amina Haddad", 34), ("Omar Haddad", 9), ("Leyla Kaya", 61)]


def test_one_table_downloads_alone_as_csv(officer_client, household_version, households):
    response = export(officer_client, household_version, fmt="csv", table="need")

    assert 'filename="household_survey-need.csv"' in response["Content-Disposition"]
    _header, tags, rows = read_csv(response.content)
    assert tags[0] == "#sector"
    assert [row["need/sector"] for row in rows] == ["food", "shelter"]
    assert (
        officer_client.get(
            reverse("dtm:dtm-form-export", args=[household_version.form.pk]), {"table": "nope"}
        ).status_code
        == 404
    )


def test_a_form_without_repeats_downloads_as_one_csv(officer_client, hatay, field_user):
    version = services.form_upload(
        office=hatay, content=xlsform([["type", "name", "label"], ["integer", "count", "Count"]]), file_name="c.xlsx",
        by=None,
    )  # fmt: skip
    post_instance(officer_client, collect_xml(version.form.form_id, version.version, "<count>12</count>"))

    response = export(officer_client, version, fmt="csv")

    assert response["Content-Type"].startswith("text/csv")
    _header, _tags, rows = read_csv(response.content)
    assert [row["count"] for row in rows] == ["12"]


def test_an_answer_that_looks_like_a_formula_is_neutralised(officer_client, household_version, field_user):
    body = household("TUR031001", member('=HYPERLINK("http://evil")', 30, "F"))
    post_instance(officer_client, collect_xml("household_survey", household_version.version, body))

    _header, _tags, members = read_csv(export(officer_client, household_version, fmt="csv", table="member").content)

    assert members[0]["member/name"] == '\'=HYPERLINK("http://evil")'


def test_the_export_is_audited_with_its_tables(officer_client, household_version, households):
    export(officer_client, household_version, fmt="xlsx")

    event = AuditEvent.objects.get(action="export", object_id=str(household_version.form.pk))
    assert event.actor.username == "dtm.hty"
    assert event.changes["tables"][1] == "household_survey: 2 rows, member: 3 rows, phone: 3 rows, need: 2 rows"


def test_only_field_data_roles_of_the_office_can_export(client, household_version, households, hatay, edirne):
    url = reverse("dtm:dtm-form-export", args=[household_version.form.pk])
    for user in (staff(Role.DTM_OFFICER, edirne, username="dtm.edr"), staff(Role.CASEWORKER, hatay)):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(staff(Role.SUPERVISOR, hatay, username="supervisor.hty"))
    assert client.get(url).status_code == 200


def test_the_export_costs_the_same_number_of_queries_for_more_submissions(
    officer_client, household_version, field_user, django_assert_max_num_queries
):
    url = reverse("dtm:dtm-form-export", args=[household_version.form.pk])
    for count in (1, 6):
        while household_version.form.submissions.count() < count:
            body = household("TUR031001", member("Amina", 34, "F", "0532 000 0001"), needs=("food",))
            post_instance(officer_client, collect_xml("household_survey", household_version.version, body))
        with django_assert_max_num_queries(14):
            assert officer_client.get(url, {"fmt": "csv"}).status_code == 200


def test_the_form_page_links_both_downloads(officer_client, household_version, households):
    page = officer_client.get(reverse("dtm:dtm-form", args=[household_version.form.pk])).content.decode()

    assert "CSV (a ZIP, one file per repeat)" in page and "XLSX (one sheet per repeat)" in page


def test_the_hxl_column_of_the_xlsform_is_read_by_question_path():
    assert hxl_tags(
        [
            {"type": "begin group", "name": "hh"}, {"type": "integer", "name": "size", "hxl": "#affected+ind"},
            {"type": "end group"}, {"type": "begin_repeat", "name": "member"},
            {"type": "text", "name": "name", "hxl": " #beneficiary+name "}, {"type": "integer", "name": "age"},
            {"type": "end_repeat"}, {"type": "text", "name": "note", "hxl": "not a tag"},
        ]
    ) == {"hh/size": "#affected+ind", "member/name": "#beneficiary+name"}  # fmt: skip
