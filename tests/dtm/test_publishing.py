"""Seeing it: the dashboard, HXL-tagged CSV (read back with libhxl), XLSX and GeoJSON downloads, small cells."""

import datetime
import io
import json

import hxl
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from liman.core.choices import Role
from liman.core.models import AdminArea
from liman.dtm import publishing, selectors, services
from liman.dtm.targets import suggest_mapping
from tests.dtm.builders import collect_xml, site_body, xlsform
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(hatay, edirne, operation, site_version, field_user):
    """Two sites in Hatay (from submissions), flows at an Edirne point, presence and Aegean figures."""
    office = site_version.form.office
    for name, district, location in (
        ("Antakya Tent City", "TUR031002", "36.2025 36.1604 84.2 4.9"),
        ('=HYPERLINK("http://evil")', "TUR031009", "36.5870 36.1735 12 5"),
    ):
        xml = collect_xml("site_assessment", site_version.version, site_body(site_name=name, district=district,
                                                                             location=location))  # fmt: skip
        services.submission_receive(office=office, xml=xml, field_user=field_user)
    point = services.flow_point_create(
        office=edirne, code="EDR-PAZARKULE", name="Pazarkule", type="border_crossing", operation=operation,
        district=AdminArea.objects.get(pcode="TUR022001"), by=None,
    )  # fmt: skip
    services.flow_counts_record(
        rows=[
            services.FlowCountInput(point, datetime.date(2023, 4, 3), "outgoing", "AFG", "M", "18_59", 120),
            services.FlowCountInput(point, datetime.date(2023, 4, 10), "outgoing", "AFG", "F", "5_17", 30),
            services.FlowCountInput(point, datetime.date(2023, 5, 1), "outgoing", "SYR", "M", "18_59", 50),
        ],
        by=None,
    )
    hatay_province = AdminArea.objects.get(pcode="TUR031")
    services.presence_figures_record(
        office=hatay, operation=operation, by=None,
        rows=[services.PresenceInput(datetime.date(2023, 7, 1), hatay_province, "temporary_protection", "SYR", "pmm",
                                     301_832)],
    )  # fmt: skip
    services.interceptions_record(
        office=hatay, operation=operation, by=None,
        rows=[services.InterceptionInput(datetime.date(2023, 4, 1), "rescue", "aegean_sea", "coast_guard", "AFG", "F",
                                         "18_59", 41, province=AdminArea.objects.get(pcode="TUR035"))],
    )  # fmt: skip
    return operation


@pytest.fixture
def reader(client, hatay, edirne):
    user = staff(Role.REPORTING_OFFICER, None, username="reporting.all")
    client.force_login(user)
    return client


def download(client, operation, table: str, fmt: str, **filters) -> bytes:
    response = client.get(
        reverse("dtm:dtm-operation-export", args=[operation.pk]), {"table": table, "fmt": fmt, **filters}
    )
    assert response.status_code == 200
    return response.content


def read_hxl(content: bytes, tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    return hxl.data(str(path), hxl.input.InputOptions(allow_local=True))


def test_the_sites_table_is_valid_hxl_with_the_tags_hdx_reads(reader, figures, tmp_path):
    dataset = read_hxl(download(reader, figures, "sites", "csv"), tmp_path)

    tags = [column.display_tag for column in dataset.columns]
    assert {"#loc+code", "#adm1+code", "#adm2+code", "#geo+lat", "#geo+lon", "#affected+ind", "#affected+hh"} <= set(
        tags
    )
    assert "#affected+f+children" in tags and "#affected+m+adults" in tags
    rows = [dict(zip(tags, row.values, strict=True)) for row in dataset]
    antakya = next(row for row in rows if row["#loc+name"] == "Antakya Tent City")
    assert (antakya["#adm1+code"], antakya["#adm2+code"], antakya["#affected+ind"]) == ("TUR031", "TUR031002", "480")
    assert antakya["#sector+needs"] == "shelter:4 wash:3"


def test_a_formula_in_a_cell_is_neutralised(reader, figures, tmp_path):
    dataset = read_hxl(download(reader, figures, "sites", "csv"), tmp_path)

    names = [row.get("#loc+name") for row in dataset]
    assert '\'=HYPERLINK("http://evil")' in names


def test_flows_by_province_month_and_nationality_in_hxl(reader, figures, tmp_path):
    dataset = read_hxl(download(reader, figures, "flows", "csv"), tmp_path)

    rows = [(row.get("#adm1+code"), row.get("#date+month"), row.get("#country+code+origin"), row.get("#affected+ind"),
             row.get("#affected+f+children")) for row in dataset]  # fmt: skip
    assert rows == [("TUR022", "2023-04", "AFG", "150", "30"), ("TUR022", "2023-05", "SYR", "50", "0")]


def test_presence_and_interceptions_download_as_hxl(reader, figures, tmp_path):
    presence = list(read_hxl(download(reader, figures, "presence", "csv"), tmp_path))
    assert [(r.get("#adm1+code"), r.get("#population+total")) for r in presence] == [("TUR031", "301832")]

    interceptions = list(read_hxl(download(reader, figures, "interceptions", "csv"), tmp_path))
    assert [(r.get("#loc+route"), r.get("#affected+f+adults")) for r in interceptions] == [("aegean_sea", "41")]


def test_the_xlsx_download_carries_the_hxl_row(reader, figures):
    sheet = load_workbook(io.BytesIO(download(reader, figures, "sites", "xlsx"))).active

    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Site ID" and rows[1][0] == "#loc+code"
    assert len(rows) == 4


def test_the_geojson_download_has_site_points_and_province_polygons(reader, figures):
    sites = json.loads(download(reader, figures, "sites", "geojson"))
    flows = json.loads(download(reader, figures, "flows", "geojson"))

    assert {feature["geometry"]["type"] for feature in sites["features"]} == {"Point"}
    assert sites["features"][0]["geometry"]["coordinates"] == [36.1604, 36.2025]
    (edirne,) = flows["features"]
    assert edirne["properties"] == {"province_pcode": "TUR022", "province": "Edirne", "individuals": 200}
    assert edirne["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_filters_narrow_the_downloads(reader, figures, tmp_path):
    dataset = read_hxl(download(reader, figures, "flows", "csv", month_from="2023-05"), tmp_path)

    assert [row.get("#date+month") for row in dataset] == ["2023-05"]


def test_an_individual_level_dataset_never_publishes_a_cell_under_k(reader, hatay, tmp_path, settings):
    survey = [["type", "name", "label"], ["today", "today", ""], ["text", "province", "Province"],
              ["text", "sex", "Sex"], ["text", "nationality", "Nationality"]]  # fmt: skip
    version = services.form_upload(office=hatay, content=xlsform(survey), file_name="fms.xlsx", by=None)
    services.form_bind(form=version.form, target="dataset", mapping=suggest_mapping("dataset", version.fields), by=None)
    for n, nationality in enumerate(["AFG"] * 12 + ["ERI"] * 3):
        body = (
            f"<today>2023-08-0{1 + n % 5}</today><province>TUR022</province><sex>M</sex>"
            f"<nationality>{nationality}</nationality>"
        )
        services.submission_receive(office=hatay, xml=collect_xml("fms", version.version, body))

    response = reader.get(reverse("dtm:dtm-form-dataset", args=[version.form.pk]), {"fmt": "csv", "by": "nationality"})

    rows = [(r.get("#indicator+nationality"), r.get("#affected+ind")) for r in read_hxl(response.content, tmp_path)]
    # The 3 Eritreans are a cell under k = 11; the province's total (15, in the GeoJSON) would give them back
    # from the 12 Afghans, so the 12 are hidden too.
    assert rows == [("AFG", "<11"), ("ERI", "<11")]
    settings.LIMAN_DTM_MIN_CELL = 3
    response = reader.get(reverse("dtm:dtm-form-dataset", args=[version.form.pk]), {"fmt": "csv", "by": "nationality"})
    rows = [(r.get("#indicator+nationality"), r.get("#affected+ind")) for r in read_hxl(response.content, tmp_path)]
    assert rows == [("AFG", "12"), ("ERI", "3")]


def test_small_cells_are_marked_in_any_count_table():
    rows = [{"n": 11}, {"n": 10}, {"n": 0}, {"n": 400}]

    marked, hidden = publishing.suppress_small_cells(rows, count="n", k=11)

    # 10 is under k; 11, the smallest other count, is hidden too, or the total would give the 10 back.
    assert marked == [{"n": "<11"}, {"n": "<11"}, {"n": 0}, {"n": 400}] and hidden == 2


def test_a_single_hidden_part_of_a_total_gets_a_complement():
    assert publishing.suppress({"f": 30, "m": 4, "x": 0}, 11) == {"f", "m"}
    assert publishing.suppress({"f": 30, "m": 4}, 11, total_published=False) == {"m"}
    assert publishing.suppress({"f": 30, "m": 40, "x": 12}, 11, hidden={"m"}) == {"m", "x"}
    assert publishing.suppress({"f": 3, "m": 4, "x": 50}, 11) == {"f", "m"}


def test_the_dashboard_shows_figures_map_data_and_downloads(reader, figures):
    page = reader.get(reverse("dtm:dtm-operation", args=[figures.pk])).content.decode()

    assert 'data-figure="sites"' in page and "Antakya Tent City" in page
    assert 'id="dtm-map"' in page and "chart-month" in page
    assert "table=sites&amp;fmt=csv" in page
    data = reader.get(reverse("dtm:dtm-operation-data", args=[figures.pk])).json()
    assert data["provinces"] == {"TUR031": 960}
    assert data["districts"] == {"TUR031002": 480, "TUR031009": 480}
    assert data["totals"]["flows"] == 200 and data["totals"]["present"] == 301_832
    assert data["by_nationality"]["labels"] == ["SYR", "AFG"]  # presence (a stock) outweighs the flows
    assert [s["key"] for s in data["by_sex_age"]["series"]] == ["female", "male"]


def test_the_dashboard_filters_by_province_and_population_group(reader, figures):
    url = reverse("dtm:dtm-operation-data", args=[figures.pk])

    assert reader.get(url, {"province": "TUR046"}).json()["totals"]["sites"] == 0
    assert reader.get(url, {"population_group": "international_protection"}).json()["totals"]["sites"] == 0
    assert reader.get(url, {"population_group": "temporary_protection"}).json()["totals"]["sites"] == 2


def test_the_dashboard_costs_the_same_number_of_queries_for_more_data(reader, figures, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        reader.get(reverse("dtm:dtm-operation", args=[figures.pk]))


def test_another_offices_dtm_officer_sees_none_of_these_figures(client, figures):
    from tests.factories import OfficeFactory

    client.force_login(staff(Role.DTM_OFFICER, OfficeFactory(code="VAN")))

    assert client.get(reverse("dtm:dtm-operation", args=[figures.pk])).status_code == 404
    assert selectors.site_individuals_by_province(staff(Role.VIEWER, OfficeFactory(code="IST"))) == {}


def test_the_core_map_can_colour_provinces_by_individuals_in_sites(reader, figures):
    response = reader.get(reverse("core:map-counts"), {"metric": "dtm_site_individuals"})

    assert response.json()["counts"] == {"TUR031": 960}


def test_district_boundaries_for_the_dashboard(reader):
    data = reader.get(reverse("dtm:dtm-districts"), {"province": "TUR079"}).json()

    assert sorted(feature["properties"]["pcode"] for feature in data["features"]) == [
        "TUR079001", "TUR079002", "TUR079003", "TUR079004",
    ]  # fmt: skip


def test_the_api_lists_sites_and_assessments_with_a_fixed_number_of_queries(
    reader, figures, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        sites = reader.get("/api/dtm/sites/").json()
    with django_assert_max_num_queries(10):
        assessments = reader.get("/api/dtm/site-assessments/").json()

    assert sites["count"] == 2 and {s["district"] for s in sites["results"]} == {"TUR031002", "TUR031009"}
    assert assessments["results"][0]["needs"][0] == {"sector": "shelter", "rank": 1, "severity": 4}
