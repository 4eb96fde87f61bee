"""The country and project dashboards: people by province (the choropleth's counts), new people by month, progress
against targets; their downloads publish no count between 1 and k-1."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liman.core.choices import Role
from liman.core.models import Programme
from liman.reporting.models import ProjectDefault, ProjectTag
from tests.dtm.test_min_cell import small_cells
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_the_country_dashboard_maps_and_trends_what_the_user_reports_for(client, istanbul, izmir, make_project,
                                                                        months, served):  # fmt: skip
    _locked, last = months
    project = make_project("EU-DASH", [istanbul], default_for=istanbul)
    served(last.replace(day=3))
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.dash"))
    page = client.get(
        reverse("reporting:reporting-dashboard"), {"year": last.year, "measure": "assistance.people_in_kind"}
    )
    assert page.status_code == 200
    chosen = page.context["chosen"]
    assert chosen.key == "assistance.people_in_kind" and chosen.total == 2
    assert chosen.by_province == {"TUR034": 2}
    assert chosen.by_month[chosen.months.index(last.strftime("%Y-%m"))] == 2
    [(shown, table)] = page.context["projects"]
    assert shown == project and table[0][2].achieved == 2
    counts = client.get(page.context["map_url"]).json()
    assert counts["counts"] == {"TUR034": 2} and "BN-1.1" in counts["label"]
    assert 'id="map"' in page.content.decode() and "reporting/dashboard.js" in page.content.decode()
    # Izmir's officer sees none of Istanbul's people.
    client.force_login(staff(Role.REPORTING_OFFICER, izmir, username="rep.dash.izm"))
    page = client.get(reverse("reporting:reporting-dashboard"), {"year": last.year})
    assert all(one.total == 0 for one in page.context["series"]) and page.context["projects"] == []


def test_the_downloads_hide_counts_under_the_minimum_cell(client, istanbul, make_project, months, served):
    _locked, last = months
    project = make_project("EU-K", [istanbul], default_for=istanbul)
    for day in (3, 4, 5, 6, 7, 8):
        served(last.replace(day=day))  # 12 people in Istanbul, in one month
    served(last.replace(day=9))  # and 2 more: 14
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.k"))
    for url in (
        reverse("reporting:reporting-dashboard-export"),
        reverse("reporting:project-dashboard-export", args=[project.pk]),
    ):
        for fmt in ("csv", "xlsx"):
            response = client.get(url, {"year": last.year, "fmt": fmt})
            assert response.status_code == 200
            assert small_cells(response.content, response["Content-Type"]) == []
        rows = list(
            csv.reader(io.StringIO(client.get(url, {"year": last.year, "fmt": "csv"}).content.decode("utf-8-sig")))
        )
        kind = [row for row in rows[2:] if row[0] in ("assistance.people_in_kind", "IND1")]
        assert ["province", "TUR034", "14"] == [kind[0][2], kind[0][3], kind[0][6]]
        assert [row[6] for row in kind if row[2] == "total"] == ["14"]
    served(last.replace(day=10))  # 16 … and a project of two people only: every cell hidden
    small = make_project("EU-SMALL", [istanbul])
    ProjectDefault.objects.filter(office=istanbul).update(project=small)
    served(last.replace(day=11))
    rows = list(csv.reader(io.StringIO(client.get(reverse("reporting:project-dashboard-export", args=[small.pk]),
                                                  {"fmt": "csv"}).content.decode("utf-8-sig"))))  # fmt: skip
    assert {row[6] for row in rows[2:] if row[2] in ("province", "total")} == {"<11"}


def test_the_project_dashboard_counts_its_records_only(client, istanbul, make_project, months, served):
    _locked, last = months
    served(last.replace(day=2))  # before the project had a default: belongs to none
    project = make_project("EU-PD", [istanbul])
    # The default set directly (the service would also tag the earlier record): only later records are the project's.
    ProjectDefault.objects.create(office=istanbul, programme=Programme.objects.get(code="assistance"), project=project)
    served(last.replace(day=5))
    assert ProjectTag.objects.count() == 1
    client.force_login(staff(Role.SUPERVISOR, istanbul, username="sup.pd"))
    page = client.get(reverse("reporting:project-dashboard", args=[project.pk]))
    assert page.status_code == 200
    [series] = page.context["series"]
    assert series.total == 2 and series.target == 10 and series.percent == 20 and not series.over_offices
    assert client.get(reverse("reporting:project-dashboard-map", args=[project.pk]), {"indicator": "IND1"}).json()[
        "counts"
    ] == {"TUR034": 2}
    assert (
        client.get(reverse("reporting:project-dashboard-map", args=[project.pk]), {"indicator": "NOPE"}).status_code
        == 404
    )


def test_the_dashboards_cost_the_same_queries_however_many_people(client, istanbul, make_project, months, served,
                                                                 django_assert_max_num_queries):  # fmt: skip
    _locked, last = months
    project = make_project("EU-QD", [istanbul], default_for=istanbul)
    served(last.replace(day=3))
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul, username="rep.qd"))
    pages = [
        (reverse("reporting:reporting-dashboard"), {"year": last.year}),
        (reverse("reporting:project-dashboard", args=[project.pk]), {}),
    ]
    counted = []
    for url, params in pages:
        with CaptureQueriesContext(connection) as few:
            client.get(url, params)
        counted.append(len(few))
    for day in (4, 5, 6):
        served(last.replace(day=day))
    for (url, params), before in zip(pages, counted, strict=True):
        with django_assert_max_num_queries(before):
            client.get(url, params)
    assert max(counted) <= 60
