"""The API of grants and employment: read-only, scoped to the caller's offices (another office's records are not
listed and are 404), a sole proprietor's identity number masked, people by reference only, and every list at a
fixed number of queries however many rows it holds."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from liman.core.choices import Role
from liman.livelihoods import employment
from liman.livelihoods import services as grants
from liman.livelihoods.models import GrantApplication
from tests.factories import staff
from tests.livelihoods.test_employment import employer, refugee

pytestmark = pytest.mark.django_db

LISTS = ("grant-calls", "grant-applications", "grant-agreements", "job-seekers", "vacancies", "placements",
         "work-permits")  # fmt: skip


def _employment(office, officer, count: int) -> list:
    firm = employer(office, officer, turkish=100)
    permits = []
    for number in range(count):
        seeker = employment.job_seeker_register(person=refugee(office, name=f"Api{number}"), skills="Packing",
                                                by=officer)  # fmt: skip
        vacancy = employment.vacancy_open(employer=firm, title=f"Packer {number}", monthly_wage=30000, by=officer)
        referral = employment.refer(seeker=seeker, vacancy=vacancy, by=officer)
        placement = employment.place(referral=referral, started_on=datetime.date(2026, 6, 1), monthly_wage=30000,
                                     by=officer)  # fmt: skip
        permits.append(employment.permit_prepare(person=seeker.person, employer=firm, placement=placement,
                                                 monthly_wage=30000, by=officer))  # fmt: skip
    return permits


def test_grants_and_employment_through_the_api(client, istanbul, izmir, grant_people, agreement):
    officer = grant_people["officer"]
    first = agreement.tranches.get(number=1)
    grants.tranche_milestone_met(tranche=first, evidence="Invoice", met_on=timezone.localdate(), by=officer)
    [permit] = _employment(istanbul, officer, 1)
    sole = GrantApplication.objects.filter(pk=agreement.application_id)
    sole.update(tax_kind="tckn", tax_number="10000000146")
    client.force_login(officer)
    application = client.get(f"/api/grant-applications/{agreement.application.reference}/").json()
    assert application["tax_number"] == "···146" and application["agreement"] == agreement.reference
    assert application["state"] == "contracted" and application["employees_syrian_f"] == 2
    body = client.get(f"/api/grant-agreements/{agreement.reference}/").json()
    assert [(t["number"], t["status"]) for t in body["tranches"]] == [(1, "due"), (2, "planned")]
    assert body["office"] == "IST" and body["currency"] == "TRY"
    calls = client.get("/api/grant-calls/").json()["results"]
    assert calls[0]["criteria"] == [{"name": "Viability", "weight": 100, "max_score": 10}]
    permits = client.get("/api/work-permits/", {"state": "prepared"}).json()["results"]
    assert [p["id"] for p in permits] == [permit.pk] and permits[0]["person"] == permit.person.reference
    assert client.get("/api/work-permits/", {"state": "granted"}).json()["results"] == []
    placements = client.get("/api/placements/").json()["results"]
    assert [f["months"] for f in placements[0]["follow_ups"]] == [3, 6]
    seeker = client.get("/api/job-seekers/").json()["results"][0]
    assert "Api0" not in str(seeker) and seeker["person"] == permit.person.reference
    # Another office sees none of it.
    client.force_login(staff(Role.PROGRAMME_OFFICER, izmir, username="po.izm"))
    for name in LISTS:
        assert client.get(f"/api/{name}/").json()["results"] == [], name
    assert client.get(f"/api/grant-agreements/{agreement.reference}/").status_code == 404
    assert client.get(f"/api/work-permits/{permit.pk}/").status_code == 404
    # A role that does not read grants sees none either.
    client.force_login(staff(Role.WAREHOUSE, istanbul, username="wh.ist"))
    assert client.get("/api/grant-applications/").json()["results"] == []


def test_every_list_costs_the_same_few_queries(client, istanbul, grant_people, agreement,
                                               django_assert_max_num_queries):  # fmt: skip
    officer = grant_people["officer"]
    _employment(istanbul, officer, 4)
    grants.visit_record(agreement=agreement, visited_on=timezone.localdate(), jobs_created=1, jobs_retained=2,
                        by=officer)  # fmt: skip
    call = agreement.application.call
    for number in range(3):
        grants.application_submit(call=call, by=officer, data=grants.ApplicationInput(
            business_name=f"Shop {number}", sector="trade", registration="informal", owner_name="Owner", owner_sex="M",
            owner_nationality="SYR", requested_amount=Decimal(10000)))  # fmt: skip
    client.force_login(officer)
    for name in LISTS:  # session and grants (3), count, rows, prefetches, tier check, session update (3)
        with django_assert_max_num_queries(10):
            response = client.get(f"/api/{name}/")
        assert response.status_code == 200 and response.json()["results"], name
