"""The data protection focal point confirms a TOTP code after the password, as administrators do (they read who read
what and export people's files), and so do their demo users, with fixed keys; the demo's requests from people about
their data fill the focal point's register."""

from __future__ import annotations

import datetime
import io
import random

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from liman.core.choices import Role
from liman.core.demo import demo_username, seed_core
from liman.core.models import AuditEvent, Office, User
from liman.privacy.choices import RequestKind, RequestStatus
from liman.privacy.demo import seed_subject_requests
from liman.privacy.models import SubjectRequest
from liman.registry import services as registry
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_the_focal_point_confirms_a_code_before_any_page(client, istanbul):
    focal = staff(Role.DATA_PROTECTION_FOCAL_POINT, istanbul)
    TOTPDevice.objects.create(user=focal, name="phone", confirmed=True)
    client.post(reverse("core:login"), {"username": focal.username, "password": "correct-horse-battery"})
    for name in ("privacy:privacy-requests", "privacy:privacy-breaches"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("core:second-factor")), name
    assert client.get("/api/offices/").status_code == 403


@pytest.fixture
def demo(db):
    """The demo's users, a few of Istanbul's people (as the registry's seeder registers them), and the requests."""
    seed_core(random.Random(2026), 2026)
    istanbul = Office.objects.get(code="IST")
    for first, sex, born in (("Rania", "F", 1984), ("Huda", "F", 1979), ("Amal", "F", 1990), ("Omar", "M", 1975)):
        registry.person_register(
            office=istanbul, by=None,
            data=registry.PersonInput(first_name=first, father_name="Yusuf", family_name="Haddad", sex=sex,
                                      nationality="SYR", birth_date=datetime.date(born, 5, 1)),
        )  # fmt: skip
    seed_subject_requests()


def test_the_demo_focal_points_have_fixed_keys_and_sign_in_with_the_code(client, demo):
    for username in ("data-protection-focal-point.ank", "data-protection-focal-point.ist", "administrator.ank"):
        assert TOTPDevice.objects.filter(user__username=username, confirmed=True).exists(), username
    assert not TOTPDevice.objects.filter(user__username="caseworker.ist").exists()

    out = io.StringIO()
    call_command("demo_totp", "data-protection-focal-point.ist", stdout=out)
    client.post(reverse("core:login"), {"username": "data-protection-focal-point.ist", "password": "liman-demo-2026"})
    response = client.post(
        reverse("core:second-factor"), {"token": out.getvalue().strip(), "next": reverse("core:home")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    assert client.get(reverse("privacy:privacy-requests")).status_code == 200


def test_the_demo_requests_fill_the_register_through_the_services(client, demo, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    requests = {r.kind + "/" + r.status: r for r in SubjectRequest.objects.select_related("person", "office")}
    assert set(requests) == {"access/in_progress", "correction/answered", "objection/received", "access/closed"}
    assert {r.office.code for r in requests.values()} == {"IST"}
    today = timezone.localdate()
    assert [r.kind for r in SubjectRequest.objects.overdue(today)] == [RequestKind.OBJECTION]
    correction = requests["correction/answered"]
    assert correction.person.father_name in ("Abdulkarim", "Abdulkader") and correction.outcome_event_seq
    event = AuditEvent.objects.get(seq=correction.outcome_event_seq)
    assert (event.object_type, event.object_id) == ("registry.person", str(correction.person_id))
    assert requests["access/closed"].status == RequestStatus.CLOSED and requests["access/closed"].answer
    assert AuditEvent.objects.filter(object_type="privacy.subjectrequest", action="create").count() == 4

    client.force_login(User.objects.get(username=demo_username(Role.DATA_PROTECTION_FOCAL_POINT, "IST")))
    register = client.get(reverse("privacy:privacy-requests")).content.decode()
    assert {key for key, r in requests.items() if r.reference in register} == {"access/in_progress",
                                                                                "objection/received"}  # fmt: skip
    everything = client.get(reverse("privacy:privacy-requests"), {"all": "1"}).content.decode()
    assert all(r.reference in everything for r in requests.values())
    overdue = client.get(reverse("privacy:privacy-requests"), {"overdue": "1"}).content.decode()
    assert requests["objection/received"].reference in overdue
    assert requests["access/closed"].reference not in overdue

    seed_subject_requests()  # runs once
    assert SubjectRequest.objects.count() == 4
