"""Who sees which case and referral: counter-trafficking is protection-sensitive and kept to its programme; partner
users see only referrals addressed to their organisation."""

import pytest

from liman.cases import services
from liman.cases.models import Case, CaseNote, FollowUp, PartnerOrganisation, Referral
from liman.core.choices import Role
from liman.core.models import Programme
from tests.cases.builders import consent, open_case
from tests.factories import agreement, grant, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def trafficking(person, caseworker):
    case = open_case(person, "counter_trafficking", caseworker)
    services.case_note_add(case=case, kind="note", text="What happened", by=caseworker)
    return case


def test_a_trafficking_case_is_seen_by_the_offices_caseworkers_and_counter_trafficking_staff(istanbul, trafficking):
    office_wide = staff(Role.SUPERVISOR, istanbul)
    ct_only = staff(Role.CASEWORKER, istanbul, programme="counter_trafficking", username="ct.ist")
    for user in (office_wide, ct_only):
        assert list(Case.objects.visible_to(user)) == [trafficking]


def test_a_viewer_does_not_see_trafficking_cases(istanbul, trafficking):
    assert not Case.objects.visible_to(staff(Role.VIEWER, istanbul)).exists()


def test_other_roles_of_the_office_do_not_see_trafficking_cases(istanbul, trafficking):
    for role in (Role.ADMINISTRATOR, Role.HEALTH, Role.PROGRAMME_OFFICER, Role.REPORTING_OFFICER, Role.PARTNER):
        assert not Case.objects.visible_to(staff(role, istanbul)).exists(), role


def test_another_office_does_not_see_trafficking_cases(izmir, trafficking):
    assert not Case.objects.visible_to(staff(Role.CASEWORKER, izmir)).exists()


def test_caseworkers_of_another_programme_do_not_see_trafficking_cases(istanbul, trafficking):
    protection_only = staff(Role.CASEWORKER, istanbul, programme="protection", username="prot.ist")
    assert not Case.objects.visible_to(protection_only).exists()
    assert not CaseNote.objects.visible_to(protection_only).exists()


def test_what_hangs_off_a_case_follows_its_scope(istanbul, izmir, person, caseworker):
    case = open_case(person, "protection", caseworker)
    services.follow_up_schedule(case=case, due_on=case.opened_on, purpose="Call", by=caseworker)
    assert FollowUp.objects.visible_to(caseworker).count() == 1
    assert not FollowUp.objects.visible_to(staff(Role.CASEWORKER, izmir)).exists()
    assert not FollowUp.objects.visible_to(staff(Role.VIEWER, istanbul)).exists()  # protection-sensitive


def test_a_normal_avrr_case_is_seen_by_viewers(istanbul, person, caseworker):
    case = open_case(person, "avrr", caseworker)
    assert case.sensitivity == "normal"
    assert list(Case.objects.visible_to(staff(Role.VIEWER, istanbul))) == [case]


def test_opening_a_case_outside_ones_programme_is_refused(istanbul, person):
    from django.core.exceptions import ValidationError

    protection_only = staff(Role.CASEWORKER, istanbul, programme="protection", username="prot.ist")
    with pytest.raises(ValidationError, match="Your role does not cover Counter-trafficking cases"):
        services.case_open(person=person, type="counter_trafficking", by=protection_only)
    assert not Case.objects.exists()


# --- referrals ------------------------------------------------------------------------------------------------


@pytest.fixture
def partner_world(istanbul, person, caseworker):
    """Two partner organisations, a partner user in each, and a referral to the first one."""
    ours = services.partner_organisation_create(name="Harbour Legal Aid", kind="ngo", by=None)
    theirs = services.partner_organisation_create(name="Other Shelter", kind="ngo", by=None)
    agreement(ours), agreement(theirs)
    our_user, their_user = staff(Role.PARTNER, istanbul, username="p1"), staff(Role.PARTNER, istanbul, username="p2")
    services.partner_member_add(organisation=ours, user=our_user, by=None)
    services.partner_member_add(organisation=theirs, user=their_user, by=None)
    case = open_case(person, "counter_trafficking", caseworker)
    consent(person, "sharing_partner")
    referral = services.referral_send(case=case, to_partner=ours, shared_fields=["age", "sex"], by=caseworker)
    return referral, our_user, their_user


def test_a_partner_sees_only_referrals_addressed_to_their_organisation(partner_world):
    referral, our_user, their_user = partner_world
    assert list(Referral.objects.visible_to(our_user)) == [referral]
    assert not Referral.objects.visible_to(their_user).exists()


def test_a_partner_sees_no_case_and_no_person(partner_world):
    from liman.registry.models import Person

    _referral, our_user, _ = partner_world
    assert not Case.objects.visible_to(our_user).exists()
    assert not Person.objects.visible_to(our_user).exists()


def test_a_partner_without_the_partner_role_any_more_sees_nothing(partner_world):
    from liman.core.access import forget_grants

    referral, our_user, _ = partner_world
    our_user.role_grants.all().delete()
    forget_grants(our_user)
    grant(our_user, Role.VIEWER, referral.office)
    assert not Referral.objects.visible_to(our_user).exists()


def test_a_partner_user_must_hold_the_partner_role(istanbul):
    from django.core.exceptions import ValidationError

    organisation = PartnerOrganisation.objects.create(name="Shelter", kind="ngo")
    with pytest.raises(ValidationError, match="does not hold the partner role"):
        services.partner_member_add(organisation=organisation, user=staff(Role.CASEWORKER, istanbul), by=None)


def test_a_referral_is_seen_by_the_receiving_office_on_its_programme(istanbul, izmir, person, caseworker):
    case = open_case(person, "protection", caseworker)
    consent(person, "referral")
    avrr = Programme.objects.get(code="avrr")
    referral = services.referral_send(case=case, to_office=izmir, to_programme=avrr, by=caseworker)
    assert list(Referral.objects.received_by(staff(Role.CASEWORKER, izmir, programme="avrr"))) == [referral]
    assert not Referral.objects.visible_to(staff(Role.CASEWORKER, izmir, programme="protection", username="p.izm"))
    assert not Referral.objects.visible_to(staff(Role.VIEWER, izmir)).exists()  # protection-sensitive
    assert not Case.objects.visible_to(staff(Role.SUPERVISOR, izmir)).exists()  # not until accepted


def test_the_sending_office_keeps_seeing_its_referral(person, caseworker, izmir):
    case = open_case(person, "protection", caseworker)
    consent(person, "referral")
    referral = services.referral_send(case=case, kind="transfer", to_office=izmir, by=caseworker)
    assert list(Referral.objects.visible_to(caseworker)) == [referral]
    assert not Referral.objects.received_by(caseworker).exists()


def test_referrals_are_not_repeated_when_a_partner_has_many_users(istanbul, partner_world):
    referral, our_user, _ = partner_world
    for n in range(3):
        services.partner_member_add(
            organisation=referral.to_partner, user=staff(Role.PARTNER, istanbul, username=f"px{n}"), by=None
        )
    assert Referral.objects.visible_to(our_user).count() == 1
