"""Employment through the pages: an employer added (a bad tax number refused), a job seeker registered with the
certificates of their completed activities, a vacancy opened, the referral, the placement with its 3- and 6-month
follow-ups (an overdue list), and the employer's work-permit application from prepared to decided with its history
and the quota. Outside the office every page and form is 404; a reader does not write; the lists cost a fixed
number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from liman.core.choices import Role
from liman.core.models import StateChange
from liman.livelihoods import employment
from liman.livelihoods.models import Employer, JobSeeker, Placement, Referral, Vacancy, WorkPermitApplication
from tests.factories import staff
from tests.livelihoods.test_employment import employer, refugee

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(istanbul):
    return staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist")


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"]) if response.context else ""


def test_employment_from_employer_to_permit_decision_through_the_pages(client, istanbul, officer):
    from liman.activities import services as activities

    today = timezone.localdate()
    person = refugee(istanbul)
    course = activities.activity_create(office=istanbul, type="course", title="Forklift course", starts_on=today,
                                        ends_on=today, by=officer)  # fmt: skip
    participant = activities.participant_add_person(activity=course, person=person, by=officer)
    session = activities.session_add(activity=course, held_on=today, by=officer)
    activities.attendance_take(session=session, present={participant.pk}, by=officer)
    client.force_login(officer)
    form = {"office": istanbul.pk, "name": "Boğaziçi Lojistik", "tax_number": "1234567899",
            "province": istanbul.province_id, "sector": "services", "turkish_employees": "30"}  # fmt: skip
    response = client.post(reverse("livelihoods:employment-employer-create"), form)
    assert "check digit" in response.content.decode() and not Employer.objects.exists()
    form["tax_number"] = "1234567890"
    response = client.post(reverse("livelihoods:employment-employer-create"), form)
    firm = Employer.objects.get()
    assert response.url == reverse("livelihoods:employment-employer-detail", args=[firm.pk])
    response = client.post(reverse("livelihoods:employment-seeker-create"), {"person": "NOPE-1", "skills": "Forklift"})
    assert "No person you can see" in response.content.decode()
    client.post(reverse("livelihoods:employment-seeker-create"),
                {"person": person.reference.lower(), "skills": "Forklift", "languages": "ar, tr (B1)"})  # fmt: skip
    seeker = JobSeeker.objects.get(person=person)
    page = client.get(reverse("livelihoods:employment-seeker-detail", args=[seeker.pk])).content.decode()
    assert "Forklift course" in page and "ar, tr (B1)" in page
    client.post(reverse("livelihoods:employment-vacancy-open", args=[firm.pk]),
                {"title": "Forklift driver", "positions": "2", "monthly_wage": "28000"})  # fmt: skip
    vacancy = Vacancy.objects.get()
    client.post(reverse("livelihoods:employment-seeker-refer", args=[seeker.pk]), {"vacancy": vacancy.pk})
    response = client.post(
        reverse("livelihoods:employment-seeker-refer", args=[seeker.pk]), {"vacancy": vacancy.pk}, follow=True
    )
    assert "already referred" in _messages(response)
    referral = Referral.objects.get()
    assert (
        "Forklift driver"
        in client.get(reverse("livelihoods:employment-vacancy-detail", args=[vacancy.pk])).content.decode()
    )
    started = today - datetime.timedelta(days=200)
    response = client.post(reverse("livelihoods:employment-referral-place", args=[referral.pk]),
                           {"started_on": started.isoformat(), "monthly_wage": "28000"})  # fmt: skip
    placement = Placement.objects.get()
    assert response.url == reverse("livelihoods:employment-placement-detail", args=[placement.pk])
    page = client.get(response.url).content.decode()
    assert page.count("overdue") == 2  # both the 3- and the 6-month follow-up are past due
    three = placement.follow_ups.get(months=3)
    client.post(reverse("livelihoods:employment-follow-up-record", args=[three.pk]),
                {"done_on": today.isoformat(), "still_employed": "yes", "note": "Night shift lead"})  # fmt: skip
    three.refresh_from_db()
    assert three.still_employed is True and three.note == "Night shift lead"
    overdue = client.get(reverse("livelihoods:employment-follow-up-list"), {"overdue": "1"}).content.decode()
    assert "Forklift driver" in overdue and "Night shift lead" not in overdue
    assert "None overdue" not in client.get(reverse("livelihoods:employment-home")).content.decode()
    # The permit: prepared (the quota of 30 Turkish employees is 3), submitted, granted — each step with history.
    page = client.get(reverse("livelihoods:employment-placement-detail", args=[placement.pk])).content.decode()
    assert "allows 3 more permits" in page
    response = client.post(
        reverse("livelihoods:employment-permit-prepare", args=[placement.pk]), {"monthly_wage": "28000"}
    )
    permit = WorkPermitApplication.objects.get()
    assert (
        response.url == reverse("livelihoods:employment-permit-detail", args=[permit.pk])
        and permit.placement == placement
    )
    assert "30 Turkish employees: 3 workers under temporary protection allowed, 2 left" in client.get(
        response.url).content.decode()  # fmt: skip
    client.post(reverse("livelihoods:employment-permit-submit", args=[permit.pk]), {"submitted_on": today.isoformat()})
    response = client.post(reverse("livelihoods:employment-permit-decide", args=[permit.pk]),
                           {"granted": "yes", "decided_on": today.isoformat()}, follow=True)  # fmt: skip
    assert "reference" in _messages(response)
    client.post(reverse("livelihoods:employment-permit-decide", args=[permit.pk]),
                {"granted": "yes", "decided_on": today.isoformat(), "reference": "ÇSGB-77"})  # fmt: skip
    permit.refresh_from_db()
    assert permit.state == "granted" and permit.decision_reference == "ÇSGB-77"
    page = client.get(reverse("livelihoods:employment-permit-detail", args=[permit.pk])).content.decode()
    assert "Submitted by the employer → Granted" in page
    assert list(StateChange.objects.filter(workflow="livelihoods.workpermitapplication.state")
                .values_list("to_state", flat=True).order_by("id")) == ["submitted", "granted"]  # fmt: skip


def test_a_full_quota_and_a_wage_below_the_minimum_are_refused_on_the_page(client, istanbul, officer):
    small = employer(istanbul, officer, turkish=5)  # 10 % of 5: no worker under temporary protection
    seeker = employment.job_seeker_register(person=refugee(istanbul), skills="Welding", by=officer)
    vacancy = employment.vacancy_open(employer=small, title="Welder", monthly_wage=Decimal(30000), by=officer)
    referral = employment.refer(seeker=seeker, vacancy=vacancy, by=officer)
    placement = employment.place(referral=referral, started_on=timezone.localdate(), monthly_wage=30000, by=officer)
    client.force_login(officer)
    url = reverse("livelihoods:employment-permit-prepare", args=[placement.pk])
    response = client.post(url, {"monthly_wage": "30000"}, follow=True)
    assert "quota" in _messages(response) and not WorkPermitApplication.objects.exists()
    response = client.post(url, {"monthly_wage": "1000", "seasonal_agriculture": "on"}, follow=True)
    assert "minimum wage" in _messages(response) and not WorkPermitApplication.objects.exists()
    # Seasonal agriculture: the exemption, outside the quota.
    client.post(url, {"monthly_wage": "30000", "seasonal_agriculture": "on"})
    assert WorkPermitApplication.objects.get().kind == "seasonal_exemption"


def test_not_hired_closes_the_referral_with_its_reason(client, istanbul, officer):
    seeker = employment.job_seeker_register(person=refugee(istanbul), skills="Cook", by=officer)
    vacancy = employment.vacancy_open(employer=employer(istanbul, officer), title="Cook", monthly_wage=27000,
                                      by=officer)  # fmt: skip
    referral = employment.refer(seeker=seeker, vacancy=vacancy, by=officer)
    client.force_login(officer)
    response = client.post(reverse("livelihoods:employment-referral-not-hired", args=[referral.pk]),
                           {"reason": "Needs Turkish B1", "back": "seeker"})  # fmt: skip
    assert response.url == reverse("livelihoods:employment-seeker-detail", args=[seeker.pk])
    referral.refresh_from_db()
    assert referral.status == "not_hired"
    assert StateChange.objects.get(to_state="not_hired").reason == "Needs Turkish B1"


def test_outside_the_office_every_page_and_form_is_not_found_and_a_reader_does_not_write(
    client, istanbul, izmir, officer
):  # fmt: skip
    seeker = employment.job_seeker_register(person=refugee(istanbul), skills="Tailor", by=officer)
    firm = employer(istanbul, officer)
    vacancy = employment.vacancy_open(employer=firm, title="Tailor", monthly_wage=30000, by=officer)
    referral = employment.refer(seeker=seeker, vacancy=vacancy, by=officer)
    placement = employment.place(referral=referral, started_on=timezone.localdate(), monthly_wage=30000, by=officer)
    permit = employment.permit_prepare(person=seeker.person, employer=firm, placement=placement, monthly_wage=30000,
                                       by=officer)  # fmt: skip
    follow_up = placement.follow_ups.get(months=3)
    pages = [("livelihoods:employment-employer-detail", firm.pk),
             ("livelihoods:employment-vacancy-detail", vacancy.pk),
             ("livelihoods:employment-seeker-detail", seeker.pk),
             ("livelihoods:employment-placement-detail", placement.pk),
             ("livelihoods:employment-permit-detail", permit.pk)]  # fmt: skip
    forms = [("livelihoods:employment-vacancy-open", firm.pk, {"title": "X", "positions": 1, "monthly_wage": 30000}),
             ("livelihoods:employment-seeker-refer", seeker.pk, {"vacancy": vacancy.pk}),
             ("livelihoods:employment-referral-not-hired", referral.pk, {"reason": "x"}),
             ("livelihoods:employment-follow-up-record", follow_up.pk,
              {"done_on": "2026-01-01", "still_employed": "yes"}),
             ("livelihoods:employment-permit-submit", permit.pk, {"submitted_on": "2026-01-01"}),
             ("livelihoods:employment-permit-prepare", placement.pk, {"monthly_wage": 30000})]  # fmt: skip
    outsider = staff(Role.PROGRAMME_OFFICER, izmir, username="po.izm")
    client.force_login(outsider)
    for name, pk in pages:
        assert client.get(reverse(name, args=[pk])).status_code == 404, name
    for name, pk, data in forms:
        assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
    assert "Tailor" not in client.get(reverse("livelihoods:employment-seeker-list")).content.decode()
    viewer = staff(Role.VIEWER, istanbul, username="viewer.ist")
    client.force_login(viewer)
    for name, pk in pages:
        assert client.get(reverse(name, args=[pk])).status_code == 200, name
    for name, pk, data in forms:
        assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
    assert client.get(reverse("livelihoods:employment-seeker-create")).status_code == 404
    assert "Register a job seeker" not in client.get(reverse("livelihoods:employment-seeker-list")).content.decode()
    client.force_login(staff(Role.WAREHOUSE, istanbul, username="wh.ist"))
    assert client.get(reverse("livelihoods:employment-seeker-list")).status_code == 404
    assert client.get(reverse("livelihoods:employment-seeker-detail", args=[seeker.pk])).status_code == 404
    assert Vacancy.objects.count() == 1 and permit.state == "prepared"


def test_the_employment_lists_cost_the_same_few_queries_for_many_rows(
    client, istanbul, officer, django_assert_max_num_queries
):  # fmt: skip
    firm = employer(istanbul, officer, turkish=100)
    for number in range(4):
        seeker = employment.job_seeker_register(person=refugee(istanbul, name=f"Worker{number}"), skills="Packing",
                                                by=officer)  # fmt: skip
        vacancy = employment.vacancy_open(employer=firm, title=f"Packer {number}", monthly_wage=30000, by=officer)
        referral = employment.refer(seeker=seeker, vacancy=vacancy, by=officer)
        placement = employment.place(referral=referral, started_on=datetime.date(2026, 1, 5), monthly_wage=30000,
                                     by=officer)  # fmt: skip
        employment.permit_prepare(person=seeker.person, employer=firm, placement=placement, monthly_wage=30000,
                                  by=officer)  # fmt: skip
    client.force_login(officer)
    for name in ("livelihoods:employment-home", "livelihoods:employment-employer-list",
                 "livelihoods:employment-seeker-list", "livelihoods:employment-vacancy-list",
                 "livelihoods:employment-placement-list", "livelihoods:employment-follow-up-list",
                 "livelihoods:employment-permit-list"):  # fmt: skip
        with django_assert_max_num_queries(14):
            response = client.get(reverse(name))
        assert response.status_code == 200 and "Nothing to show" not in response.content.decode(), name
