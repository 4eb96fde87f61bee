"""The registry pages as a caseworker, a supervisor and a viewer use them: search first, register, the person page,
the household page; everything scoped to the user's offices."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liman.core.choices import AuditAction, Role, Sensitivity
from liman.core.models import AuditEvent
from liman.registry import sections
from liman.registry import services as registry
from liman.registry.choices import WG_DOMAINS, DatePrecision, IdentifierType, LegalStatusType, Relationship
from liman.registry.identifiers import ykn_with_checksum
from liman.registry.models import Consent, Household, HouseholdMember, Identifier, LegalStatus, Person
from tests.factories import grant, staff

pytestmark = pytest.mark.django_db

GOOD_YKN = ykn_with_checksum("991234567")
BAD_CHECK_YKN = GOOD_YKN[:-1] + str((int(GOOD_YKN[-1]) + 1) % 10)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def register(office, first="Omar", family="Haddad", **extra) -> Person:
    extra = {"sex": "M", "nationality": "SYR", **extra}
    data = registry.PersonInput(first_name=first, family_name=family, **extra)
    return registry.person_register(office=office, data=data, by=None)


def registration_post(**overrides) -> dict:
    data = {
        "search-name": "Rania Haddad",
        "first_name": "Rania",
        "family_name": "Haddad",
        "sex": "F",
        "birth_date": "1990-05-17",
        "nationality": "SYR",
        "languages": "ar, ku",
        "phone": "0532 111 22 33",
        "legal_status": LegalStatusType.TEMPORARY_PROTECTION,
        "identifier-0-type": IdentifierType.FOREIGNER_ID,
        "identifier-0-value": GOOD_YKN,
        "household": "new",
        "legal_basis": "consent",
        "consent_given": "on",
        "confirmed_new": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_errors(html: str, name: str) -> str:
    """The field's own block on the page (label, input, help, errors), up to the next field."""
    start = html.find(f'id="field-{name}"')
    assert start != -1, f"no field {name} on the page"
    end = html.find('id="field-', start + 1)
    return html[start : end if end != -1 else len(html)]


@pytest.fixture
def caseworker(istanbul):
    return staff(Role.CASEWORKER, istanbul)


@pytest.fixture
def viewer(istanbul):
    return staff(Role.VIEWER, istanbul)


# --- search first -----------------------------------------------------------------------------------------------


def test_the_search_page_offers_no_registration_before_a_search(client, caseworker):
    client.force_login(caseworker)
    html = client.get(reverse("registry:person-search")).content.decode()
    assert 'name="identifier"' in html and 'name="born"' in html
    assert reverse("registry:person-create") not in html


def test_before_a_search_the_page_lists_the_people_the_user_registered_lately(client, istanbul, caseworker):
    client.force_login(caseworker)
    client.post(reverse("registry:person-create"), registration_post())
    register(istanbul, first="Someone", family="Else")
    html = client.get(reverse("registry:person-search")).content.decode()
    assert "Rania Haddad" in html and "Someone Else" not in html


def test_a_name_search_lists_likely_matches_and_offers_registration(client, istanbul, caseworker):
    register(istanbul, first="Omar", family="Haddad")
    register(istanbul, first="Leyla", family="Karimi")
    client.force_login(caseworker)
    html = client.get(reverse("registry:person-search"), {"name": "Haddad"}).content.decode()
    assert "Omar Haddad" in html and "Leyla Karimi" not in html
    assert f"{reverse('registry:person-create')}?name=Haddad" in html


def test_an_identifier_search_finds_the_person_with_the_reason(client, istanbul, caseworker):
    omar = register(istanbul, identifiers=[registry.IdentifierInput(IdentifierType.FOREIGNER_ID, GOOD_YKN)])
    register(istanbul, first="Leyla", family="Haddad")
    client.force_login(caseworker)
    response = client.get(reverse("registry:person-search"), {"identifier": f" {GOOD_YKN[:5]} {GOOD_YKN[5:]} "})
    matches = response.context["matches"]
    assert [match.person for match in matches] == [omar]
    assert matches[0].score == 1.0 and matches[0].reasons
    assert '<td class="reasons"><span class="tag">' in response.content.decode()


def test_a_phone_search_in_local_form_finds_the_e164_number(client, istanbul, caseworker):
    omar = register(istanbul, phone="+905321112233")
    client.force_login(caseworker)
    response = client.get(reverse("registry:person-search"), {"phone": "0532 111 22 33"})
    assert [match.person for match in response.context["matches"]] == [omar]


def test_a_search_with_a_bad_phone_says_what_is_wrong(client, caseworker):
    client.force_login(caseworker)
    html = client.get(reverse("registry:person-search"), {"phone": "12"}).content.decode()
    assert "is not a phone number" in field_errors(html, "phone")
    assert reverse("registry:person-create") not in html


def test_a_viewer_searches_but_is_not_offered_registration(client, istanbul, viewer):
    register(istanbul)
    client.force_login(viewer)
    response = client.get(reverse("registry:person-search"), {"name": "Haddad"})
    assert len(response.context["matches"]) == 1
    assert reverse("registry:person-create") not in response.content.decode()


def test_the_search_never_shows_another_offices_people(client, istanbul, izmir, caseworker):
    register(izmir, first="Canary", family="Haddad", identifiers=[registry.IdentifierInput("passport", "U7654321")])
    client.force_login(caseworker)
    for terms in ({"name": "Haddad"}, {"identifier": "U7654321"}):
        assert client.get(reverse("registry:person-search"), terms).context["matches"] == []


def test_search_results_cost_the_same_queries_for_many_people(
    client, istanbul, caseworker, django_assert_max_num_queries
):
    for n in range(30):
        person = register(istanbul, first=f"Person{n}", legal_status=LegalStatusType.TEMPORARY_PROTECTION)
        registry.household_create(office=istanbul, head=person, by=None)
    client.force_login(caseworker)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("registry:person-search"), {"name": "Haddad"})
    assert response.content.decode().count("Temporary protection") == 20


# --- registration -----------------------------------------------------------------------------------------------


def test_a_viewer_cannot_register(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("registry:person-create"), {"name": "Haddad"}).status_code == 404
    assert client.post(reverse("registry:person-create"), registration_post()).status_code == 404
    assert not Person.objects.exists()


def test_registration_starts_with_a_search(client, caseworker):
    client.force_login(caseworker)
    response = client.get(reverse("registry:person-create"))
    assert response.status_code == 302 and response["Location"] == reverse("registry:person-search")


def test_the_registration_page_shows_the_matches_again_with_the_terms_carried_over(client, istanbul, caseworker):
    omar = register(istanbul, first="Omar", family="Haddad")
    client.force_login(caseworker)
    response = client.get(reverse("registry:person-create"), {"name": "Haddad", "phone": "0532 111 22 33"})
    html = response.content.decode()
    assert [match.person for match in response.context["matches"]] == [omar]
    assert reverse("registry:person-detail", args=[omar.reference]) in html
    assert 'name="search-name" value="Haddad"' in html and 'name="family_name" value="Haddad"' in html
    assert 'name="phone" value="+905321112233"' in html
    assert 'name="confirmed_new"' in html


def test_the_registration_form_starts_from_the_name_searched(client, caseworker):
    client.force_login(caseworker)
    html = client.get(
        reverse("registry:person-create"), {"name": "Rania Khalil Haddad", "born": "1990"}
    ).content.decode()
    assert 'name="first_name" value="Rania"' in html and 'name="father_name" value="Khalil"' in html
    assert 'name="family_name" value="Haddad"' in html
    assert 'name="birth_date" value="1990"' in html


def test_registration_records_the_person_status_identifier_household_and_consent(client, istanbul, caseworker):
    client.force_login(caseworker)
    response = client.post(reverse("registry:person-create"), registration_post(), follow=True)
    person = Person.objects.get()
    assert response.redirect_chain[-1][0] == reverse("registry:person-detail", args=[person.reference])
    assert (person.full_name, person.phone, person.languages) == ("Rania Haddad", "+905321112233", ["ar", "ku"])
    assert person.office == istanbul and person.created_by == caseworker
    assert person.legal_statuses.get().status == LegalStatusType.TEMPORARY_PROTECTION
    assert person.identifiers.get().value == GOOD_YKN
    assert person.membership.relationship == Relationship.HEAD and person.headed_households.get().head == person
    consent = Consent.objects.get(person=person)
    assert (consent.purpose, consent.legal_basis, consent.taken_by) == ("registration", "consent", caseworker)
    assert "is registered as" in response.content.decode()


def test_registration_with_a_bad_phone_shows_the_error_next_to_the_field_and_writes_nothing(
    client, istanbul, caseworker
):
    client.force_login(caseworker)
    audit_before = AuditEvent.objects.count()
    response = client.post(reverse("registry:person-create"), registration_post(phone="0532 11"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "“0532 11” is not a phone number" in field_errors(html, "phone")
    assert "Nothing was saved" in html
    assert not Person.objects.exists() and not Household.objects.exists() and not Consent.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_a_ykn_with_bad_check_digits_saves_with_a_warning_shown(client, istanbul, caseworker):
    client.force_login(caseworker)
    post = registration_post(**{"identifier-0-value": BAD_CHECK_YKN})
    response = client.post(reverse("registry:person-create"), post, follow=True)
    identifier = Identifier.objects.get()
    assert identifier.value == BAD_CHECK_YKN and "check digits" in identifier.warning
    html = response.content.decode()
    assert "check digits do not match" in html
    assert html.count("check digits do not match") >= 2, "the warning shows as a message and beside the identifier"


def test_a_ykn_in_the_wrong_format_blocks_registration(client, istanbul, caseworker):
    client.force_login(caseworker)
    response = client.post(
        reverse("registry:person-create"), registration_post(**{"identifier-0-value": "12345678901"})
    )
    assert "starts with 99" in field_errors(response.content.decode(), "identifier-0-value")
    assert not Person.objects.exists()


def test_registration_needs_consent_ticked_or_another_legal_basis(client, istanbul, caseworker):
    client.force_login(caseworker)
    response = client.post(reverse("registry:person-create"), registration_post(consent_given=None))
    assert "Tick the consent box" in field_errors(response.content.decode(), "consent_given")
    assert not Person.objects.exists()
    client.post(reverse("registry:person-create"), registration_post(consent_given=None, legal_basis="vital_interest"))
    assert Consent.objects.get().legal_basis == "vital_interest"


def test_registration_with_likely_matches_needs_the_registrar_to_confirm(client, istanbul, caseworker):
    register(istanbul, first="Rania", family="Haddad")
    client.force_login(caseworker)
    searched = {"search-name": "Haddad"}
    response = client.post(reverse("registry:person-create"), registration_post(confirmed_new=None, **searched))
    assert "Check the possible matches first" in field_errors(response.content.decode(), "confirmed_new")
    assert Person.objects.count() == 1
    client.post(reverse("registry:person-create"), registration_post(**searched))
    assert Person.objects.count() == 2


def test_registration_joins_an_existing_household_with_a_relationship(client, istanbul, caseworker):
    head = register(istanbul, first="Omar", family="Karimi")
    household = registry.household_create(office=istanbul, head=head, by=None)
    client.force_login(caseworker)
    post = registration_post(household="join", household_reference=household.reference.lower(), relationship="spouse")
    client.post(reverse("registry:person-create"), post)
    rania = Person.objects.get(first_name="Rania")
    assert rania.membership.household == household and rania.membership.relationship == Relationship.SPOUSE


def test_joining_a_household_of_another_office_is_refused(client, istanbul, izmir, caseworker):
    elsewhere = registry.household_create(office=izmir, head=register(izmir, family="Karimi"), by=None)
    client.force_login(caseworker)
    post = registration_post(household="join", household_reference=elsewhere.reference, relationship="spouse")
    response = client.post(reverse("registry:person-create"), post)
    assert "No household" in field_errors(response.content.decode(), "household_reference")
    assert not Person.objects.filter(first_name="Rania").exists()


@pytest.mark.parametrize(
    ("typed", "stored", "precision"),
    [("1990", "1990-01-01", DatePrecision.YEAR), ("1990-05", "1990-05-01", DatePrecision.MONTH)],
)
def test_a_date_of_birth_known_to_the_year_or_month_keeps_its_precision(
    client, istanbul, caseworker, typed, stored, precision
):
    client.force_login(caseworker)
    client.post(reverse("registry:person-create"), registration_post(birth_date=typed))
    person = Person.objects.get()
    assert (person.birth_date.isoformat(), person.birth_date_precision) == (stored, precision)
    assert person.birth_date_display == typed


def test_a_registrar_of_two_offices_chooses_among_them_only(client, istanbul, izmir):
    user = staff(Role.CASEWORKER, istanbul)
    grant(user, Role.SUPERVISOR, izmir)
    edirne_office = type(istanbul).objects.create(code="EDR", name="Edirne", type="mobile", province=istanbul.province)
    grant(user, Role.VIEWER, edirne_office)
    client.force_login(user)
    html = client.get(reverse("registry:person-create"), {"name": "Rania"}).content.decode()
    assert "Izmir Field Office" in html and "Edirne" not in html
    client.post(reverse("registry:person-create"), registration_post(office=edirne_office.pk))
    assert not Person.objects.exists()
    client.post(reverse("registry:person-create"), registration_post(office=izmir.pk))
    assert Person.objects.get().office == izmir


# --- the person page --------------------------------------------------------------------------------------------


def full_person(office, *, members: int = 1, identifiers: int = 1, sensitivity: str = Sensitivity.NORMAL) -> Person:
    head = register(
        office,
        legal_status=LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT,
        identifiers=[registry.IdentifierInput("passport", f"P{n:07d}") for n in range(identifiers)],
        phone="+905321112233",
        languages=["ar"],
    )
    if sensitivity != Sensitivity.NORMAL:
        registry.person_update(person=head, changes={"sensitivity": sensitivity}, by=None)
    household = registry.household_create(office=office, head=head, by=None)
    for n in range(members - 1):
        registry.household_add_member(
            household=household, person=register(office, first=f"Child{n}"), relationship="child", by=None
        )
    registry.legal_status_add(person=head, status=LegalStatusType.CONDITIONAL_REFUGEE, started_on=None, by=None)
    registry.disability_assess(person=head, answers={**dict.fromkeys(WG_DOMAINS, 1), "walking": 3}, by=None)
    registry.vulnerability_add(person=head, type="single_parent", by=None)
    registry.consent_record(person=head, purpose="registration", legal_basis="consent", by=None)
    registry.attachment_add(person=head, kind="identity_document", upload=SimpleUploadedFile("id.pdf", PDF), by=None)
    return head


def test_the_person_page_shows_everything_the_registry_holds(client, istanbul, caseworker):
    person = full_person(istanbul, members=2)
    client.force_login(caseworker)
    html = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    for text in (
        "Omar Haddad",
        "Syria",
        "Arabic",
        "···233",
        "Conditional refugee",
        "International protection applicant",
        "Child0 Haddad",
        "Single parent",
        "Disability",
        "Registration and case management",
        "id.pdf",
        "···000",
    ):
        assert text in html, text
    assert "P0000000" not in html, "identifiers are masked until shown"
    assert "+905321112233" not in html, "the phone is masked until shown"
    assert reverse("registry:household-detail", args=[person.membership.household.reference]) in html


def test_showing_an_identifier_reveals_it_and_writes_an_audit_view(client, istanbul, viewer):
    person = full_person(istanbul)
    identifier = person.identifiers.get()
    client.force_login(viewer)
    url = reverse("registry:person-identifier-reveal", args=[person.reference, identifier.pk])
    fragment = client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert "P0000000" in fragment and "<html" not in fragment
    page = client.post(url).content.decode()
    assert "P0000000" in page and "Omar Haddad" in page
    shown = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="registry.identifier")
    assert shown.count() == 2 and {event.actor for event in shown} == {viewer}


def test_viewing_a_protection_sensitive_person_writes_an_audit_view(client, istanbul, caseworker):
    sensitive = full_person(istanbul, sensitivity=Sensitivity.PROTECTION)
    ordinary = register(istanbul, first="Leyla")
    client.force_login(caseworker)
    client.get(reverse("registry:person-detail", args=[sensitive.reference]))
    client.get(reverse("registry:person-detail", args=[ordinary.reference]))
    views = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="registry.person")
    assert [event.object_id for event in views] == [str(sensitive.pk)]


def test_a_viewer_does_not_see_a_protection_sensitive_person(client, istanbul, viewer):
    sensitive = full_person(istanbul, sensitivity=Sensitivity.PROTECTION)
    client.force_login(viewer)
    assert client.get(reverse("registry:person-detail", args=[sensitive.reference])).status_code == 404


def test_a_viewer_sees_the_person_read_only_and_cannot_change_them(client, istanbul, viewer):
    person = full_person(istanbul)
    client.force_login(viewer)
    html = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "Read only" in html and reverse("registry:person-edit", args=[person.reference]) not in html
    assert reverse("registry:person-legal-status-add", args=[person.reference]) not in html
    post = {"status": LegalStatusType.REFUGEE}
    assert client.post(reverse("registry:person-legal-status-add", args=[person.reference]), post).status_code == 404
    assert client.get(reverse("registry:person-edit", args=[person.reference])).status_code == 404
    assert person.legal_statuses.count() == 2


def test_a_caseworker_of_another_office_meets_404_on_every_registry_page(client, istanbul, izmir):
    person = full_person(istanbul)
    household = person.membership.household
    outsider = staff(Role.CASEWORKER, izmir)
    grant(outsider, Role.SUPERVISOR, izmir)
    client.force_login(outsider)
    ids = {
        "identifiers": person.identifiers.get().pk,
        "vulnerabilities": person.vulnerabilities.get().pk,
        "consents": person.consents.get().pk,
        "attachments": person.attachments.get().pk,
        "members": person.membership.pk,
    }
    from liman.registry import urls

    checked = 0
    for pattern in urls.urlpatterns:
        params = set(pattern.pattern.regex.groupindex)
        if "reference" not in params:
            continue
        reference = household.reference if str(pattern.pattern).startswith("households") else person.reference
        kwargs = {"reference": reference}
        if "pk" in params:
            kwargs["pk"] = next(pk for segment, pk in ids.items() if f"/{segment}/" in str(pattern.pattern))
        if "kind" in params:
            kwargs["kind"] = "consent"
        url = reverse(f"{urls.app_name}:{pattern.name}", kwargs=kwargs)
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"relationship": "child", "person": person.reference}).status_code == 404, url
        checked += 1
    assert checked >= 15
    assert person.legal_statuses.count() == 2 and person.identifiers.count() == 1


def test_the_person_page_costs_the_same_queries_for_a_large_household(client, istanbul, caseworker):
    small = full_person(istanbul, members=1, identifiers=1)
    large = full_person(izmir_like(istanbul), members=12, identifiers=8)
    grant(caseworker, Role.CASEWORKER, large.office)
    client.force_login(caseworker)
    client.get(reverse("registry:person-detail", args=[small.reference]))  # warm caches (content types, grants)
    counts = []
    for person in (small, large):
        from django.db import connection

        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("registry:person-detail", args=[person.reference]))
        assert response.status_code == 200
        counts.append(len(queries))
    # Sections other apps add bring their own few queries; the registry's part stays at 14.
    assert counts[0] == counts[1] and counts[1] <= 14 + 3 * len(sections.PERSON_SECTIONS), counts


def izmir_like(istanbul):
    return type(istanbul).objects.create(code="BIG", name="Big office", type="field", province=istanbul.province)


def test_adding_a_legal_status_ends_the_current_one(client, istanbul, caseworker):
    person = register(istanbul, legal_status=LegalStatusType.TEMPORARY_PROTECTION)
    client.force_login(caseworker)
    post = {"status": LegalStatusType.RESIDENCE_PERMIT_HUMANITARIAN, "started_on": "2026-01-10", "note": "renewed"}
    response = client.post(reverse("registry:person-legal-status-add", args=[person.reference]), post, follow=True)
    assert "The legal status is recorded." in response.content.decode()
    statuses = {status.status: status for status in LegalStatus.objects.filter(person=person)}
    assert statuses[LegalStatusType.TEMPORARY_PROTECTION].ended_on.isoformat() == "2026-01-09"
    assert statuses[LegalStatusType.RESIDENCE_PERMIT_HUMANITARIAN].ended_on is None


def test_an_identifier_in_the_wrong_format_is_refused_on_the_person_page(client, istanbul, caseworker):
    person = register(istanbul)
    client.force_login(caseworker)
    post = {"type": IdentifierType.FOREIGNER_ID, "value": "99123"}
    html = client.post(reverse("registry:person-identifier-add", args=[person.reference]), post).content.decode()
    assert "has 11 digits" in field_errors(html, "value")
    assert '<details class="action" open><summary>Add an identifier' in html
    assert not person.identifiers.exists()


def test_adding_a_ykn_with_bad_check_digits_warns_after_saving(client, istanbul, caseworker):
    person = register(istanbul)
    client.force_login(caseworker)
    post = {"type": IdentifierType.FOREIGNER_ID, "value": BAD_CHECK_YKN}
    response = client.post(reverse("registry:person-identifier-add", args=[person.reference]), post, follow=True)
    assert person.identifiers.get().warning
    assert "check digits do not match" in response.content.decode()


def test_washington_group_answers_derive_the_disability(client, istanbul, caseworker):
    person = register(istanbul)
    client.force_login(caseworker)
    answers = {**dict.fromkeys(WG_DOMAINS, "1"), "hearing": "4", "remembering": "9"}
    response = client.post(reverse("registry:person-disability-assess", args=[person.reference]), answers, follow=True)
    assessment = person.wg_assessments.get()
    assert assessment.has_disability and assessment.hearing == 4 and assessment.remembering == 9
    assert '<td class="wg-high"><abbr title="Cannot do at all">4</abbr></td>' in response.content.decode()


def test_washington_group_answers_refuse_a_code_outside_the_scale(client, istanbul, caseworker):
    person = register(istanbul)
    client.force_login(caseworker)
    answers = {**dict.fromkeys(WG_DOMAINS, "1"), "seeing": "5"}
    html = client.post(reverse("registry:person-disability-assess", args=[person.reference]), answers).content.decode()
    assert "Select a valid choice" in field_errors(html, "seeing")
    assert not person.wg_assessments.exists()


def test_a_vulnerability_is_added_and_then_ended(client, istanbul, caseworker):
    person = register(istanbul)
    client.force_login(caseworker)
    post = {"type": "survivor_of_violence", "note": "referred to psychosocial support"}
    client.post(reverse("registry:person-vulnerability-add", args=[person.reference]), post)
    vulnerability = person.vulnerabilities.get()
    assert vulnerability.ended_on is None
    client.post(reverse("registry:person-vulnerability-end", args=[person.reference, vulnerability.pk]))
    vulnerability.refresh_from_db()
    assert vulnerability.ended_on is not None
    html = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "until" in html and "No longer applies</button>" not in html


def test_a_consent_is_recorded_and_withdrawn(client, istanbul, caseworker):
    person = register(istanbul)
    client.force_login(caseworker)
    post = {"purpose": "sharing_partner", "legal_basis": "consent"}
    client.post(reverse("registry:person-consent-record", args=[person.reference]), post)
    consent = person.consents.get()
    assert consent.taken_by == caseworker and consent.is_current
    client.post(reverse("registry:person-consent-withdraw", args=[person.reference, consent.pk]))
    consent.refresh_from_db()
    assert consent.withdrawn_on is not None and not consent.is_current
    assert "withdrawn" in client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()


def test_an_uploaded_document_is_downloaded_through_an_audited_view(client, istanbul, caseworker):
    person = register(istanbul)
    client.force_login(caseworker)
    upload = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    client.post(reverse("registry:person-attachment-add", args=[person.reference]), {"kind": "photo", "file": upload})
    attachment = person.attachments.get()
    assert attachment.content_type == "image/png"
    response = client.get(reverse("registry:person-attachment-download", args=[person.reference, attachment.pk]))
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Disposition"].startswith("attachment") and response["Content-Type"] == "image/png"
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="registry.attachment").count() == 1


def test_an_upload_is_checked_by_its_content_not_its_name(client, istanbul, caseworker):
    person = register(istanbul)
    client.force_login(caseworker)
    upload = SimpleUploadedFile("contract.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    html = client.post(
        reverse("registry:person-attachment-add", args=[person.reference]), {"kind": "other", "file": upload}
    ).content.decode()
    assert "Upload a PDF, JPEG or PNG file." in field_errors(html, "file")
    assert not person.attachments.exists()


def test_editing_details_changes_only_what_was_changed(client, istanbul, caseworker):
    person = register(istanbul, phone="+905321112233")
    client.force_login(caseworker)
    form = client.get(reverse("registry:person-edit", args=[person.reference])).context["form"]
    post = {name: form[name].value() or "" for name in form.fields}
    post.update({"birth_date": "1985", "phone": "0533 444 55 66", "sensitivity": Sensitivity.PROTECTION})
    response = client.post(reverse("registry:person-edit", args=[person.reference]), post)
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.birth_date_display, person.phone, person.sensitivity) == ("1985", "+905334445566", "protection")
    update = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="registry.person").get()
    assert set(update.changes) - {"updated_at"} == {"birth_date", "birth_date_precision", "phone", "sensitivity"}


def test_editing_with_a_bad_phone_keeps_the_record(client, istanbul, caseworker):
    person = register(istanbul, phone="+905321112233")
    client.force_login(caseworker)
    form = client.get(reverse("registry:person-edit", args=[person.reference])).context["form"]
    post = {name: form[name].value() or "" for name in form.fields} | {"phone": "phone"}
    html = client.post(reverse("registry:person-edit", args=[person.reference]), post).content.decode()
    assert "is not a phone number" in field_errors(html, "phone")
    person.refresh_from_db()
    assert person.phone == "+905321112233"


def test_sections_of_other_apps_are_shown_with_their_context(client, istanbul, caseworker, settings):
    template = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {
            **template,
            "APP_DIRS": False,
            "OPTIONS": {
                **template["OPTIONS"],
                "loaders": [
                    ("django.template.loaders.locmem.Loader", {"test/cases.html": "<p>Open cases: {{ count }}</p>"}),
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
    person = register(istanbul)
    seen = sections.PersonSection("test-cases", "Cases", "test/cases.html", lambda user, p: {"count": 3}, order=1)
    hidden = sections.PersonSection("test-hidden", "Hidden", "test/cases.html", lambda user, p: None)
    saved = list(sections.PERSON_SECTIONS)
    sections.register(seen)
    sections.register(hidden)
    try:
        client.force_login(caseworker)
        html = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    finally:
        sections.PERSON_SECTIONS[:] = saved
    assert '<h2 id="section-test-cases-title">Cases</h2>' in html and "<p>Open cases: 3</p>" in html
    assert "section-test-hidden" not in html


# --- households -------------------------------------------------------------------------------------------------


def test_the_household_page_lists_members_with_relationships(client, istanbul, viewer):
    head = full_person(istanbul, members=3)
    client.force_login(viewer)
    html = client.get(reverse("registry:household-detail", args=[head.membership.household.reference])).content.decode()
    assert "Head of household" in html and html.count("Child") >= 2 and "3 members" in html
    assert "Change the head" not in html and "Add a registered person" not in html


def test_the_household_page_hides_a_member_the_viewer_may_not_see(client, istanbul, viewer):
    head = full_person(istanbul, members=2)
    child = Person.objects.get(first_name="Child0")
    registry.person_update(person=child, changes={"sensitivity": Sensitivity.PROTECTION}, by=None)
    client.force_login(viewer)
    html = client.get(reverse("registry:household-detail", args=[head.membership.household.reference])).content.decode()
    assert "Child0" not in html and "1 member" in html


def test_an_existing_person_is_found_and_added_as_a_member(client, istanbul, caseworker):
    head = full_person(istanbul)
    household = head.membership.household
    loner = register(istanbul, first="Nour", family="Haddad")
    client.force_login(caseworker)
    html = client.get(
        reverse("registry:household-detail", args=[household.reference]), {"q": "Haddad"}
    ).content.decode()
    assert loner.reference in html
    post = {"person": loner.reference, "relationship": "sibling"}
    client.post(reverse("registry:household-member-add", args=[household.reference]), post)
    assert HouseholdMember.objects.get(person=loner).household == household


def test_changing_the_head_keeps_exactly_one_head(client, istanbul, caseworker):
    head = full_person(istanbul, members=2)
    household = head.membership.household
    child = Person.objects.get(first_name="Child0")
    client.force_login(caseworker)
    post = {"person": child.reference, "former_head_relationship": "parent"}
    client.post(reverse("registry:household-head-change", args=[household.reference]), post)
    household.refresh_from_db()
    relationships = dict(household.members.values_list("person__first_name", "relationship"))
    assert household.head == child and relationships == {"Child0": "head", "Omar": "parent"}


def test_a_members_relationship_is_changed(client, istanbul, caseworker):
    head = full_person(istanbul, members=2)
    member = HouseholdMember.objects.get(person__first_name="Child0")
    client.force_login(caseworker)
    client.post(
        reverse("registry:household-member-change", args=[head.membership.household.reference, member.pk]),
        {"relationship": "grandchild"},
    )
    member.refresh_from_db()
    assert member.relationship == "grandchild"


def test_a_person_without_a_household_starts_one_as_head(client, istanbul, caseworker):
    person = register(istanbul)
    client.force_login(caseworker)
    response = client.post(reverse("registry:person-household-start", args=[person.reference]))
    household = Household.objects.get()
    assert response["Location"] == reverse("registry:household-detail", args=[household.reference])
    assert household.head == person


def test_the_phone_is_masked_on_the_person_page_and_showing_it_is_audited(client, istanbul, viewer):
    person = register(istanbul, phone="+905321112233")
    client.force_login(viewer)
    page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "+905321112233" not in page and "···233" in page
    shown = client.post(
        reverse("registry:person-phone-reveal", args=[person.reference]), headers={"HX-Request": "true"}
    )
    assert "+905321112233" in shown.content.decode()
    assert AuditEvent.objects.filter(action="view", actor=viewer, reason="phone shown").count() == 1


def test_a_victim_of_trafficking_flag_is_a_protection_fact_hidden_from_normal_tier_readers(
    client, istanbul, viewer, caseworker
):
    person = register(istanbul)
    flag = registry.vulnerability_add(person=person, type="victim_of_trafficking", note="sold twice", by=caseworker)
    assert flag.sensitivity == Sensitivity.PROTECTION
    stored = AuditEvent.objects.filter(object_type="registry.vulnerability").get()
    assert stored.sensitivity == Sensitivity.PROTECTION and "sold twice" not in str(stored.changes)
    client.force_login(viewer)
    page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "Victim of trafficking" not in page and "sold twice" not in page
    client.force_login(caseworker)
    page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "Victim of trafficking" in page and "sold twice" in page
    assert AuditEvent.objects.filter(action="view", actor=caseworker, reason="person page").exists()


def test_the_person_pages_forms_are_written_when_opened(client, istanbul, caseworker, viewer):
    """The page holds a link per form (fetched by htmx when its <details> opens), the form itself comes from its own
    address: a fragment for htmx, a page without JavaScript; each posts where the page's form did."""
    person = register(istanbul)
    client.force_login(caseworker)
    page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert 'name="status"' not in page and 'name="purpose"' not in page
    for kind, action in (
        ("legal_status", "registry:person-legal-status-add"),
        ("identifier", "registry:person-identifier-add"),
        ("disability", "registry:person-disability-assess"),
        ("vulnerability", "registry:person-vulnerability-add"),
        ("consent", "registry:person-consent-record"),
        ("attachment", "registry:person-attachment-add"),
    ):
        url = reverse("registry:person-change-form", args=[person.reference, kind])
        assert f'hx-get="{url}"' in page
        fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
        assert f'action="{reverse(action, args=[person.reference])}"' in fragment
        assert "<html" not in fragment and "csrfmiddlewaretoken" in fragment
        standalone = client.get(url).content.decode()
        assert "<html" in standalone and f'action="{reverse(action, args=[person.reference])}"' in standalone
    assert (
        'enctype="multipart/form-data"'
        in client.get(reverse("registry:person-change-form", args=[person.reference, "attachment"])).content.decode()
    )
    assert client.get(reverse("registry:person-change-form", args=[person.reference, "nothing"])).status_code == 404
    client.force_login(viewer)
    assert client.get(reverse("registry:person-change-form", args=[person.reference, "consent"])).status_code == 404
    assert "/forms/" not in client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
