"""Feedback: the cycle from received to closed, due dates, anonymous stays anonymous, and the protected channel
read and handled by PSEA focal points only, whoever recorded the complaint."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from liman.core import audit
from liman.core.choices import Role
from liman.core.models import AuditEvent
from liman.core.workflows import TransitionRefused
from liman.feedback import services
from liman.feedback.choices import FeedbackState
from liman.feedback.models import Feedback
from liman.registry import services as registry
from tests.factories import grant, staff


@pytest.fixture
def caseworker(istanbul):
    return staff(Role.CASEWORKER, istanbul, username="cw.ist")


@pytest.fixture
def supervisor(istanbul):
    return staff(Role.SUPERVISOR, istanbul, username="sup.ist")


@pytest.fixture
def focal(istanbul):
    user = staff(Role.PSEA_FOCAL_POINT, istanbul, username="psea.ist")
    return user


@pytest.fixture
def person(istanbul):
    head = registry.person_register(
        office=istanbul,
        data=registry.PersonInput(first_name="Rania", family_name="Khalil", sex="F", nationality="SYR"),
        by=None,
    )
    registry.household_create(office=istanbul, head=head, by=None)
    return head


def test_a_complaint_from_a_call_to_a_response(istanbul, caseworker, supervisor, person):
    feedback = services.feedback_record(
        office=istanbul, channel="hotline", category="not_received", summary="Skipped at the distribution",
        person=person, by=caseworker, received_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 10)),
    )  # fmt: skip
    assert feedback.household == person.membership.household and feedback.sensitivity == "normal"
    assert feedback.due_on == datetime.date(2026, 12, 6)  # normal priority 7 days, at most 5 for this category
    services.feedback_triage(feedback=feedback, priority="high", by=supervisor)
    feedback.refresh_from_db()
    assert feedback.due_on == datetime.date(2026, 12, 4) and feedback.state == FeedbackState.TRIAGED
    services.feedback_assign(feedback=feedback, to=supervisor, by=supervisor)
    services.feedback_resolve(feedback=feedback, resolution="Added to the next round", by=supervisor)
    with pytest.raises(TransitionRefused, match="Answer the person"):
        services.feedback_close(feedback=feedback, by=supervisor)
    services.feedback_respond(feedback=feedback, response="Called back: next round on Friday", by=supervisor)
    services.feedback_close(feedback=feedback, by=supervisor)
    feedback.refresh_from_db()
    assert feedback.state == FeedbackState.CLOSED and feedback.closed_at is not None
    # What people said is encrypted in the database.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT summary, response FROM feedback_feedback WHERE id = %s", [feedback.pk])
        stored = cursor.fetchone()
    assert "Skipped" not in stored[0] and "Friday" not in stored[1]


def test_anonymous_feedback_keeps_no_person_and_closes_without_an_answer(istanbul, caseworker, supervisor, person):
    feedback = services.feedback_record(
        office=istanbul, channel="box", category="quality", summary="Blankets were wet", anonymous=True,
        person=person, contact="0532", by=caseworker,
    )  # fmt: skip
    assert feedback.person is None and feedback.household is None and feedback.contact == ""
    services.feedback_triage(feedback=feedback, priority="normal", by=supervisor)
    services.feedback_assign(feedback=feedback, to=supervisor, by=supervisor)
    services.feedback_resolve(feedback=feedback, resolution="Storage fixed", by=supervisor)
    with pytest.raises(ValidationError, match="no one to answer"):
        services.feedback_respond(feedback=feedback, response="x", by=supervisor)
    services.feedback_close(feedback=feedback, by=supervisor)


def test_the_protected_channel_reaches_focal_points_only(istanbul, izmir, caseworker, supervisor, focal, person):
    accused = staff(Role.DISTRIBUTION, istanbul, username="dist.ist")
    complaint = services.feedback_record(
        office=istanbul, channel="desk", category="sea", summary="He asked for a favour for the card",
        person=person, about_staff=accused, by=caseworker,
    )  # fmt: skip
    assert complaint.sensitivity == "psea" and complaint.due_on == timezone.localdate() + datetime.timedelta(days=1)
    # The caseworker who wrote it down, the supervisor and the administrator do not see it again.
    admin = staff(Role.ADMINISTRATOR, istanbul, username="admin.ist")
    for user in (caseworker, supervisor, admin):
        assert not Feedback.objects.visible_to(user).filter(pk=complaint.pk).exists()
    assert Feedback.objects.visible_to(focal).filter(pk=complaint.pk).exists()
    other = staff(Role.PSEA_FOCAL_POINT, izmir, username="psea.izm")
    assert not Feedback.objects.visible_to(other).filter(pk=complaint.pk).exists()
    with pytest.raises(PermissionDenied):
        services.feedback_triage(feedback=complaint, priority="urgent", by=supervisor)
    # The audit log withholds it from everyone without the tier.
    events = list(AuditEvent.objects.filter(object_type="feedback.feedback", object_id=str(complaint.pk)))
    assert events and all(event.sensitivity == "psea" for event in events)
    assert "favour" not in str(audit.present(events, admin))
    # A focal point handles it; it is never assigned to the one it names, nor to someone without the role.
    services.feedback_triage(feedback=complaint, priority="urgent", by=focal)
    grant(accused, Role.PSEA_FOCAL_POINT, istanbul)
    with pytest.raises(ValidationError, match="staff member it is about"):
        services.feedback_assign(feedback=complaint, to=accused, by=focal)
    with pytest.raises(ValidationError, match="PSEA focal point"):
        services.feedback_assign(feedback=complaint, to=supervisor, by=focal)
    services.feedback_assign(feedback=complaint, to=focal, by=focal)
    assert Feedback.objects.get(pk=complaint.pk).state == FeedbackState.ASSIGNED


def test_only_a_focal_point_takes_a_complaint_out_of_the_protected_channel(istanbul, caseworker, focal):
    complaint = services.feedback_record(
        office=istanbul, channel="hotline", category="fraud", summary="Asked to pay for a place", by=caseworker
    )
    services.feedback_triage(feedback=complaint, priority="normal", category="information", by=focal)
    complaint.refresh_from_db()
    assert complaint.sensitivity == "normal" and complaint.category == "information"
