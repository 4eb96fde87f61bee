"""Activities: planning, sessions, participants registered or light, attendance and completion, certificates, QR
check-in, the MHPSS tier, training of trainers, equipment, and the history of every state change."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liman.activities import services
from liman.activities.models import Attendance, Participant, Session
from liman.core.choices import Role
from liman.core.models import AuditEvent, StateChange
from liman.core.workflows import TransitionRefused
from liman.registry import services as registry
from tests.activities.conftest import add_light
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_a_registered_person_brings_sex_age_and_population_group_from_the_registry(training, person, officer):
    participant = services.participant_add_person(activity=training, person=person, by=officer)
    assert (participant.sex, participant.age_group, participant.population_group) == ("F", "18_59", "syrian_tp")
    assert participant.number == 1 and participant.name == "Rania Haddad"
    assert participant.office_id == training.office_id
    assert participant.province_id == training.province_id and participant.activity_type == "training"
    with pytest.raises(ValidationError, match="already takes part"):
        services.participant_add_person(activity=training, person=person, by=officer)


def test_a_turkish_citizen_counts_as_host_community_and_others_as_other_foreigners(training, istanbul, officer):
    def register(nationality, status=""):
        return registry.person_register(
            office=istanbul,
            data=registry.PersonInput(first_name="A", family_name=nationality, sex="M", nationality=nationality,
                                      legal_status=status),
            by=None,
        )  # fmt: skip

    host = services.participant_add_person(activity=training, person=register("TUR"), by=officer)
    afghan = services.participant_add_person(
        activity=training, person=register("AFG", "international_protection_applicant"), by=officer
    )
    assert (host.population_group, afghan.population_group) == ("host_community", "other_foreigner")
    assert afghan.age_group == "unknown"


def test_a_light_record_for_an_official_needs_no_registration(training, officer):
    official = services.participant_add_light(
        activity=training, name="Cem Aydın", sex="M", age_group="18_59", population_group="host_community",
        institution="coast_guard", organisation="Ayvalık Sahil Güvenlik", position="Sergeant", by=officer,
    )  # fmt: skip
    assert official.person is None and official.nationality == "TUR" and official.is_official
    with pytest.raises(ValidationError, match="host-community"):
        services.participant_add_light(
            activity=training, name="X", sex="F", age_group="18_59", population_group="host_community",
            nationality="SYR", by=officer,
        )  # fmt: skip
    with pytest.raises(ValidationError, match="name"):
        services.participant_add_light(
            activity=training, name="  ", sex="F", age_group="18_59", population_group="syrian_tp", by=officer
        )


def test_attendance_counts_sessions_and_the_completion_rule_decides_the_certificate(training, officer, today):
    a, b = add_light(training, officer, 2)
    sessions = [
        services.session_add(activity=training, held_on=today - datetime.timedelta(days=days), by=officer)
        for days in (9, 5, 1, 0, 0)
    ]
    assert [s.number for s in sessions] == [1, 2, 3, 4, 5]
    for session in sessions[:4]:
        services.attendance_take(session=session, present={a.pk}, by=officer)
    services.attendance_take(session=sessions[4], present={a.pk, b.pk}, by=officer)
    a.refresh_from_db(), b.refresh_from_db()
    # 5 of 5 and 1 of 5 against a rule of 80 %.
    assert (a.sessions_attended, a.completed) == (5, True)
    assert (b.sessions_attended, b.completed) == (1, False)
    assert a.reached_on == sessions[0].held_on and a.reached_month == int(sessions[0].held_on.strftime("%Y%m"))
    assert b.reached_on == today
    assert Attendance.objects.filter(session__activity=training).count() == 10
    training.refresh_from_db()
    assert training.state == "ongoing"
    issued = services.certificate_issue(participant=a, by=officer)
    assert issued.certificate_number == f"{training.reference}-001" and issued.certificate_issued_on == today
    with pytest.raises(ValidationError, match="attended 1 of 5 sessions"):
        services.certificate_issue(participant=b, by=officer)
    # A sixth session lowers a's share to 5/6 (still ≥ 80 %), a seventh to 5/7 (no longer).
    services.session_add(activity=training, held_on=today, by=officer)
    a.refresh_from_db()
    assert a.completed
    services.session_add(activity=training, held_on=today, by=officer)
    a.refresh_from_db()
    assert not a.completed


def test_taking_attendance_again_replaces_the_list_and_is_audited(training, officer, today):
    a, b, c = add_light(training, officer, 3)
    session = services.session_add(activity=training, held_on=today, by=officer)
    services.attendance_take(session=session, present={a.pk, b.pk}, by=officer)
    services.attendance_take(session=session, present={b.pk, c.pk}, by=officer)
    marks = dict(Attendance.objects.filter(session=session).values_list("participant_id", "present"))
    assert marks == {a.pk: False, b.pk: True, c.pk: True}
    event = AuditEvent.objects.filter(object_type="activities.session").order_by("-seq").first()
    assert event.changes["present"] == [["1", "2"], ["2", "3"]]
    with pytest.raises(ValidationError, match="not participants"):
        services.attendance_take(session=session, present={999999}, by=officer)


def test_a_session_outside_the_activity_dates_is_refused(training, officer, today):
    with pytest.raises(ValidationError, match="between the activity's first and last day"):
        services.session_add(activity=training, held_on=today + datetime.timedelta(days=1), by=officer)


def test_qr_check_in_marks_one_participant_present(training, officer, today):
    a, b = add_light(training, officer, 2)
    session = services.session_add(activity=training, held_on=today, by=officer)
    assert Session.pk_from_token(session.check_in_token) == session.pk
    assert Session.pk_from_token(session.check_in_token[:-2] + "xx") is None
    row = services.attendance_check_in(session=session, participant=b, by=officer)
    assert row.present and row.via_qr
    b.refresh_from_db()
    assert b.sessions_attended == 1 and b.completed
    other = services.activity_create(
        office=training.office, type="workshop", title="Other", starts_on=today, ends_on=today, by=officer
    )
    stranger = add_light(other, officer, 1)[0]
    with pytest.raises(ValidationError, match="not a participant"):
        services.attendance_check_in(session=session, participant=stranger, by=officer)


def test_the_activity_workflow_and_its_history(training, officer, today):
    with pytest.raises(TransitionRefused, match="sessions first"):
        services.activity_start(activity=training, by=officer)
    services.session_add(activity=training, held_on=today, by=officer)
    services.activity_start(activity=training, by=officer)
    with pytest.raises(TransitionRefused, match="attendance"):
        services.activity_close(activity=training, by=officer)
    with pytest.raises(TransitionRefused, match="reason"):
        services.activity_cancel(activity=training, by=officer, reason="")
    services.activity_cancel(activity=training, by=officer, reason="Venue flooded")
    training.refresh_from_db()
    assert training.state == "cancelled"
    assert list(StateChange.objects.filter(workflow="activity").values_list("to_state", flat=True)) == [
        "ongoing",
        "cancelled",
    ]
    with pytest.raises(ValidationError, match="Cancelled"):
        add_light(training, officer, 1)


def test_only_staff_of_the_office_who_run_activities_write(training, izmir, istanbul, today):
    for outsider in (staff(Role.PROGRAMME_OFFICER, izmir, username="po.izm"),
                     staff(Role.VIEWER, istanbul, username="viewer.ist")):  # fmt: skip
        with pytest.raises(PermissionDenied):
            services.session_add(activity=training, held_on=today, by=outsider)
        with pytest.raises(PermissionDenied):
            add_light(training, outsider, 1)


def test_mhpss_participants_are_protection_tier(istanbul, today, person):
    caseworker = staff(Role.CASEWORKER, istanbul, username="cw.ist")
    officer = staff(Role.PROGRAMME_OFFICER, istanbul, username="po2.ist")
    group = services.activity_create(
        office=istanbul, type="mhpss_group", title="Group", starts_on=today, ends_on=today, by=caseworker
    )
    assert group.participants_tier == "protection" and group.is_protected
    participant = services.participant_add_person(activity=group, person=person, by=caseworker)
    session = services.session_add(activity=group, held_on=today, by=caseworker)
    services.attendance_take(session=session, present={participant.pk}, by=caseworker)
    assert participant.sensitivity == "protection"
    assert Attendance.objects.get().sensitivity == "protection"
    assert Participant.objects.visible_to(caseworker).count() == 1
    assert Participant.objects.visible_to(officer).count() == 0
    assert Attendance.objects.visible_to(officer).count() == 0
    # A programme officer, who does not read protection records, cannot run the group's attendance either.
    with pytest.raises(PermissionDenied, match="MHPSS"):
        services.attendance_take(session=session, present=set(), by=officer)
    # The audit event of the attendance carries the tier.
    assert AuditEvent.objects.filter(object_type="activities.session", sensitivity="protection").exists()


def test_training_of_trainers_needs_a_graduate(training, officer, today):
    a, b = add_light(training, officer, 2)
    session = services.session_add(activity=training, held_on=today, by=officer)
    services.attendance_take(session=session, present={a.pk}, by=officer)
    a.refresh_from_db(), b.refresh_from_db()
    cascade = services.activity_create(
        office=training.office, type="authorities_training", title="Cascade", starts_on=today, ends_on=today,
        trained_facilitator=a, by=officer,
    )  # fmt: skip
    assert cascade.trained_facilitator == a and list(a.facilitated.all()) == [cascade]
    with pytest.raises(ValidationError, match="not completed"):
        services.activity_create(
            office=training.office, type="training", title="No", starts_on=today, ends_on=today,
            trained_facilitator=b, by=officer,
        )  # fmt: skip


def test_equipment_handover_names_its_donor_project(training, officer, istanbul, today):
    line = services.equipment_handover_record(
        office=istanbul, institution="coast_guard", unit="Ayvalık station", item="Thermal blankets", quantity=40,
        donor_project="EU-HBM-2026-03", handed_over_on=today, activity=training, by=officer,
    )  # fmt: skip
    assert list(training.equipment.all()) == [line]
    with pytest.raises(ValidationError, match="donor project"):
        services.equipment_handover_record(
            office=istanbul, institution="pmm", unit="PMM", item="Laptop", quantity=1, donor_project=" ",
            handed_over_on=today, by=officer,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.equipment_handover_record(
            office=istanbul, institution="pmm", unit="PMM", item="Laptop", quantity=1, donor_project="P",
            handed_over_on=today, by=staff(Role.CASEWORKER, istanbul, username="cw2.ist"),
        )  # fmt: skip
