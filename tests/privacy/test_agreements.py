"""Data-sharing agreements: the register, and their enforcement on referrals to partners, a partner's access and
a partner's file exchange; each transfer's audit event names its agreement."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from liman.cases import services as cases
from liman.cases.models import Referral
from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent
from liman.core.selectors import home_next
from liman.privacy import services, sharing
from liman.privacy.models import SharingAgreement
from tests.cases.builders import consent, open_case, register
from tests.factories import agreement, staff

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def partner(db):
    return cases.partner_organisation_create(name="Harbour Legal Aid", acronym="HLA", kind="ngo", by=None)


@pytest.fixture
def referable(istanbul):
    """A protection case whose person consented to sharing with a partner, and its caseworker."""
    caseworker = staff(Role.CASEWORKER, istanbul, programme="protection")
    person = register(istanbul)
    consent(person, "sharing_partner")
    return open_case(person, "protection", caseworker), caseworker


def test_a_referral_to_a_partner_needs_a_current_agreement_covering_its_purpose_and_data(partner, referable):
    case, caseworker = referable
    with pytest.raises(ValidationError, match="No current data-sharing agreement with Harbour Legal Aid"):
        cases.referral_send(case=case, to_partner=partner, shared_fields=["age"], by=caseworker)
    agreement(partner, categories=["protection", "demographic"])
    with pytest.raises(ValidationError, match="covers sharing with a partner organisation of contact details"):
        cases.referral_send(case=case, to_partner=partner, shared_fields=["phone"], by=caseworker)
    assert not Referral.objects.exists()
    referral = cases.referral_send(case=case, to_partner=partner, shared_fields=["age", "sex"], by=caseworker)
    assert referral.agreement_warning == ""


def test_an_agreement_of_another_office_does_not_cover_and_an_ended_one_blocks(partner, referable, izmir):
    case, caseworker = referable
    agreement(partner, office=izmir)
    with pytest.raises(ValidationError, match="No current data-sharing agreement"):
        cases.referral_send(case=case, to_partner=partner, shared_fields=["age"], by=caseworker)
    ended = agreement(partner, office=case.office, days_left=-1)
    with pytest.raises(ValidationError, match=f"{ended.reference} with Harbour Legal Aid .* ended on"):
        cases.referral_send(case=case, to_partner=partner, shared_fields=["age"], by=caseworker)


def test_an_agreement_ending_within_30_days_warns_and_the_transfer_names_it(partner, referable):
    case, caseworker = referable
    current = agreement(partner, office=case.office, days_left=12)
    referral = cases.referral_send(case=case, to_partner=partner, shared_fields=["full_name"], by=caseworker)
    assert f"{current.reference} with Harbour Legal Aid" in referral.agreement_warning
    assert "in 12 days" in referral.agreement_warning
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="cases.referral")
    assert event.changes == {"agreement": current.reference, "purpose": "sharing_partner",
                             "categories": ["identity", "protection"]}  # fmt: skip
    assert event.sensitivity == "protection"


def test_internal_referrals_need_no_agreement(istanbul, izmir, referable):
    from liman.core.models import Programme

    case, caseworker = referable
    consent(case.person, "referral")
    avrr = Programme.objects.get(code="avrr")
    assert cases.referral_send(case=case, to_office=izmir, to_programme=avrr, by=caseworker).pk


def test_a_partner_sees_its_referrals_only_while_an_agreement_is_in_force(istanbul, partner, referable):
    case, caseworker = referable
    lawyer = staff(Role.PARTNER, istanbul, username="lawyer")
    cases.partner_member_add(organisation=partner, user=lawyer, by=None)
    current = agreement(partner)
    referral = cases.referral_send(case=case, to_partner=partner, shared_fields=["age"], by=caseworker)
    assert list(Referral.objects.visible_to(lawyer)) == [referral]
    admin = staff(Role.ADMINISTRATOR, None, username="country-admin")
    yesterday = TODAY() - datetime.timedelta(days=1)
    services.agreement_end(agreement=current, ends_on=yesterday, by=admin, reason="Terminated after a breach")
    assert not Referral.objects.visible_to(lawyer).exists()
    assert list(Referral.objects.visible_to(caseworker)) == [referral]  # the sending side keeps it


def test_recording_an_agreement_is_validated_audited_and_the_document_served_audited(client, istanbul, izmir,
                                                                                     partner):  # fmt: skip
    admin = staff(Role.ADMINISTRATOR, istanbul)
    client.force_login(admin)
    form = {"office": str(istanbul.pk), "title": "", "partner": str(partner.pk), "authority": "Governorate",
            "legal_basis": "contract", "starts_on": "2026-01-01", "ends_on": "2025-01-01",
            "focal_points": ""}  # fmt: skip
    page = client.post(reverse("privacy:privacy-agreements"), form).content.decode()
    for text in (
        "Give the agreement a title.",
        "Name the focal points",
        "a partner organisation, or else",
        "Choose at least one purpose",
        "Choose at least one category",
        "cannot end before it starts",
    ):
        assert text in page, text
    form.update(title="Legal aid", authority="", focal_points="A. Kaya / B. Demir", ends_on="2030-12-31",
                purposes=["sharing_partner"], categories=["identity", "protection"],
                document=SimpleUploadedFile("dsa.txt", b"not a pdf"))  # fmt: skip
    assert (
        "The signed document is a PDF file."
        in client.post(reverse("privacy:privacy-agreements"), form).content.decode()
    )
    form["document"] = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed agreement")
    client.post(reverse("privacy:privacy-agreements"), form)
    signed = SharingAgreement.objects.get()
    assert signed.reference.startswith(f"{istanbul.code}-DSA-") and signed.recorded_by == admin
    assert AuditEvent.objects.filter(object_type="privacy.sharingagreement", action=AuditAction.CREATE).exists()
    with open(signed.document.path, "rb") as raw:
        assert b"signed agreement" not in raw.read()  # encrypted at rest
    response = client.get(reverse("privacy:privacy-agreement-document", args=[signed.pk]))
    assert b"".join(response.streaming_content) == b"%PDF-1.4 signed agreement"
    assert AuditEvent.objects.filter(object_type="privacy.sharingagreement", action=AuditAction.VIEW).exists()
    client.force_login(staff(Role.ADMINISTRATOR, izmir))
    assert client.get(reverse("privacy:privacy-agreement-document", args=[signed.pk])).status_code == 404
    assert signed.reference not in client.get(reverse("privacy:privacy-agreements")).content.decode()
    client.force_login(staff(Role.CASEWORKER, istanbul))
    assert client.get(reverse("privacy:privacy-agreements")).status_code in (403, 404)


def test_expiring_agreements_are_flagged_on_the_list_and_the_home_page(client, istanbul, partner,
                                                                       django_assert_max_num_queries):  # fmt: skip
    admin = staff(Role.ADMINISTRATOR, istanbul)
    soon = agreement(partner, office=istanbul, days_left=10)
    later = agreement(partner, office=istanbul, days_left=200)
    for n in range(3):
        agreement(None, office=istanbul, authority=f"Directorate {n}", days_left=300)
    client.force_login(admin)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("privacy:privacy-agreements")).content.decode()
    assert f"{soon.reference} with Harbour Legal Aid (HLA) ends on" in page
    assert f"{later.reference} with" not in page  # listed, not flagged
    assert later.reference in page
    figure = next(entry for entry in home_next(admin) if entry["key"] == "agreements_expiring")
    assert figure["value"] == 1
    assert not [entry for entry in home_next(staff(Role.CASEWORKER, istanbul)) if entry["key"] == "agreements_expiring"]


def test_a_file_exchange_names_a_covering_agreement_and_is_audited(partner, tmp_path):
    from liman.dedup import engine

    data = tmp_path / "partner.csv"
    data.write_text(",".join(engine.COLUMNS) + "\n" + "a1,Ayşe,Mehmet,Yılmaz,F,1971-02-11,TUR,+905551112233,,h1\n"
                    + "b1,Ayse,Mehmet,Yilmaz,F,1971-02-11,TUR,+905551112233,,h2\n", encoding="utf-8")  # fmt: skip
    output = tmp_path / "pairs.csv"
    narrow = agreement(partner, categories=["identity"])
    with pytest.raises(CommandError, match=f"{narrow.reference} does not cover"):
        call_command("dedup", "file", str(data), "--output", str(output), "--agreement", narrow.reference)
    with pytest.raises(CommandError, match="No data-sharing agreement has the reference DSA-NONE"):
        call_command("dedup", "file", str(data), "--output", str(output), "--agreement", "DSA-NONE")
    assert not output.exists()
    wide = agreement(partner)
    call_command("dedup", "file", str(data), "--output", str(output), "--agreement", wide.reference.lower())
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="dedup.file")
    assert event.changes["agreement"] == wide.reference and len(event.changes["sha256"]) == 64
    assert event.object_repr == "partner.csv"
    call_command("dedup", "file", str(data), "--output", str(output))  # the office's own file: as before
    assert AuditEvent.objects.filter(object_type="dedup.file").count() == 1


def test_the_covering_agreement_is_the_one_in_force_longest(partner):
    short = agreement(partner, days_left=40)
    long = agreement(partner, days_left=400)
    found = sharing.agreement_for(partner, "referral", ["identity"], on=TODAY())
    assert found == long != short
    assert sharing.agreement_for(partner, "referral", ["identity"], on=TODAY() + datetime.timedelta(days=300)) == long
