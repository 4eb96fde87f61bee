"""Case pages as users see them: lists, the case page with its checklist, actions, follow-ups, referral inbox."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from liman.cases import services
from liman.cases.choices import AssessmentKind
from liman.cases.models import Case
from liman.core.choices import Role
from liman.core.models import AuditEvent
from liman.registry.sections import PERSON_SECTIONS
from tests.cases.builders import consent, days_ago, open_case, register, trafficking_identified
from tests.factories import agreement, staff

pytestmark = pytest.mark.django_db


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_case_list_shows_the_callers_cases_with_filters(client, istanbul, izmir, person, caseworker):
    protection = open_case(person, "protection", caseworker)
    avrr = open_case(person, "avrr", caseworker)
    open_case(register(izmir, first_name="Izmirli"), "protection", staff(Role.CASEWORKER, izmir))
    client.force_login(caseworker)
    body = page(client, reverse("cases:case-list"))
    assert protection.reference in body and avrr.reference in body and "Izmirli" not in body
    body = page(client, reverse("cases:case-list"), type="avrr", state="inquiry", owner="me")
    assert avrr.reference in body and protection.reference not in body


def test_case_list_costs_the_same_queries_for_many_cases(client, person, caseworker, django_assert_max_num_queries):
    client.force_login(caseworker)
    for _ in range(3):
        case = open_case(person, "protection", caseworker)
        services.follow_up_schedule(case=case, due_on=days_ago(1), purpose="Call", by=caseworker)
    # + 4: the one audit event that lists the protection-tier rows the page showed.
    with django_assert_max_num_queries(16) as few:
        page(client, reverse("cases:case-list"))
    for _ in range(20):
        open_case(person, "avrr", caseworker)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = page(client, reverse("cases:case-list"))
    assert "1 overdue" in body


def test_case_page_shows_the_person_the_state_and_the_next_steps_with_what_blocks_them(client, person, caseworker):
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    body = page(client, reverse("cases:case-detail", args=[case.reference]))
    assert "Amina Haddad" in body and "Open" in body
    assert "Mark assessed" in body and "Record the initial assessment first." in body
    assert "Close the case" in body


def test_case_page_costs_the_same_queries_whatever_it_holds(client, person, caseworker, django_assert_max_num_queries):
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    with django_assert_max_num_queries(60) as few:
        page(client, reverse("cases:case-detail", args=[case.reference]))
    for n in range(5):
        services.case_note_add(case=case, kind="note", text=f"Note {n}", by=caseworker)
        services.follow_up_schedule(case=case, due_on=days_ago(1), purpose=f"Call {n}", by=caseworker)
        services.planned_service_add(case=case, service_type="legal", by=caseworker)
        services.service_deliver(case=case, service_type="legal", by=caseworker)
        services.assessment_record(case=case, kind="initial", by=caseworker)
    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        page(client, reverse("cases:case-detail", args=[case.reference]))


def test_a_case_of_another_office_answers_404(client, izmir, person, caseworker):
    case = open_case(person, "protection", caseworker)
    client.force_login(staff(Role.SUPERVISOR, izmir))
    assert client.get(reverse("cases:case-detail", args=[case.reference])).status_code == 404
    assert client.post(reverse("cases:case-note-add", args=[case.reference]), {"text": "x"}).status_code == 404


def test_viewing_a_protection_case_is_audited(client, person, caseworker):
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    page(client, reverse("cases:case-detail", args=[case.reference]))
    assert AuditEvent.objects.filter(action="view", object_type="cases.case", object_id=str(case.pk)).count() == 1


def test_a_refused_step_says_why_on_the_page(client, person, caseworker):
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:case-transition", args=[case.reference]), {"to_state": "assessed"}, follow=True
    )
    assert "Record the initial assessment first." in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == "open"


def test_a_step_taken_from_the_page(client, person, caseworker):
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    client.post(
        reverse("cases:case-assessment-add", args=[case.reference]), {"kind": "initial", "findings": "Needs help"}
    )
    response = client.post(
        reverse("cases:case-transition", args=[case.reference]), {"to_state": "assessed"}, follow=True
    )
    assert "The case is now “Assessed”." in response.content.decode()
    body = page(client, reverse("cases:case-detail", args=[case.reference]))
    assert "Needs help" in body and caseworker.display_name in body


def test_closing_from_the_page_records_the_reason(client, person, caseworker):
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    data = {"to_state": "closed", "closure_reason": "lost_contact", "reason": "No answer for a month"}
    client.post(reverse("cases:case-transition", args=[case.reference]), data)
    case.refresh_from_db()
    assert (case.state, case.closure_reason) == ("closed", "lost_contact")
    assert "Lost contact: No answer for a month" in page(client, reverse("cases:case-detail", args=[case.reference]))


def test_bad_input_names_the_field(client, person, caseworker):
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:case-follow-up-add", args=[case.reference]),
        {"due_on": "31/02/2026", "purpose": "x"},
        follow=True,
    )
    assert "Due on: Enter a valid date." in response.content.decode()


def test_open_a_case_from_the_person_page(client, person, caseworker):
    client.force_login(caseworker)
    url = f"{reverse('cases:case-open')}?person={person.reference}"
    assert "Amina Haddad" in page(client, url)
    response = client.post(url, {"person": person.reference, "type": "avrr", "sensitivity": "normal"})
    case = Case.objects.get()
    assert response.url == reverse("cases:case-detail", args=[case.reference])
    assert (case.type, case.person, case.owner) == ("avrr", person, caseworker)


def test_opening_a_case_for_a_person_of_another_office_is_404(client, izmir, person):
    client.force_login(staff(Role.CASEWORKER, izmir))
    assert client.get(reverse("cases:case-open"), {"person": person.reference}).status_code == 404


def test_a_trafficking_case_page_shows_the_reflection_period(client, person, caseworker):
    case = trafficking_identified(person, by=caseworker, identified_on=days_ago(10))
    client.force_login(caseworker)
    body = page(client, reverse("cases:case-detail", args=[case.reference]))
    assert "runs until" in body and "20 days left." in body


def test_a_viewer_reads_a_normal_case_without_any_action(client, istanbul, person, caseworker):
    case = open_case(person, "avrr", caseworker)
    client.force_login(staff(Role.VIEWER, istanbul))
    body = page(client, reverse("cases:case-detail", args=[case.reference]))
    assert case.reference in body and "Next steps" not in body and "Add a note" not in body


def test_my_follow_ups_lists_what_is_overdue(client, person, caseworker):
    case = open_case(person, "protection", caseworker)
    services.follow_up_schedule(case=case, due_on=days_ago(4), purpose="Call about the hearing", by=caseworker)
    client.force_login(caseworker)
    body = page(client, reverse("cases:follow-up-list"), overdue="1")
    assert "Call about the hearing" in body and "4 days overdue" in body


def test_a_supervisor_sees_their_offices_follow_ups(client, person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    services.follow_up_schedule(case=case, due_on=days_ago(2), purpose="Home visit", by=caseworker)
    client.force_login(supervisor)
    assert "Home visit" not in page(client, reverse("cases:follow-up-list"))
    assert "Home visit" in page(client, reverse("cases:follow-up-list"), team="1", overdue="1")


def test_follow_up_list_costs_the_same_queries_for_many(client, person, caseworker, django_assert_max_num_queries):
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    services.follow_up_schedule(case=case, due_on=days_ago(1), purpose="Call", by=caseworker)
    # + 4: the one audit event that lists the protection-tier rows the page showed.
    with django_assert_max_num_queries(14) as few:
        page(client, reverse("cases:follow-up-list"))
    for n in range(15):
        services.follow_up_schedule(case=case, due_on=days_ago(1), purpose=f"Call {n}", by=caseworker)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page(client, reverse("cases:follow-up-list"))


# --- referrals ------------------------------------------------------------------------------------------------


@pytest.fixture
def partner_referral(istanbul, person, caseworker):
    organisation = services.partner_organisation_create(name="Harbour Legal Aid", kind="ngo", by=None)
    agreement(organisation)
    lawyer = staff(Role.PARTNER, istanbul, username="lawyer")
    services.partner_member_add(organisation=organisation, user=lawyer, by=None)
    case = open_case(person, "counter_trafficking", caseworker)
    services.case_note_add(case=case, kind="note", text="Secret story", by=caseworker)
    consent(person, "sharing_partner")
    referral = services.referral_send(
        case=case, to_partner=organisation, shared_fields=["sex", "age"], summary="Needs a lawyer", by=caseworker
    )
    return referral, lawyer


def test_a_partner_sees_only_what_was_shared(client, partner_referral, person):
    referral, lawyer = partner_referral
    client.force_login(lawyer)
    assert referral.reference in page(client, reverse("cases:referral-list"))
    body = page(client, reverse("cases:referral-detail", args=[referral.reference]))
    assert "Needs a lawyer" in body and "Female" in body
    for hidden in ("Amina", "Haddad", person.reference, referral.case.reference, "Secret story"):
        assert hidden not in body
    assert client.get(reverse("cases:case-detail", args=[referral.case.reference])).status_code == 404


def test_a_partner_accepts_a_referral_from_the_page(client, partner_referral):
    referral, lawyer = partner_referral
    client.force_login(lawyer)
    data = {"decision": "accept", "reason": "We call tomorrow"}
    response = client.post(reverse("cases:referral-answer", args=[referral.reference]), data, follow=True)
    assert "Referral accepted." in response.content.decode()
    referral.refresh_from_db()
    assert (referral.status, referral.response_reason) == ("accepted", "We call tomorrow")


def test_declining_on_the_page_needs_a_reason(client, partner_referral):
    referral, lawyer = partner_referral
    client.force_login(lawyer)
    response = client.post(
        reverse("cases:referral-answer", args=[referral.reference]), {"decision": "decline"}, follow=True
    )
    assert "Say why the referral is declined" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "pending"


def test_sending_a_referral_without_consent_says_what_is_missing(client, istanbul, person, caseworker):
    case = open_case(person, "protection", caseworker)
    organisation = services.partner_organisation_create(name="Shelter", kind="ngo", by=None)
    agreement(organisation)
    client.force_login(caseworker)
    data = {"kind": "referral", "to_partner": organisation.pk, "shared_fields": ["age"]}
    response = client.post(reverse("cases:case-referral-send", args=[case.reference]), data, follow=True)
    assert "has not consented to their details being shared" in response.content.decode()
    assert not case.referrals.exists()


def test_the_referral_inbox_costs_the_same_queries_for_many(
    client, istanbul, person, caseworker, django_assert_max_num_queries
):
    organisation = services.partner_organisation_create(name="Shelter", kind="ngo", by=None)
    agreement(organisation)
    lawyer = staff(Role.PARTNER, istanbul, username="lawyer")
    services.partner_member_add(organisation=organisation, user=lawyer, by=None)
    consent(person, "sharing_partner")
    case = open_case(person, "protection", caseworker)
    services.referral_send(case=case, to_partner=organisation, by=caseworker)
    client.force_login(lawyer)
    # + 4: the one audit event that lists the protection-tier rows the page showed.
    with django_assert_max_num_queries(16) as few:
        page(client, reverse("cases:referral-list"))
    for _ in range(10):
        services.referral_send(case=case, to_partner=organisation, by=caseworker)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page(client, reverse("cases:referral-list"))


# --- the person page section and navigation -------------------------------------------------------------------


def cases_section():
    [section] = [section for section in PERSON_SECTIONS if section.key == "cases"]
    return section


def test_the_person_page_lists_their_cases_and_links_to_open_one(rf, person, caseworker):
    case = open_case(person, "protection", caseworker)
    services.assessment_record(case=case, kind=AssessmentKind.INITIAL, by=caseworker)
    section = cases_section()
    html = render_to_string(section.template, section.context(caseworker, person), request=rf.get("/"))
    assert case.reference in html and f"/cases/new/?person={person.reference}" in html


def test_the_person_page_section_is_hidden_from_those_who_neither_see_nor_open_cases(istanbul, person, caseworker):
    open_case(person, "protection", caseworker)
    viewer = staff(Role.VIEWER, istanbul)
    assert cases_section().context(viewer, person) is None


def test_navigation_shows_cases_to_caseworkers_and_referrals_to_partners(client, istanbul, caseworker):
    client.force_login(caseworker)
    keys = [item["key"] for item in client.get(reverse("core:home")).context["nav_items"]]
    assert {"cases", "follow-ups", "referrals"} <= set(keys)
    client.force_login(staff(Role.PARTNER, istanbul))
    keys = [item["key"] for item in client.get(reverse("core:home")).context["nav_items"]]
    assert "referrals" in keys and "cases" not in keys


def test_a_supervisor_reassigns_from_the_page(client, istanbul, person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    colleague = staff(Role.CASEWORKER, istanbul, username="colleague.ist")
    client.force_login(supervisor)
    assert "colleague.ist" in page(client, reverse("cases:case-detail", args=[case.reference]))
    data = {"owner": "colleague.ist", "reason": "Speaks Dari"}
    response = client.post(reverse("cases:case-assign", args=[case.reference]), data, follow=True)
    assert "Case assigned to" in response.content.decode()
    assert Case.objects.get(pk=case.pk).owner == colleague


def test_a_case_cannot_be_given_to_someone_of_another_office(client, izmir, person, caseworker, supervisor):
    case = open_case(person, "protection", caseworker)
    staff(Role.CASEWORKER, izmir, username="far.izm")
    client.force_login(supervisor)
    response = client.post(reverse("cases:case-assign", args=[case.reference]), {"owner": "far.izm"}, follow=True)
    assert "far.izm cannot be given this case" in response.content.decode()
    assert Case.objects.get(pk=case.pk).owner == caseworker


def test_a_list_page_of_protection_cases_writes_one_audit_event_naming_them(client, person, caseworker):
    from liman.core.models import AuditEvent

    cases = [open_case(person, "protection", caseworker) for _ in range(3)]
    client.force_login(caseworker)
    page(client, reverse("cases:case-list"))
    [event] = AuditEvent.objects.filter(action="view", actor=caseworker, reason="list page")
    assert event.sensitivity == "protection"
    assert sorted(event.changes["returned"]) == sorted(case.reference for case in cases)


# --- the case page's forms, written when opened ---------------------------------------------------------------


def test_the_case_pages_forms_are_written_when_opened(client, istanbul, person, caseworker):
    """The page holds a link per form behind a closed <details> (fetched by htmx when it opens); the form comes from
    its own address, a fragment for htmx or a page without JavaScript, and posts where the page's form did."""
    case = trafficking_identified(person, by=caseworker, identified_on=days_ago(10))
    services.planned_service_add(case=case, service_type="legal", by=caseworker)
    services.partner_organisation_create(name="Harbour Legal Aid", kind="ngo", by=None)
    client.force_login(caseworker)
    body = page(client, reverse("cases:case-detail", args=[case.reference]))
    assert 'name="to_partner"' not in body and 'name="findings"' not in body and "Harbour Legal Aid" not in body
    assert 'name="goals"' in body and 'name="due_on"' in body  # a field or two: still written in the page
    for kind, action in (
        ("note", "cases:case-note-add"),
        ("assessment", "cases:case-assessment-add"),
        ("planned_service", "cases:case-planned-service-add"),
        ("delivery", "cases:case-service-deliver"),
        ("referral", "cases:case-referral-send"),
        ("facts", "cases:case-facts"),
    ):
        url = reverse("cases:case-form", args=[case.reference, kind])
        assert f'hx-get="{url}"' in body and f'href="{url}"' in body
        fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
        assert f'action="{reverse(action, args=[case.reference])}"' in fragment
        assert "<html" not in fragment and "csrfmiddlewaretoken" in fragment
        standalone = page(client, url)
        assert "<html" in standalone and f'action="{reverse(action, args=[case.reference])}"' in standalone
    assert "Harbour Legal Aid" in page(client, reverse("cases:case-form", args=[case.reference, "referral"]))
    delivery = page(client, reverse("cases:case-form", args=[case.reference, "delivery"]))
    assert f'<option value="{case.plan.services.get().pk}">{case.reference}: Legal' in delivery
    assert 'name="trafficking_details"' in page(client, reverse("cases:case-form", args=[case.reference, "facts"]))
    assert client.get(reverse("cases:case-form", args=[case.reference, "nothing"])).status_code == 404


def test_a_case_form_is_only_for_those_who_work_on_the_case(client, istanbul, person, caseworker):
    case = open_case(person, "avrr", caseworker)
    protection = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    # A protection case records no facts of its own (only trafficking and return cases do).
    assert client.get(reverse("cases:case-form", args=[protection.reference, "facts"])).status_code == 404
    assert client.get(reverse("cases:case-form", args=[case.reference, "facts"])).status_code == 200
    client.force_login(staff(Role.VIEWER, istanbul))
    assert "/forms/" not in page(client, reverse("cases:case-detail", args=[case.reference]))
    assert client.get(reverse("cases:case-form", args=[case.reference, "note"])).status_code == 404


def test_opening_a_form_of_a_protection_case_is_audited(client, person, caseworker):
    """The form shows what the case holds (its facts, its plan): reading it is a view of the case."""
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    page(client, reverse("cases:case-form", args=[case.reference, "delivery"]))
    assert AuditEvent.objects.filter(action="view", object_id=str(case.pk), reason="case form").count() == 1


def test_a_caseworker_of_another_office_meets_404_on_every_case_address(client, istanbul, izmir, person, caseworker):
    """Every route of a case (each form of its page included) answers 404 outside the case's scope."""
    from liman.cases import urls
    from liman.cases.views import CASE_FORMS

    case = trafficking_identified(person, by=caseworker, identified_on=days_ago(10))
    follow_up = services.follow_up_schedule(case=case, due_on=days_ago(1), purpose="Call", by=caseworker)
    client.force_login(staff(Role.SUPERVISOR, izmir, programme="counter_trafficking"))
    checked = 0
    for pattern in urls.urlpatterns:
        params = set(pattern.pattern.regex.groupindex)
        if not str(pattern.pattern).startswith("cases/<str:reference>/"):
            continue
        for kind in CASE_FORMS if "kind" in params else [None]:
            kwargs = {"reference": case.reference, **({"pk": follow_up.pk} if "pk" in params else {})}
            url = reverse(f"{urls.app_name}:{pattern.name}", kwargs={**kwargs, **({"kind": kind} if kind else {})})
            assert client.get(url).status_code in (404, 405), url
            assert client.post(url, {"text": "x", "reason": "x"}).status_code in (404, 405), url
            checked += 1
    assert checked > len(CASE_FORMS) + 10
    assert not case.notes.exists()
