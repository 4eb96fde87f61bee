"""Assignment, referrals and transfers, follow-ups: the services' rules and what they leave behind."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liman.cases import selectors, services
from liman.cases.models import Case, CaseAssignment
from liman.core.choices import Role
from liman.core.models import AuditEvent, Programme
from tests.cases.builders import consent, days_ago, open_case, register
from tests.factories import agreement, staff

pytestmark = pytest.mark.django_db


# --- assignment -----------------------------------------------------------------------------------------------


def test_whoever_opens_a_case_owns_it(person, caseworker):
    case = open_case(person, "protection", caseworker)
    assert case.owner == caseworker
    assert CaseAssignment.objects.get(case=case).owner == caseworker


def test_a_supervisor_reassigns_and_the_follow_ups_move_along(istanbul, person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    follow_up = services.follow_up_schedule(case=case, due_on=days_ago(1), purpose="Call", by=caseworker)
    colleague = staff(Role.CASEWORKER, istanbul, username="colleague.ist")
    services.case_assign(case=case, owner=colleague, by=supervisor, reason="Workload")
    follow_up.refresh_from_db()
    assert (Case.objects.get(pk=case.pk).owner, follow_up.assigned_to) == (colleague, colleague)
    last = case.assignments.last()
    assert (last.previous_owner, last.owner, last.assigned_by) == (caseworker, colleague, supervisor)
    assert last.reason == "Workload"


def test_a_caseworker_cannot_reassign_someone_elses_case(istanbul, person, caseworker):
    case = open_case(person, "protection", caseworker)
    other = staff(Role.CASEWORKER, istanbul, username="other.ist")
    with pytest.raises(PermissionDenied, match="Only a supervisor"):
        services.case_assign(case=case, owner=other, by=other)


def test_a_caseworker_may_take_an_unassigned_case(person, caseworker):
    case = open_case(person, "protection", None)
    services.case_assign(case=case, owner=caseworker, by=caseworker)
    assert Case.objects.get(pk=case.pk).owner == caseworker


def test_a_case_goes_only_to_someone_who_can_see_it(istanbul, person, caseworker, supervisor):
    case = open_case(person, "counter_trafficking", caseworker)
    protection_only = staff(Role.CASEWORKER, istanbul, programme="protection", username="prot.ist")
    with pytest.raises(ValidationError, match="does not work on Counter-trafficking cases in Istanbul"):
        services.case_assign(case=case, owner=protection_only, by=supervisor)


def test_a_supervisor_may_assign_only_to_those_who_cover_the_programme(istanbul, person, caseworker, supervisor):
    case = open_case(person, "counter_trafficking", caseworker)
    staff(Role.CASEWORKER, istanbul, programme="protection", username="prot.ist")
    ct = staff(Role.CASEWORKER, istanbul, programme="counter_trafficking", username="ct.ist")
    names = {user.username for user in selectors.assignable_owners(supervisor, case)}
    assert names == {caseworker.username, supervisor.username, ct.username}


# --- referrals and transfers ----------------------------------------------------------------------------------


@pytest.fixture
def partner(istanbul):
    organisation = services.partner_organisation_create(name="Harbour Legal Aid", kind="ngo", by=None)
    agreement(organisation)
    user = staff(Role.PARTNER, istanbul, username="lawyer")
    services.partner_member_add(organisation=organisation, user=user, by=None)
    return organisation, user


def test_a_referral_to_a_partner_needs_consent_to_share(person, caseworker, partner):
    case = open_case(person, "protection", caseworker)
    consent(person, "referral")  # the wrong purpose for a partner
    with pytest.raises(ValidationError) as raised:
        services.referral_send(case=case, to_partner=partner[0], by=caseworker)
    assert "“Sharing with a partner organisation”" in raised.value.message_dict["consent"][0]
    consent(person, "sharing_partner")
    assert services.referral_send(case=case, to_partner=partner[0], by=caseworker).status == "pending"


def test_a_referral_within_the_mission_needs_consent_to_be_referred(person, caseworker, izmir):
    case = open_case(person, "protection", caseworker)
    with pytest.raises(ValidationError) as raised:
        services.referral_send(case=case, kind="transfer", to_office=izmir, by=caseworker)
    assert raised.value.message_dict["consent"][0].startswith("The person has not consented to be referred")


def test_a_partner_gets_only_the_details_chosen(person, caseworker, partner):
    case = open_case(person, "protection", caseworker)
    consent(person, "sharing_partner")
    referral = services.referral_send(case=case, to_partner=partner[0], shared_fields=["sex", "age"], by=caseworker)
    assert set(referral.shared) == {"sex", "age"} and referral.shared["sex"] == "F"


def test_a_partner_declines_with_a_reason(person, caseworker, partner):
    case = open_case(person, "protection", caseworker)
    consent(person, "sharing_partner")
    referral = services.referral_send(case=case, to_partner=partner[0], by=caseworker)
    with pytest.raises(ValidationError, match="Say why the referral is declined"):
        services.referral_decline(referral=referral, by=partner[1], reason=" ")
    declined = services.referral_decline(referral=referral, by=partner[1], reason="No lawyer free this month")
    assert (declined.status, declined.response_reason, declined.responded_by) == (
        "declined",
        "No lawyer free this month",
        partner[1],
    )


def test_a_referral_is_answered_once(person, caseworker, partner):
    case = open_case(person, "protection", caseworker)
    consent(person, "sharing_partner")
    referral = services.referral_send(case=case, to_partner=partner[0], by=caseworker)
    services.referral_accept(referral=referral, by=partner[1])
    with pytest.raises(ValidationError, match="already answered: Accepted"):
        services.referral_decline(referral=referral, by=partner[1], reason="Too late")


def test_only_the_receiver_answers_a_referral(person, caseworker, partner):
    case = open_case(person, "protection", caseworker)
    consent(person, "sharing_partner")
    referral = services.referral_send(case=case, to_partner=partner[0], by=caseworker)
    with pytest.raises(PermissionDenied, match="addressed to can answer it"):
        services.referral_accept(referral=referral, by=caseworker)


def test_an_accepted_transfer_moves_the_case_to_the_receiving_office(person, caseworker, izmir):
    case = open_case(person, "protection", caseworker)
    consent(person, "referral")
    referral = services.referral_send(case=case, kind="transfer", to_office=izmir, by=caseworker)
    receiver = staff(Role.CASEWORKER, izmir)
    services.referral_accept(referral=referral, by=receiver, note="Welcome")
    case.refresh_from_db()
    assert (case.office, case.owner) == (izmir, receiver)
    assert list(Case.objects.visible_to(receiver)) == [case]
    assert not Case.objects.visible_to(caseworker).exists()


def test_a_transfer_goes_to_another_office(person, caseworker, istanbul):
    case = open_case(person, "protection", caseworker)
    consent(person, "referral")
    with pytest.raises(ValidationError, match="A transfer goes to another office"):
        services.referral_send(case=case, kind="transfer", to_office=istanbul, by=caseworker)


def test_a_second_transfer_waits_for_the_first_answer(person, caseworker, izmir):
    case = open_case(person, "protection", caseworker)
    consent(person, "referral")
    services.referral_send(case=case, kind="transfer", to_office=izmir, by=caseworker)
    with pytest.raises(ValidationError, match="already has a transfer waiting"):
        services.referral_send(case=case, kind="transfer", to_office=izmir, by=caseworker)


def test_an_accepted_referral_to_another_programme_opens_a_case_there(istanbul, person, caseworker):
    case = open_case(person, "protection", caseworker)
    consent(person, "referral")
    referral = services.referral_send(
        case=case, to_office=istanbul, to_programme=Programme.objects.get(code="avrr"), by=caseworker
    )
    receiver = staff(Role.CASEWORKER, istanbul, programme="avrr", username="avrr.ist")
    accepted = services.referral_accept(referral=referral, by=receiver)
    opened = accepted.resulting_case
    assert (opened.type, opened.person, opened.parent, opened.owner) == ("avrr", person, case, receiver)


def test_a_closed_case_cannot_be_referred(person, caseworker, izmir):
    case = open_case(person, "protection", caseworker)
    consent(person, "referral")
    services.case_transition(case=case, to_state="closed", closure_reason="goals_met", by=caseworker)
    with pytest.raises(ValidationError, match="re-open it first"):
        services.referral_send(case=case, kind="transfer", to_office=izmir, by=caseworker)


# --- follow-ups -----------------------------------------------------------------------------------------------


def test_overdue_follow_ups_per_caseworker(istanbul, person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    late = services.follow_up_schedule(case=case, due_on=days_ago(3), purpose="Call back", by=caseworker)
    services.follow_up_schedule(
        case=case, due_on=datetime.date.today() + datetime.timedelta(days=3), purpose="Visit", by=caseworker
    )
    done = services.follow_up_schedule(case=case, due_on=days_ago(5), purpose="Done", by=caseworker)
    services.follow_up_complete(follow_up=done, by=caseworker)
    assert list(selectors.follow_ups_for(caseworker, overdue_only=True)) == [late]
    assert selectors.follow_ups_for(caseworker).count() == 2
    assert late.days_overdue == 3 and late.is_overdue


def test_a_supervisor_sees_the_overdue_follow_ups_of_their_office_only(istanbul, izmir, person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    late = services.follow_up_schedule(case=case, due_on=days_ago(3), purpose="Call back", by=caseworker)
    izmir_worker = staff(Role.CASEWORKER, izmir)
    izmir_case = open_case(register(izmir, first_name="Leyla"), "protection", izmir_worker)
    services.follow_up_schedule(case=izmir_case, due_on=days_ago(3), purpose="Izmir call", by=izmir_worker)
    assert list(selectors.follow_ups_for(supervisor, team=True, overdue_only=True)) == [late]
    assert not selectors.follow_ups_for(supervisor, overdue_only=True).exists()  # none assigned to them


def test_a_follow_up_cannot_be_due_before_the_case_opened(person, caseworker):
    case = open_case(person, "protection", caseworker)
    with pytest.raises(ValidationError, match="cannot be due before the case opened"):
        services.follow_up_schedule(case=case, due_on=days_ago(1000), purpose="Call", by=caseworker)


def test_cancelling_a_follow_up_needs_a_reason(person, caseworker):
    case = open_case(person, "protection", caseworker)
    follow_up = services.follow_up_schedule(case=case, due_on=days_ago(1), purpose="Call", by=caseworker)
    with pytest.raises(ValidationError, match="Say why"):
        services.follow_up_cancel(follow_up=follow_up, by=caseworker, reason="")


# --- facts and audit ------------------------------------------------------------------------------------------


def test_facts_of_another_case_type_are_refused(person, caseworker):
    case = open_case(person, "protection", caseworker)
    with pytest.raises(ValidationError, match="do not belong to a Protection case: identified_on"):
        services.case_facts_update(case=case, by=caseworker, changes={"identified_on": days_ago(1)})


def test_an_unknown_exploitation_type_is_named(person, caseworker):
    case = open_case(person, "counter_trafficking", caseworker)
    with pytest.raises(ValidationError, match="Unknown type of exploitation: slavery"):
        services.case_facts_update(case=case, by=caseworker, changes={"exploitation_types": ["slavery"]})


def test_trafficking_details_are_encrypted_and_kept_out_of_the_audit_log(person, caseworker):
    from django.db import connection

    case = open_case(person, "counter_trafficking", caseworker)
    services.case_facts_update(case=case, by=caseworker, changes={"trafficking_details": "Held in a workshop"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT trafficking_details FROM cases_case WHERE id = %s", [case.pk])
        stored = cursor.fetchone()[0]
    assert "workshop" not in stored
    event = AuditEvent.objects.filter(object_type="cases.case", action="update").latest("seq")
    assert event.changes["trafficking_details"] == ["[encrypted]", "[encrypted]"]
