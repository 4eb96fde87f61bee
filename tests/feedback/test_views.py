"""Feedback pages: a hotline call recorded, triaged, assigned, resolved, answered and closed through the pages; a
complaint of abuse recorded at a desk disappears from the recorder's view and reaches the focal point."""

from __future__ import annotations

import pytest
from django.urls import reverse

from liman.core.choices import Role
from liman.feedback.models import Feedback
from tests.factories import staff


@pytest.fixture
def desk(istanbul):
    return staff(Role.CASEWORKER, istanbul, username="cw.ist")


@pytest.fixture
def handler(istanbul):
    return staff(Role.SUPERVISOR, istanbul, username="sup.ist")


def test_a_hotline_call_to_an_answer_through_the_pages(client, istanbul, desk, handler):
    client.force_login(desk)
    response = client.post(reverse("feedback:feedback-create"), {
        "office": istanbul.pk, "channel": "hotline", "category": "information", "priority": "normal",
        "summary": "When is the next payment?", "contact": "0532 000 00 00",
    })  # fmt: skip
    feedback = Feedback.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "feedback:feedback-detail", args=[feedback.reference]
    )
    client.force_login(handler)
    url = lambda step: reverse(f"feedback:feedback-{step}", args=[feedback.reference])  # noqa: E731
    client.post(url("triage"), {"priority": "high", "category": "payment"})
    client.post(url("assign"), {"to": handler.pk})
    client.post(url("resolve"), {"resolution": "Checked the cycle"})
    page = client.get(url("detail")).content.decode()
    assert "Record the answer" in page and "When is the next payment?" in page
    client.post(url("respond"), {"response": "Loaded on the 5th"})
    client.post(url("close"))
    feedback.refresh_from_db()
    assert feedback.state == "closed" and feedback.category == "payment"
    listed = client.get(reverse("feedback:feedback-list"), {"state": "closed"}).content.decode()
    assert feedback.reference in listed


def test_a_complaint_of_abuse_goes_to_the_focal_point_only(client, istanbul, izmir, desk, handler):
    focal = staff(Role.PSEA_FOCAL_POINT, istanbul, username="psea.ist")
    client.force_login(desk)
    response = client.post(reverse("feedback:feedback-create"), {
        "office": istanbul.pk, "channel": "desk", "category": "sea", "priority": "urgent",
        "summary": "Asked for a favour in exchange for the card", "about_staff": handler.username,
    }, follow=True)  # fmt: skip
    complaint = Feedback.objects.get()
    body = response.content.decode()
    assert "sent to the PSEA focal points only" in body and complaint.reference not in body.split("</form>")[-1]
    for user in (desk, handler, staff(Role.VIEWER, istanbul, username="viewer.ist")):
        client.force_login(user)
        assert client.get(reverse("feedback:feedback-detail", args=[complaint.reference])).status_code == 404
        assert complaint.reference not in client.get(reverse("feedback:feedback-list")).content.decode()
    client.force_login(staff(Role.PSEA_FOCAL_POINT, izmir, username="psea.izm"))
    assert client.get(reverse("feedback:feedback-detail", args=[complaint.reference])).status_code == 404
    client.force_login(focal)
    page = client.get(reverse("feedback:feedback-detail", args=[complaint.reference])).content.decode()
    assert "Asked for a favour" in page and "Protected channel" in page
    client.post(
        reverse("feedback:feedback-triage", args=[complaint.reference]), {"priority": "urgent", "category": "sea"}
    )
    page = client.get(reverse("feedback:feedback-detail", args=[complaint.reference])).content.decode()
    # Only focal points are offered as assignees, never the staff member it names.
    assign = page.split('name="to"')[1].split("</select>")[0]
    assert f'value="{focal.pk}"' in assign and f'value="{handler.pk}"' not in assign
