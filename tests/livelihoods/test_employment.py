"""Employment: job seekers with the certificates they earned in activities, referrals and placements followed up at
3 and 6 months, and work permits the employer applies for — 6 months under temporary protection, the 10 % quota
(İŞKUR's exception), the province of registration, the minimum wage, the seasonal-agriculture exemption — each
state change with its history."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from liman.core.choices import Role
from liman.core.models import AdminArea, StateChange
from liman.livelihoods import employment
from liman.registry import services as registry
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(istanbul):
    return staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist")


def refugee(office, *, days_under_tp=400, name="Ahmad"):
    today = timezone.localdate()
    return registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=name, family_name="Halabi", sex="M", nationality="SYR",
                                  legal_status="temporary_protection",
                                  legal_status_since=today - datetime.timedelta(days=days_under_tp)),
        by=None,
    )  # fmt: skip


def employer(office, officer, *, turkish=20, exception=False, province=None):
    return employment.employer_add(
        office=office, name="Marmara Tekstil", province=province or office.province, sector="manufacturing",
        tax_number="1234567890", turkish_employees=turkish, quota_exception=exception, by=officer,
    )  # fmt: skip


def test_a_placement_has_its_follow_ups_at_3_and_6_months(istanbul, officer):
    seeker = employment.job_seeker_register(person=refugee(istanbul), skills="Overlock machinist", by=officer)
    vacancy = employment.vacancy_open(employer=employer(istanbul, officer), title="Machinist",
                                      monthly_wage=Decimal(30000), by=officer)  # fmt: skip
    referral = employment.refer(seeker=seeker, vacancy=vacancy, by=officer)
    with pytest.raises(ValidationError, match="already referred"):
        employment.refer(seeker=seeker, vacancy=vacancy, by=officer)
    placement = employment.place(referral=referral, started_on=datetime.date(2026, 11, 30), monthly_wage=30000,
                                 by=officer)  # fmt: skip
    assert [(f.months, f.due_on) for f in placement.follow_ups.order_by("months")] == [
        (3, datetime.date(2027, 2, 28)), (6, datetime.date(2027, 5, 30))]  # fmt: skip
    referral.refresh_from_db()
    assert referral.status == "placed"
    assert StateChange.objects.filter(to_state="placed", office=istanbul).exists()
    three = placement.follow_ups.get(months=3)
    employment.follow_up_record(follow_up=three, still_employed=True, note="Promoted to line lead", by=officer)
    three.refresh_from_db()
    assert three.still_employed and three.done_on == timezone.localdate()


def test_the_work_permit_rules(istanbul, officer, settings):
    settings.LIMAN_MINIMUM_WAGE = "26005.50"
    small = employer(istanbul, officer, turkish=19)  # 10 % of 19: one worker
    first = refugee(istanbul)
    permit = employment.permit_prepare(person=first, employer=small, monthly_wage=Decimal(27000), by=officer)
    with pytest.raises(ValidationError, match="quota .* is used up"):
        employment.permit_prepare(person=refugee(istanbul, name="Bilal"), employer=small, monthly_wage=27000,
                                  by=officer)  # fmt: skip
    # Seasonal agriculture: an exemption outside the quota.
    exemption = employment.permit_prepare(person=refugee(istanbul, name="Kamal"), employer=small, monthly_wage=27000,
                                          seasonal_agriculture=True, by=officer)  # fmt: skip
    assert exemption.kind == "seasonal_exemption"
    # İŞKUR found no citizen: no quota.
    employment.permit_prepare(person=refugee(istanbul, name="Samir"), monthly_wage=27000, by=officer,
                              employer=employer(istanbul, officer, turkish=0, exception=True))  # fmt: skip
    with pytest.raises(ValidationError, match="from"):
        employment.permit_prepare(person=refugee(istanbul, days_under_tp=100, name="Yeni"), monthly_wage=27000,
                                  employer=employer(istanbul, officer, turkish=100), by=officer)  # fmt: skip
    with pytest.raises(ValidationError, match="minimum wage"):
        employment.permit_prepare(person=refugee(istanbul, name="Low"), monthly_wage=20000,
                                  employer=employer(istanbul, officer, turkish=100), by=officer)  # fmt: skip
    # Registered in İstanbul (the household's district), the workplace in İzmir.
    mover = refugee(istanbul, name="Mover")
    registry.household_create(office=istanbul, head=mover, by=None,
                              district=AdminArea.objects.filter(parent__pcode="TUR034").first())  # fmt: skip
    izmir = AdminArea.objects.get(pcode="TUR035")
    with pytest.raises(ValidationError, match="registered in"):
        employment.permit_prepare(person=mover, monthly_wage=27000, by=officer,
                                  employer=employer(istanbul, officer, turkish=100, province=izmir))  # fmt: skip
    # The employer submits; the decision is recorded with its reference.
    with pytest.raises(ValidationError, match="submitted"):
        employment.permit_decide(permit=permit, granted=True, decided_on=timezone.localdate(), reference="X",
                                 by=officer)  # fmt: skip
    employment.permit_submit(permit=permit, submitted_on=timezone.localdate(), by=officer)
    with pytest.raises(ValidationError, match="reference"):
        employment.permit_decide(permit=permit, granted=True, decided_on=timezone.localdate(), by=officer)
    employment.permit_decide(permit=permit, granted=True, decided_on=timezone.localdate(), reference="ÇSGB-2026-1",
                             by=officer)  # fmt: skip
    permit.refresh_from_db()
    assert permit.state == "granted" and permit.decision_reference == "ÇSGB-2026-1"
    assert list(StateChange.objects.filter(workflow="livelihoods.workpermitapplication.state").order_by("id")
                .values_list("to_state", flat=True)) == ["submitted", "granted"]  # fmt: skip


def test_the_employment_page_lists_seekers_with_their_activity_certificates(client, istanbul, officer):
    from liman.activities import services as activities

    person = refugee(istanbul)
    employment.job_seeker_register(person=person, skills="Barista", languages="ar, tr (A2)", by=officer)
    today = timezone.localdate()
    course = activities.activity_create(office=istanbul, type="course", title="Barista course", starts_on=today,
                                        ends_on=today, by=officer)  # fmt: skip
    participant = activities.participant_add_person(activity=course, person=person, by=officer)
    session = activities.session_add(activity=course, held_on=today, by=officer)
    activities.attendance_take(session=session, present={participant.pk}, by=officer)
    activities.certificate_issue(participant=participant, by=officer)
    client.force_login(officer)
    seeker = person.job_seeker
    page = client.get(reverse("livelihoods:employment-seeker-detail", args=[seeker.pk])).content.decode()
    assert "Barista course" in page and "ar, tr (A2)" in page
    person_page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "Job seeker" in person_page and "Barista" in person_page
