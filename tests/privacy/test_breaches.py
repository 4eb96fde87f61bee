"""The breach log, and the export of who read what (for a period, or for one person), itself audited."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from liman.core import audit
from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent
from liman.privacy.models import Breach
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


def test_a_breach_is_logged_with_clear_messages_and_audited(client, istanbul, izmir, django_assert_max_num_queries):
    admin = staff(Role.ADMINISTRATOR, istanbul)
    client.force_login(admin)
    today = timezone.localdate()
    form = {"office": str(istanbul.pk), "found_on": today.isoformat(), "occurred_on": "", "what_happened": "",
            "data_affected": "", "people_affected": "x", "told_donor_on": "", "told_authority_on": "notadate",
            "told_people_on": ""}  # fmt: skip
    page = client.post(reverse("privacy:privacy-breaches"), form).content.decode()
    assert "People affected: give a whole number." in page and "authority told on: give a date" in page
    form.update(people_affected="12", told_authority_on=(today - datetime.timedelta(days=2)).isoformat())
    page = client.post(reverse("privacy:privacy-breaches"), form).content.decode()
    assert "Say what happened." in page and "No one is told of a breach before it is found." in page
    form.update(what_happened="A laptop with a case export was stolen", data_affected="case list of March",
                told_authority_on=today.isoformat(), office=str(izmir.pk))  # fmt: skip
    assert (
        "choose one of the offices you administer"
        in client.post(reverse("privacy:privacy-breaches"), form).content.decode()
    )
    form["office"] = str(istanbul.pk)
    client.post(reverse("privacy:privacy-breaches"), form)
    breach = Breach.objects.get()
    assert (breach.people_affected, breach.told_authority_on, breach.recorded_by) == (12, today, admin)
    assert AuditEvent.objects.filter(object_type="privacy.breach", action=AuditAction.CREATE).exists()
    with django_assert_max_num_queries(12):
        page = client.get(reverse("privacy:privacy-breaches")).content.decode()
    assert "laptop" in page
    client.force_login(staff(Role.ADMINISTRATOR, izmir))
    assert "laptop" not in client.get(reverse("privacy:privacy-breaches")).content.decode()


def sheet_rows(response):
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_the_reads_export_reconstructs_who_read_a_person_and_is_audited(client, istanbul):
    from liman.cases import services as cases
    from liman.registry import services as registry

    person = registry.person_register(
        office=istanbul, data=registry.PersonInput(first_name="Read", family_name="Me", sex="F", nationality="SYR"),
        by=None,
    )  # fmt: skip
    other = registry.person_register(
        office=istanbul, data=registry.PersonInput(first_name="Not", family_name="Me", sex="M", nationality="SYR"),
        by=None,
    )  # fmt: skip
    case = cases.case_open(person=person, type="protection", by=None)
    reader = staff(Role.CASEWORKER, istanbul, username="the-reader")
    audit.record_read(reader, [case], reason="case page")
    audit.record_read(reader, [cases.case_open(person=other, type="protection", by=None)], reason="other case")
    audit.record(AuditAction.VIEW, actor=reader, object_type="registry.person", object_id=str(person.pk),
                 office=istanbul, reason="person page")  # fmt: skip
    admin = staff(Role.ADMINISTRATOR, istanbul)
    client.force_login(admin)
    today = timezone.localdate().isoformat()
    response = client.get(
        reverse("privacy:privacy-reads-xlsx"), {"start": today, "end": today, "person": person.reference}
    )
    rows = sheet_rows(response)
    assert rows[0][0] == "Number" and len(rows) == 3
    assert {row[2] for row in rows[1:]} == {"the-reader"} and {row[4] for row in rows[1:]} == {
        "cases.case",
        "registry.person",
    }
    # The case is protection-tier: an administrator sees that it was read, not its name.
    assert all(row[6] != str(case) for row in rows[1:])
    everything = sheet_rows(client.get(reverse("privacy:privacy-reads-xlsx"), {"start": today, "end": today}))
    assert len(everything) == 4
    export = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="core.auditevent").first()
    assert export.actor == admin and export.changes["person"] == ""
    bad = client.get(reverse("privacy:privacy-reads-xlsx"), {"start": today, "end": "2000-01-01"})
    assert bad.status_code == 302
