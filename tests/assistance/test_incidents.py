import csv
import datetime
import io

import hxl
import pytest
from django.urls import reverse
from django.utils import timezone

from liman.assistance import services
from liman.assistance.figures import publishable
from liman.assistance.models import FieldIncident, IncidentGroupCount, LedgerEntry, StockBalance
from liman.assistance.services import StockShort
from liman.core.choices import Role
from liman.core.models import AdminArea
from tests.factories import OfficeFactory, staff

pytestmark = pytest.mark.django_db

DIKILI, CESME, MERIC = "TUR035011", "TUR035009", "TUR022007"


@pytest.fixture
def keeper(izmir):
    return staff(Role.WAREHOUSE, izmir, username="warehouse.izm")


@pytest.fixture
def crew(izmir):
    return staff(Role.MOBILE_TEAM, izmir, username="mobile.izm")


@pytest.fixture
def van(izmir, keeper, crew, blankets):
    """İzmir's van holding 20 blankets."""
    warehouse = services.location_create(office=izmir, name="İzmir warehouse", by=keeper)
    van = services.location_create(
        office=izmir, name="İzmir van 1", kind="vehicle", vehicle_plate="35 LM 201", by=keeper
    )
    services.stock_receive(location=warehouse, item=blankets, quantity=50, project_code="TUR-ECHO-1", by=keeper)
    load = services.transfer_dispatch(from_location=warehouse, to_location=van, item=blankets, quantity=20, by=keeper)
    services.transfer_receive(transfer=load, by=crew)
    return van


def record(izmir, van, crew, *, items=(), district=DIKILI, when=None, groups=None, **extra):
    return services.incident_record(
        office=izmir, vehicle=van, occurred_at=when or timezone.now() - datetime.timedelta(minutes=1),
        district=AdminArea.objects.get(pcode=district), terrain="sea", authority="coast_guard",
        how_met=extra.pop("how_met", "rescue_at_sea"),
        group_counts=groups or [("f", "0_4", "AFG", 6), ("f", "18_59", "AFG", 9), ("m", "18_59", "SYR", 20)],
        items=items, by=crew, **extra,
    )  # fmt: skip


def test_an_incident_issues_its_items_from_the_van(izmir, van, crew, blankets):
    incident = record(izmir, van, crew, items=[(blankets, 8)], services_given={"first_aid": 4}, injured=2)

    assert incident.people_met == 35
    assert IncidentGroupCount.objects.filter(incident=incident).count() == 3
    assert StockBalance.objects.get(location=van, item=blankets).quantity == 12
    entry = LedgerEntry.objects.get(location=van, kind="issue")
    assert entry.issued_for == incident and entry.quantity == -8


def test_short_van_stock_saves_nothing_and_names_the_balance(izmir, van, crew, blankets):
    with pytest.raises(StockShort) as refused:
        record(izmir, van, crew, items=[(blankets, 25)])

    assert "Only 20 × Blanket left at İzmir van 1" in refused.value.messages[0]
    assert not FieldIncident.objects.exists() and not IncidentGroupCount.objects.exists()
    assert StockBalance.objects.get(location=van, item=blankets).quantity == 20


def test_more_unaccompanied_children_than_children_met_is_refused(izmir, van, crew):
    with pytest.raises(Exception) as refused:
        record(izmir, van, crew, unaccompanied_children=7)

    assert "More than the 6 children met." in str(refused.value)
    assert not FieldIncident.objects.exists()


def test_another_office_cannot_record_in_izmir(izmir, van):
    with pytest.raises(Exception, match="mobile team"):
        record(izmir, van, staff(Role.MOBILE_TEAM, OfficeFactory(code="EDR")))


def form_data(van, **extra) -> dict:
    data = {
        "vehicle": van.pk, "occurred_at": "2026-05-04T06:30", "district": CESME, "terrain": "sea",
        "authority": "coast_guard", "how_met": "interception", "unaccompanied_children": 1, "pregnant_women": 0,
        "injured": 0, "with_disability": 0, "referred_to_case": 1, "referred_to_health": 0, "referred_to_pmm": 0,
        "service_interpretation": 2, "group-TOTAL_FORMS": 3, "group-INITIAL_FORMS": 0,
        "group-0-nationality": "som", "group-0-f_5_17": 4, "group-0-m_18_59": 11,
        "group-1-nationality": "ERI", "group-1-m_0_4": 2, "item-TOTAL_FORMS": 2, "item-INITIAL_FORMS": 0,
    }  # fmt: skip
    return {**data, **extra}


def test_an_incident_entered_on_the_page_with_items(client, izmir, van, crew, blankets):
    client.force_login(crew)
    assert client.get(reverse("assistance:incident-create")).status_code == 200

    response = client.post(
        reverse("assistance:incident-create"), form_data(van, **{"item-0-item": blankets.pk, "item-0-quantity": 5})
    )

    incident = FieldIncident.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assistance:incident-detail", args=[incident.pk]
    )
    assert incident.people_met == 17 and incident.district_id == CESME
    assert set(incident.group_counts.values_list("nationality", flat=True)) == {"SOM", "ERI"}
    assert StockBalance.objects.get(location=van, item=blankets).quantity == 15
    body = client.get(response["Location"]).content.decode()
    assert "Interpretation: 2" in body and "Blanket" in body


def test_the_page_refuses_short_stock_and_keeps_nothing(client, izmir, van, crew, blankets):
    client.force_login(crew)

    response = client.post(
        reverse("assistance:incident-create"), form_data(van, **{"item-0-item": blankets.pk, "item-0-quantity": 30})
    )

    assert response.status_code == 200 and "Only 20 × Blanket left at İzmir van 1" in response.content.decode()
    assert not FieldIncident.objects.exists()


def test_the_list_filters_by_month_province_and_how_met(client, izmir, van, crew):
    may = timezone.make_aware(datetime.datetime(2026, 5, 10, 4))
    in_may = record(izmir, van, crew, when=may, district=DIKILI)
    record(izmir, van, crew, when=may, district=MERIC, how_met="apprehension", **{})
    record(izmir, van, crew, when=may - datetime.timedelta(days=40), district=DIKILI)
    client.force_login(crew)

    page = client.get(
        reverse("assistance:incident-list"), {"month": "2026-05", "province": "TUR035", "how_met": "rescue_at_sea"}
    )

    assert [incident.pk for incident in page.context["page"]] == [in_may.pk]
    assert 'data-nav="incidents"' in page.content.decode()
    everything = client.get(reverse("assistance:incident-list"), {"sort": "people_met"}).context["page"]
    assert len(everything) == 3


def test_the_api_lists_incidents_in_a_few_queries(client, izmir, van, crew, django_assert_max_num_queries):
    for _ in range(6):
        record(izmir, van, crew)
    client.force_login(crew)

    with django_assert_max_num_queries(12):
        response = client.get("/api/incidents/")

    assert response.status_code == 200 and response.json()["count"] == 6
    first = response.json()["results"][0]
    assert first["province"] == "TUR035" and first["people_met"] == 35
    assert {"sex": "f", "age_group": "0_4", "nationality": "AFG", "count": 6} in first["group_counts"]


def test_monthly_figures_by_province(client, izmir, van, crew):
    record(izmir, van, crew)
    record(izmir, van, crew, district=CESME)
    client.force_login(crew)

    figures = client.get(reverse("assistance:incident-figures")).context["figures"]

    [izmir_row] = figures["provinces"]
    assert izmir_row["name"] == "İzmir" and izmir_row["total"] == {"incidents": 2, "people": 70}
    assert figures["months"][-1] == timezone.localdate().strftime("%Y-%m")


def test_the_map_offers_people_met_at_the_border(client, izmir, van, crew):
    record(izmir, van, crew)
    client.force_login(crew)

    counts = client.get(reverse("core:map-counts"), {"metric": "border_people_met"}).json()["counts"]

    assert counts == {"TUR035": 35}


def test_the_hxl_export_is_valid_and_hides_small_cells(client, izmir, van, crew, tmp_path):
    record(izmir, van, crew, groups=[("f", "5_17", "AFG", 30), ("m", "18_59", "SYR", 40), ("m", "0_4", "SYR", 3)])
    record(izmir, van, crew, district=CESME, groups=[("f", "18_59", "SOM", 4)])
    client.force_login(crew)

    response = client.get(reverse("assistance:incident-figures-hxl"))

    path = tmp_path / "people.csv"
    path.write_bytes(response.content)
    rows = list(hxl.data(str(path), hxl.input.InputOptions(allow_local=True)))
    assert len(rows) == 1  # both incidents are in İzmir this month
    row = rows[0]
    assert (row.get("#adm1+code"), row.get("#reached+ind"), row.get("#event+num")) == ("TUR035", "77", "2")
    assert row.get("#reached+f+children") == "30" and row.get("#reached+m+infants") == "<11"
    # 4 women and 3 infants are hidden; nothing between 1 and 10 is published.
    _headers, tags, *published = list(csv.reader(io.StringIO(response.content.decode())))
    people = [i for i, tag in enumerate(tags) if tag.startswith("#reached")]
    assert not [line[i] for line in published for i in people if line[i].isdigit() and 0 < int(line[i]) < 11]


def test_a_single_small_cell_takes_a_complement_with_it():
    row = {"individuals": 60, "f_5_17": 30, "m_18_59": 25, "m_0_4": 5}
    published = publishable(row, 11)
    assert published["m_0_4"] == "<11" and published["m_18_59"] == "<11" and published["f_5_17"] == 30


def test_another_office_sees_nothing_and_a_viewer_of_the_office_reads(client, izmir, van, crew):
    incident = record(izmir, van, crew)
    client.force_login(staff(Role.MOBILE_TEAM, OfficeFactory(code="EDR")))
    assert client.get(reverse("assistance:incident-detail", args=[incident.pk])).status_code == 404
    assert client.get(f"/api/incidents/{incident.pk}/").status_code == 404
    assert client.get("/api/incidents/").json()["count"] == 0

    client.force_login(staff(Role.VIEWER, izmir, username="viewer.izm"))
    assert client.get(reverse("assistance:incident-detail", args=[incident.pk])).status_code == 200
    assert client.get(reverse("assistance:incident-create")).status_code == 404
