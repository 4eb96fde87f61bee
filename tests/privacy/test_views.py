"""Data protection pages: schedules (set by an administrator of every office), legal holds, the data map."""

import pytest
from django.urls import reverse

from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent
from liman.privacy import services
from liman.privacy.models import LegalHold, RetentionSchedule
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


def closed_case(office, name="Holdme"):
    from liman.cases import services as cases
    from liman.registry import services as registry

    person = registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=name, family_name="Case", sex="F", nationality="SYR"),
        by=None,
    )
    return cases.case_open(person=person, type="protection", by=None)


def test_the_country_administrator_sets_a_schedule_and_it_is_audited(client, istanbul):
    admin = staff(Role.ADMINISTRATOR, None, username="country-admin")
    client.force_login(admin)
    page = client.get(reverse("privacy:privacy-schedules")).content.decode()
    assert "cases.closed_case" in page and reverse("privacy:privacy-schedule-edit", args=["cases.closed_case"]) in page
    url = reverse("privacy:privacy-schedule-edit", args=["cases.closed_case"])
    assert client.get(url).status_code == 200
    answer = client.post(url, {"days": "0", "action": "anonymise", "is_active": "1"})
    assert "A period is at least one day." in answer.content.decode()
    answer = client.post(url, {"days": "abc", "action": "anonymise"})
    assert "whole number of days" in answer.content.decode()
    answer = client.post(url, {"days": "1825", "action": "delete", "is_active": "1"})
    assert "cannot be deleted, only anonymised" in answer.content.decode()
    client.post(url, {"days": "1825", "action": "anonymise", "is_active": "1"})
    schedule = RetentionSchedule.objects.get(kind="cases.closed_case")
    assert (schedule.days, schedule.action, schedule.is_active, schedule.updated_by) == (1825, "anonymise", True, admin)
    client.post(url, {"days": "900", "action": "anonymise"})
    schedule.refresh_from_db()
    assert (schedule.days, schedule.is_active) == (900, False)
    event = AuditEvent.objects.filter(object_type="privacy.retentionschedule").first()
    assert event.action == AuditAction.UPDATE and event.changes["days"] == ["1825", "900"]


def test_an_office_administrator_reads_the_schedules_but_does_not_set_them(client, istanbul):
    client.force_login(staff(Role.ADMINISTRATOR, istanbul))
    page = client.get(reverse("privacy:privacy-schedules")).content.decode()
    assert "cases.closed_case" in page
    assert reverse("privacy:privacy-schedule-edit", args=["cases.closed_case"]) not in page
    assert client.get(reverse("privacy:privacy-schedule-edit", args=["cases.closed_case"])).status_code == 404
    with pytest.raises(Exception, match="every office"):
        services.schedule_set(kind="cases.closed_case", days=10, action="anonymise", is_active=True,
                              by=staff(Role.ADMINISTRATOR, istanbul, username="other-admin"))  # fmt: skip


@pytest.mark.parametrize("name", ["privacy:privacy-schedules", "privacy:privacy-holds", "privacy:privacy-data-map"])
def test_the_pages_are_for_administrators_only(client, istanbul, name):
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    assert client.get(reverse(name)).status_code == 404


def test_a_hold_is_placed_listed_and_lifted_within_the_office(client, istanbul, izmir, django_assert_max_num_queries):
    case = closed_case(istanbul)
    admin = staff(Role.ADMINISTRATOR, istanbul)
    client.force_login(admin)
    answer = client.post(
        reverse("privacy:privacy-holds"), {"kind": "cases.closed_case", "reference": "NOPE", "reason": "x"}
    )
    assert "No Closed protection" in answer.content.decode()
    answer = client.post(reverse("privacy:privacy-holds"), {"kind": "cases.closed_case", "reference": case.reference,
                                                    "reason": ""})  # fmt: skip
    assert "Say why the record is held" in answer.content.decode()
    client.post(reverse("privacy:privacy-holds"), {"kind": "cases.closed_case", "reference": case.reference.lower(),
                                           "reason": "prosecutor's investigation"})  # fmt: skip
    hold = LegalHold.objects.get()
    assert (hold.object_id, hold.office, hold.placed_by, hold.reference) == (str(case.pk), istanbul, admin,
                                                                             case.reference)  # fmt: skip
    answer = client.post(reverse("privacy:privacy-holds"), {"kind": "cases.closed_case", "reference": case.reference,
                                                    "reason": "again"})  # fmt: skip
    assert "already held" in answer.content.decode()
    for n in range(3):
        services.hold_place(kind="cases.closed_case", reference=closed_case(istanbul, f"More{n}").reference,
                            reason="more", by=admin)  # fmt: skip
    with django_assert_max_num_queries(12):
        page = client.get(reverse("privacy:privacy-holds")).content.decode()
    assert case.reference in page and "prosecutor" in page

    # Another office's administrator neither sees nor lifts it, nor holds records of an office not theirs.
    client.force_login(staff(Role.ADMINISTRATOR, izmir))
    assert case.reference not in client.get(reverse("privacy:privacy-holds")).content.decode()
    assert client.post(reverse("privacy:privacy-hold-lift", args=[hold.pk]), {"lift_reason": "x"}).status_code == 404
    answer = client.post(reverse("privacy:privacy-holds"), {"kind": "cases.closed_case", "reference": case.reference,
                                                    "reason": "mine"})  # fmt: skip
    assert "offices you administer" in answer.content.decode()

    client.force_login(admin)
    client.post(reverse("privacy:privacy-hold-lift", args=[hold.pk]), {"lift_reason": ""})
    hold.refresh_from_db()
    assert hold.lifted_at is None
    client.post(reverse("privacy:privacy-hold-lift", args=[hold.pk]), {"lift_reason": "case dropped"})
    hold.refresh_from_db()
    assert hold.lifted_at is not None and hold.lifted_by == admin and hold.lift_reason == "case dropped"
    assert "is lifted" in client.get(reverse("privacy:privacy-holds")).content.decode()  # the message, read once
    assert case.reference not in client.get(reverse("privacy:privacy-holds")).content.decode()
    assert case.reference in client.get(reverse("privacy:privacy-holds") + "?all=1").content.decode()
    actions = list(AuditEvent.objects.filter(object_type="privacy.legalhold", object_id=str(hold.pk))
                   .order_by("seq").values_list("action", flat=True))  # fmt: skip
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE]


def test_the_data_map_shows_tiers_encrypted_fields_and_retention(client, istanbul, django_assert_max_num_queries):
    client.force_login(staff(Role.ADMINISTRATOR, istanbul))
    with django_assert_max_num_queries(10):
        page = client.get(reverse("privacy:privacy-data-map")).content.decode()
    assert "cases.casenote" in page and "registry.person" in page
    assert "trafficking_details" in page and "Closed protection, counter-trafficking and return cases" in page
    assert "consonant skeletons" in page  # a model declared without personal data says why
    assert "staff accounts" in page
