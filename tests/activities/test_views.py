"""Activity pages: plan a training, add sessions and participants (registered and light), take attendance on the tick
list, check in by the session's QR (read back from the printed sign-in sheet), issue and print a certificate in
Turkish and English; the person page's section; the API list; counts with no cell below k."""

from __future__ import annotations

import csv
import datetime
import io

import pypdfium2
import pytest
import zxingcpp
from django.urls import reverse

from liman.activities import services
from liman.activities.models import Activity, Attendance, Participant
from liman.core.choices import Role
from liman.core.models import AuditEvent, Programme
from tests.activities.conftest import add_light
from tests.factories import staff

pytestmark = pytest.mark.django_db


def pdf_pages_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def pdf_qr_codes(pdf: bytes) -> list[str]:
    found = []
    for page in pypdfium2.PdfDocument(pdf):
        image = page.render(scale=2).to_pil()
        found += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return found


def test_a_training_from_plan_to_certificate_through_the_pages(client, istanbul, officer, person, today):
    client.force_login(officer)
    response = client.post(reverse("activities:activity-create"), {
        "office": istanbul.pk, "type": "training", "title": "Barista training",
        "programme": Programme.objects.get(code="livelihoods").pk,
        "district": "", "venue": "Fatih centre", "starts_on": (today - datetime.timedelta(days=2)).isoformat(),
        "ends_on": today.isoformat(), "completion_percent": 50,
    })  # fmt: skip
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "activities:activity-detail", args=[activity.reference]
    )
    detail = reverse("activities:activity-detail", args=[activity.reference])
    for days in (2, 1, 0):
        held_on = (today - datetime.timedelta(days=days)).isoformat()
        client.post(
            reverse("activities:activity-session-add", args=[activity.reference]), {"held_on": held_on, "hours": "2"}
        )
    add = reverse("activities:activity-participant-add", args=[activity.reference])
    client.post(add, {"kind": "person", "person": person.reference, "legal_basis": "consent"})
    client.post(reverse("activities:activity-participant-add", args=[activity.reference]), {
        "kind": "light", "name": "Deniz Kaya", "sex": "F", "age_group": "18_59", "population_group": "host_community",
        "legal_basis": "consent",
    })  # fmt: skip
    registered, light = Participant.objects.order_by("number")
    assert registered.person == person and light.nationality == "TUR"
    sessions = list(activity.sessions.order_by("number"))
    assert len(sessions) == 3
    page = client.get(reverse("activities:activity-attendance", args=[sessions[0].pk])).content.decode()
    assert 'name="present"' in page and "Deniz Kaya" in page
    response = client.post(
        reverse("activities:activity-attendance", args=[sessions[0].pk]), {"present": [registered.pk, light.pk]}
    )
    assert response.status_code == 302
    client.post(reverse("activities:activity-attendance", args=[sessions[1].pk]), {"present": [registered.pk]})
    # The third session by QR: the printed sheet's code opens the check-in page.
    sheet = client.get(reverse("activities:activity-sign-in", args=[activity.reference]))
    assert sheet["Content-Type"] == "application/pdf"
    codes = pdf_qr_codes(sheet.content)
    assert len(codes) == 3
    check_in = codes[2].replace("http://testserver", "")
    assert check_in == reverse("activities:activity-check-in", args=[sessions[2].check_in_token])
    assert "Rania Haddad" in client.get(check_in).content.decode()
    client.post(check_in, {"number": "1"})
    assert Attendance.objects.get(session=sessions[2], participant=registered).via_qr
    response = client.post(check_in, {"number": "99"}, follow=True)
    assert "No participant of this activity has number 99" in response.content.decode()
    registered.refresh_from_db(), light.refresh_from_db()
    assert (registered.sessions_attended, registered.completed) == (3, True)
    assert (light.sessions_attended, light.completed) == (1, False)
    # Scores and the certificate.
    client.post(
        reverse("activities:activity-participant-scores", args=[registered.pk]), {"pre_score": "40", "post_score": "85"}
    )
    response = client.post(
        reverse("activities:activity-participant-scores", args=[light.pk]), {"pre_score": "140"}, follow=True
    )
    assert "from 0 to 100" in response.content.decode()
    registered.refresh_from_db()
    assert (registered.pre_score, registered.post_score, registered.score_gain) == (40, 85, 45)
    response = client.post(reverse("activities:activity-certificate-issue", args=[registered.pk]))
    assert response["Location"] == reverse("activities:activity-certificate", args=[registered.pk])
    text = pdf_pages_text(client.get(response["Location"]).content)
    assert "KATILIM BELGESİ" in text and "CERTIFICATE OF COMPLETION" in text and "Rania Haddad" in text
    assert f"{activity.reference}-001" in text
    response = client.post(reverse("activities:activity-certificate-issue", args=[light.pk]), follow=True)
    assert "attended 1 of 3 sessions" in response.content.decode()
    assert client.get(reverse("activities:activity-certificate", args=[light.pk])).status_code == 404
    # The person page shows the activity and the certificate.
    person_page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "Activities attended / certificates" in person_page and f"{activity.reference}-001" in person_page
    # Close it.
    client.post(reverse("activities:activity-step", args=[activity.reference]), {"to": "closed"})
    activity.refresh_from_db()
    assert activity.state == "closed"
    assert "Take attendance" not in client.get(detail).content.decode()


def test_the_tick_list_is_refused_to_readers_and_to_other_offices(client, training, officer, izmir, istanbul, today):
    session = services.session_add(activity=training, held_on=today, by=officer)
    (participant,) = add_light(training, officer, 1)
    viewer = staff(Role.VIEWER, istanbul, username="viewer.ist")
    client.force_login(viewer)
    url = reverse("activities:activity-attendance", args=[session.pk])
    assert "Save attendance" not in client.get(url).content.decode()
    assert client.post(url, {"present": [participant.pk]}).status_code == 404
    assert client.get(reverse("activities:activity-check-in", args=[session.check_in_token])).status_code == 404
    client.force_login(staff(Role.PROGRAMME_OFFICER, izmir, username="po.izm"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("activities:activity-detail", args=[training.reference])).status_code == 404
    assert client.get(reverse("activities:activity-check-in", args=[session.check_in_token])).status_code == 404
    client.force_login(officer)
    assert client.get(reverse("activities:activity-check-in", args=["not-a-token"])).status_code == 404
    assert not Attendance.objects.exists()


def test_an_mhpss_group_shows_its_size_but_not_who_attended_to_a_programme_officer(client, istanbul, person, today):
    counsellor = staff(Role.CASEWORKER, istanbul, username="cw.ist")
    group = services.activity_create(
        office=istanbul, type="mhpss_group", title="Coping group", starts_on=today, ends_on=today, by=counsellor
    )
    services.participant_add_person(activity=group, person=person, by=counsellor)
    client.force_login(staff(Role.PROGRAMME_OFFICER, istanbul, username="po2.ist"))
    page = client.get(reverse("activities:activity-detail", args=[group.reference])).content.decode()
    assert "Coping group" in page and "Rania" not in page and "1 participant is not shown" in page
    assert "Rania" not in client.get(reverse("activities:activity-sign-in", args=[group.reference])).content.decode(
        "latin-1"
    )
    client.force_login(counsellor)
    assert "Rania Haddad" in client.get(reverse("activities:activity-detail", args=[group.reference])).content.decode()
    # The caseworker's read of the protected participants is audited.
    assert AuditEvent.objects.filter(action="view", sensitivity="protection").exists()


def test_the_api_lists_activities_in_scope_with_few_queries(client, training, officer, izmir, today,
                                                           django_assert_max_num_queries):  # fmt: skip
    for number in range(5):
        extra = services.activity_create(
            office=training.office, type="workshop", title=f"W{number}", starts_on=today, ends_on=today, by=officer
        )
        services.session_add(activity=extra, held_on=today, by=officer)
        add_light(extra, officer, 3)
    client.force_login(officer)
    with django_assert_max_num_queries(12):
        body = client.get("/api/activities/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) == 6 and {row["participant_count"] for row in rows} == {0, 3}
    assert client.get(f"/api/activities/{training.reference}/").json()["reference"] == training.reference
    client.force_login(staff(Role.PROGRAMME_OFFICER, izmir, username="po.izm"))
    assert client.get(f"/api/activities/{training.reference}/").status_code == 404


def test_the_list_page_costs_the_same_few_queries(client, training, officer, today, django_assert_max_num_queries):
    for number in range(8):
        services.activity_create(
            office=training.office, type="workshop", title=f"W{number}", starts_on=today, ends_on=today, by=officer
        )
    client.force_login(officer)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("activities:activity-list")).content.decode()
    assert "W7" in page and training.reference in page


def test_counts_publish_no_cell_below_k_and_the_export_is_hxl_tagged(client, training, officer, istanbul, today):
    session = services.session_add(activity=training, held_on=today, by=officer)
    many = add_light(training, officer, 24, population_group="host_community")  # 12 F and 12 M
    few = add_light(training, officer, 3, population_group="syrian_tp")
    services.attendance_take(session=session, present={p.pk for p in many + few}, by=officer)
    reporter = staff(Role.REPORTING_OFFICER, istanbul, username="rep.ist")
    client.force_login(reporter)
    page = client.get(reverse("activities:activity-counts")).content.decode()
    assert "Host community" in page and "&lt;11" in page and "Total: 27" in page
    response = client.get(reverse("activities:activity-counts-export"), {"fmt": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][-1] == "#reached+ind"
    people = sorted(row[-1] for row in rows[2:])
    # 12 + 12 host community shown; the Syrian cells (2 and 1) hidden.
    assert people == ["12", "12", "<11", "<11"]
    xlsx = client.get(reverse("activities:activity-counts-export"), {"fmt": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert AuditEvent.objects.filter(action="export", object_type="activities.participant").count() == 2
    # Another office's reporting officer counts nothing of this one.
    client.force_login(staff(Role.REPORTING_OFFICER, None, username="rep.all"))
    assert "Total: 27" in client.get(reverse("activities:activity-counts")).content.decode()
    from tests.factories import OfficeFactory

    other = OfficeFactory(code="OTH", name="Other")
    client.force_login(staff(Role.REPORTING_OFFICER, other, username="rep.oth"))
    assert "Total: 0" in client.get(reverse("activities:activity-counts")).content.decode()


def test_equipment_pages(client, training, officer, istanbul, today):
    client.force_login(officer)
    response = client.post(reverse("activities:activity-equipment-create"), {
        "office": istanbul.pk, "institution": "coast_guard", "unit": "Ayvalık station", "item": "Life jackets",
        "quantity": 30, "currency": "USD", "donor_project": "EU-HBM-2026-03", "handed_over_on": today.isoformat(),
        "activity": training.reference,
    })  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("activities:activity-equipment-list")).content.decode()
    assert "Life jackets" in page and "EU-HBM-2026-03" in page
    assert (
        "Life jackets" in client.get(reverse("activities:activity-detail", args=[training.reference])).content.decode()
    )
    response = client.post(reverse("activities:activity-equipment-create"), {
        "office": istanbul.pk, "institution": "pmm", "unit": "PMM", "item": "Laptop", "quantity": 1, "currency": "USD",
        "donor_project": "P", "handed_over_on": today.isoformat(), "activity": "ACT-NOPE",
    })  # fmt: skip
    assert "No activity you can see has this reference" in response.content.decode()
