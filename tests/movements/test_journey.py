"""A family of five from UNHCR's referral to departure through the pages, with a medical hold later cleared,
as the resettlement supervisor and the health staff of the Istanbul office do it."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from liman.health.models import HealthAssessment
from liman.movements.choices import CaseState
from liman.movements.models import ExitPermission, Flight, OrientationCourse, ResettlementCase, SelectionMission
from tests.movements.pdf import pdf_text

pytestmark = pytest.mark.django_db


def day(offset: int = 0) -> str:
    return (timezone.localdate() + datetime.timedelta(days=offset)).isoformat()


def moment(delta: datetime.timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def state_of(case) -> str:
    return ResettlementCase.objects.get(pk=case.pk).state


def step(client, case, to_state: str, **extra):
    response = client.post(
        reverse("movements:resettlement-case-step", args=[case.reference]), {"to_state": to_state, **extra}
    )
    assert response.status_code == 302
    assert state_of(case) == to_state, [str(m) for m in response.wsgi_request._messages]


def test_a_family_of_five_goes_from_referral_to_departed(client, istanbul, family, worker, nurse):
    supervisor_client, nurse_client = client, type(client)()
    supervisor_client.force_login(worker)
    nurse_client.force_login(nurse)

    # Referral: open the case from the principal applicant's page; the household comes along.
    person_page = supervisor_client.get(
        reverse("registry:person-detail", args=[family.father.reference])
    ).content.decode()
    assert "Open a resettlement case" in person_page
    response = supervisor_client.post(
        reverse("movements:resettlement-case-open"),
        {"person": family.father.reference, "country": "CAN", "referred_on": day(), "with_household": "on"},
    )
    case = ResettlementCase.objects.get(principal=family.father)
    assert response.status_code == 302 and case.members.count() == 5

    # Selection mission, interview, decision.
    supervisor_client.post(
        reverse("movements:resettlement-mission-list"),
        {"office": istanbul.pk, "country": "CAN", "starts_on": day(), "ends_on": day(3), "place": "Hotel, Şişli",
         "interviewers": "Officer Tremblay", "interpreters": "Hasan Aydın"},
    )  # fmt: skip
    mission = SelectionMission.objects.get()
    supervisor_client.post(
        reverse("movements:resettlement-mission-detail", args=[mission.reference]),
        {"kind": "slot", "case": case.reference, "starts_at": moment(datetime.timedelta(hours=1)), "room": "2"},
    )
    assert state_of(case) == CaseState.INTERVIEW_SCHEDULED
    slot = mission.slots.get()
    supervisor_client.post(
        reverse("movements:resettlement-mission-detail", args=[mission.reference]),
        {"kind": "outcome", "slot": slot.pk, "outcome": "attended"},
    )
    assert state_of(case) == CaseState.INTERVIEWED
    supervisor_client.post(
        reverse("movements:resettlement-case-decision", args=[case.reference]),
        {"decision": "accepted", "decided_on": day()},
    )
    assert state_of(case) == CaseState.ACCEPTED

    # Health: the step asks health staff for five assessments; the son is put on medical hold first.
    step(supervisor_client, case, CaseState.HEALTH_ASSESSMENT)
    assessments = {a.person_id: a for a in HealthAssessment.objects.filter(person__in=family.people)}
    assert len(assessments) == 5
    findings = {
        "action": "findings",
        "assessed_on": day(),
        "examination": "Normal.",
        "chest_xray": "normal",
        "sputum_smear": "not_done",
        "sputum_culture": "not_done",
        "tb_class": "none",
        "fit_to_travel": "true",
    }
    for person in family.people:
        url = reverse("health:health-assessment-detail", args=[assessments[person.pk].reference])
        nurse_client.post(url, findings)
        if person == family.son:
            nurse_client.post(url, {"action": "hold", "reason": "Suspected measles: isolate and treat."})
        else:
            assert nurse_client.post(url, {"action": "clear", "valid_until": day(180)}).status_code == 302
    checklist = supervisor_client.get(
        reverse("movements:resettlement-case-detail", args=[case.reference])
    ).content.decode()
    assert "Not medically cleared (or the clearance has expired): Omar Haddad." in checklist
    assert "measles" not in checklist
    step(supervisor_client, case, CaseState.MEDICAL_HOLD)
    son_url = reverse("health:health-assessment-detail", args=[assessments[family.son.pk].reference])
    nurse_client.post(son_url, {**findings, "examination": "Recovered."})
    nurse_client.post(son_url, {"action": "clear", "valid_until": day(120)})
    step(supervisor_client, case, CaseState.MEDICALLY_CLEARED)

    # Cultural orientation: Canada's course is for ages 13 and over (father, mother, daughter).
    course = OrientationCourse.objects.get(country="CAN")
    supervisor_client.post(
        reverse("movements:resettlement-session-list"),
        {"office": istanbul.pk, "course": course.pk, "starts_on": day(), "ends_on": day(2), "place": "IOM Istanbul"},
    )
    session = course.sessions.get()
    for person in (family.father, family.mother, family.daughter):
        supervisor_client.post(
            reverse("movements:resettlement-session-detail", args=[session.reference]),
            {"person": person.reference, "hours_attended": "15"},
        )
    step(supervisor_client, case, CaseState.ORIENTATION_DONE)

    # Visas, exit permissions, ready for departure.
    documents = reverse("movements:resettlement-case-document", args=[case.reference])
    for person in family.people:
        supervisor_client.post(
            documents, {"kind": "visa", "person": person.pk, "issued_on": day(), "valid_until": day(90)}
        )
    step(supervisor_client, case, CaseState.VISA_ISSUED)
    for person in family.people:
        supervisor_client.post(documents, {"kind": "exit_request", "person": person.pk, "requested_on": day()})
    step(supervisor_client, case, CaseState.EXIT_PERMISSION_REQUESTED)
    for permission in ExitPermission.objects.filter(case=case):
        supervisor_client.post(
            documents, {"kind": "exit_grant", "permission": permission.pk, "granted_on": day(), "valid_until": day(30)}
        )
    step(supervisor_client, case, CaseState.EXIT_PERMISSION_GRANTED)
    step(supervisor_client, case, CaseState.READY_FOR_DEPARTURE)

    # A flight two days out; fit-to-fly checks; booking.
    supervisor_client.post(
        reverse("movements:movements-flight-list"),
        {"office": istanbul.pk, "destination_country": "CAN", "carrier": "Turkish Airlines", "flight_number": "TK 17",
         "origin": "IST", "destination": "YYZ", "departs_at": moment(datetime.timedelta(days=2)),
         "arrives_at": moment(datetime.timedelta(days=2, hours=11))},
    )  # fmt: skip
    flight = Flight.objects.get()
    booking = {"flight": flight.reference, "travellers": [person.pk for person in family.people]}
    refused = supervisor_client.post(reverse("movements:resettlement-case-book", args=[case.reference]), booking)
    assert refused.status_code == 400
    assert "Ahmad Haddad has no fit-to-fly check in the 72 hours before departure" in refused.content.decode()
    for person in family.people:
        nurse_client.post(reverse("health:health-fit-to-fly-record", args=[person.reference]), {"is_fit": "yes"})
    supervisor_client.post(reverse("movements:resettlement-case-book", args=[case.reference]), booking)
    assert state_of(case) == CaseState.BOOKED
    step(supervisor_client, case, CaseState.FIT_TO_FLY_CHECKED)

    # Manifests count the five booked.
    pdf = supervisor_client.get(reverse("movements:movements-manifest-pdf", args=[flight.reference]))
    assert pdf["Content-Type"] == "application/pdf" and "Travellers booked: 5" in pdf_text(pdf.content)
    xlsx = supervisor_client.get(reverse("movements:movements-manifest-xlsx", args=[flight.reference]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [row for row in sheet.iter_rows(values_only=True) if row[0] == "Travellers booked"][0][1] == 5

    # The flight leaves: the case has departed.
    supervisor_client.post(reverse("movements:movements-flight-detail", args=[flight.reference]), {"kind": "departure"})
    assert state_of(case) == CaseState.DEPARTED
    history = supervisor_client.get(
        reverse("movements:resettlement-case-detail", args=[case.reference])
    ).content.decode()
    assert re.search(r"Medical hold", history) and "Departed" in history
