"""The data protection focal point: the data protection pages of their offices (breaches, requests as a register,
agreements, retention, holds, the data map, who read what, the access export at normal tier), and nothing of the
registry or the cases beyond what those pages show."""

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from liman.cases import services as cases
from liman.cases.models import Case, CaseNote
from liman.core.choices import Role
from liman.core.models import Office
from liman.privacy import services
from liman.registry import services as registry
from liman.registry.models import Person
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def focal(istanbul):
    return staff(Role.DATA_PROTECTION_FOCAL_POINT, istanbul, username="dpfp.ist")


def _person(office, name="Rania", **extra):
    return registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=name, family_name="Haddad", sex="F", nationality="SYR", **extra),
        by=None,
    )


@pytest.mark.parametrize(
    "name", ["privacy:privacy-breaches", "privacy:privacy-agreements", "privacy:privacy-schedules",
             "privacy:privacy-holds", "privacy:privacy-data-map", "privacy:privacy-requests"],
)  # fmt: skip
def test_the_focal_point_opens_the_data_protection_pages(client, focal, name):
    client.force_login(focal)
    assert client.get(reverse(name)).status_code == 200


def test_the_focal_point_logs_a_breach_of_their_office_only(client, istanbul, izmir, focal):
    client.force_login(focal)
    page = client.get(reverse("privacy:privacy-breaches")).content.decode()
    assert f'value="{istanbul.pk}"' in page and f'value="{izmir.pk}"' not in page

    services.breach_record(office=istanbul, by=focal, found_on=timezone.localdate(), what_happened="Laptop lost",
                           data_affected="Names", people_affected=3)  # fmt: skip
    with pytest.raises(Exception, match="offices you administer"):
        services.breach_record(office=izmir, by=focal, found_on=timezone.localdate(), what_happened="x",
                               data_affected="y", people_affected=1)  # fmt: skip


def test_the_focal_point_sees_neither_the_registry_nor_case_contents(client, istanbul, focal):
    person = _person(istanbul)
    case = cases.case_open(person=person, type="avrr", by=None)  # a normal-tier case
    cases.case_note_add(case=case, kind="note", text="Wants to go home in spring", by=None)
    client.force_login(focal)

    assert not Person.objects.visible_to(focal).exists() and not Case.objects.visible_to(focal).exists()
    assert not CaseNote.objects.visible_to(focal).exists()
    assert list(Office.objects.visible_to(focal)) == [istanbul]
    assert client.get(reverse("registry:person-detail", args=[person.reference])).status_code == 404
    assert client.get(reverse("cases:case-detail", args=[case.reference])).status_code == 404
    assert person.reference not in client.get(reverse("cases:case-list")).content.decode()


def test_the_focal_point_follows_requests_as_a_register_without_what_was_asked(client, istanbul, izmir, focal):
    supervisor = staff(Role.SUPERVISOR, istanbul, username="sup.ist")
    here = services.subject_request_log(person=_person(istanbul), kind="access", by=supervisor,
                                        details="Wants to know who saw her file")  # fmt: skip
    there = services.subject_request_log(person=_person(izmir, "Omar"), kind="deletion",
                                         by=staff(Role.SUPERVISOR, izmir, username="sup.izm"))  # fmt: skip
    client.force_login(focal)

    page = client.get(reverse("privacy:privacy-requests")).content.decode()

    assert here.reference in page and there.reference not in page
    assert "Wants to know" not in page and "Log a request" not in page
    assert reverse("privacy:privacy-request", args=[here.reference]) not in page
    assert client.get(reverse("privacy:privacy-request", args=[here.reference])).status_code == 404
    assert client.get(reverse("privacy:privacy-request-export", args=[here.reference])).status_code == 404


def test_the_focal_points_access_export_holds_the_normal_tier_only(istanbul, focal, tmp_path):
    person = _person(istanbul, phone="+905551112299")
    registry.consent_record(person=person, purpose="registration", legal_basis="consent", by=None)
    avrr = cases.case_open(person=person, type="avrr", by=None)
    protection = cases.case_open(person=person, type="protection", by=None)
    output = tmp_path / "rania.zip"

    call_command("person", "export", person.reference, "--output", str(output), "--user", focal.username)

    with zipfile.ZipFile(io.BytesIO(output.read_bytes())) as archive:
        document = json.loads(archive.read("person.json"))
    text = json.dumps(document, ensure_ascii=False)
    assert document["tiers"] == ["normal"] and document["exported_by"] == focal.username
    assert "Rania" in text and avrr.reference in text and protection.reference not in text
    assert not Person.objects.visible_to(focal).exists()  # the export's reading ends with it

    registry.person_update(person=person, changes={"sensitivity": "protection"}, by=None)
    with pytest.raises(CommandError, match="sees no person"):
        call_command("person", "export", person.reference, "--output", str(output), "--user", focal.username)


def test_a_focal_point_of_another_office_exports_no_one_here(client, istanbul, izmir):
    person = _person(istanbul)
    client.force_login(staff(Role.DATA_PROTECTION_FOCAL_POINT, izmir, username="dpfp.izm"))

    assert client.get(reverse("privacy:privacy-person-export", args=[person.reference])).status_code == 404


def test_the_focal_point_reads_who_read_what(client, istanbul, focal):
    client.force_login(focal)
    today = timezone.localdate().isoformat()

    response = client.get(reverse("privacy:privacy-reads-xlsx"), {"start": today, "end": today})

    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("core:audit-list")).status_code == 404


def test_a_focal_point_of_every_office_sets_the_retention_schedules(istanbul):
    country = staff(Role.DATA_PROTECTION_FOCAL_POINT, None, username="dpfp.all")

    schedule = services.schedule_set(kind="cases.closed_case", days=3650, action="anonymise", is_active=False,
                                     by=country)  # fmt: skip

    assert schedule.days == 3650
