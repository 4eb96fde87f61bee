"""Every write of feedback, in a transaction, audited. A service reads the feedback through the acting user's scope
first: a caseworker who recorded a complaint of abuse cannot then triage, read or answer it."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core.access import has_role
from liman.core.choices import Role
from liman.core.models import Office, User
from liman.core.services import new_reference, record_create, record_update
from liman.core.workflows import transition

from . import permissions
from .choices import CATEGORY_MAX_DAYS, PRIORITY_DAYS, PROTECTED_CATEGORIES, FeedbackState, Priority
from .models import Feedback


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def due_date(*, received: datetime.date, category: str, priority: str) -> datetime.date:
    days = min(PRIORITY_DAYS[priority], CATEGORY_MAX_DAYS.get(category, PRIORITY_DAYS[priority]))
    return received + datetime.timedelta(days=days)


def feedback_record(
    *,
    office: Office,
    channel: str,
    category: str,
    summary: str,
    by: User | None,
    priority: str = Priority.NORMAL,
    anonymous: bool = False,
    person=None,
    household=None,
    contact: str = "",
    about: models.Model | None = None,
    about_staff: User | None = None,
    received_at: datetime.datetime | None = None,
) -> Feedback:
    """Write down what a person said, from whatever channel. A complaint in a protected category goes to the PSEA
    focal points only, from this moment (the one who recorded it does not read it again)."""
    if by is not None:
        _require(permissions.may_record(by, office), _("Your role does not take feedback in this office."))
    if person is not None and household is None:
        membership = getattr(person, "membership", None)
        household = membership.household if membership is not None else None
    when = received_at or timezone.now()
    about_fields = {}
    if about is not None:
        about_fields = {"about_type": ContentType.objects.get_for_model(about), "about_id": str(about.pk)}
    return record_create(
        Feedback(
            office=office,
            reference=new_reference(f"FB-{office.code}", Feedback),
            channel=channel,
            category=category,
            priority=priority,
            anonymous=anonymous,
            person=None if anonymous else person,
            household=None if anonymous else household,
            contact="" if anonymous else contact.strip(),
            summary=summary.strip(),
            about_staff=about_staff,
            received_at=when,
            received_by=by,
            due_on=due_date(received=timezone.localtime(when).date(), category=category, priority=priority),
            **about_fields,
        ),
        by=by,
    )


def _handled(feedback: Feedback, by: User | None) -> Feedback:
    """The feedback as `by` may see it (a protected complaint is invisible to all but focal points), locked."""
    rows = Feedback.objects.select_for_update()
    if by is not None:
        _require(permissions.may_handle(by, feedback.office_id), _("Your role does not handle feedback."))
        rows = rows.filter(pk__in=Feedback.objects.visible_to(by).values("pk"))
    found = rows.filter(pk=feedback.pk).first()
    if found is None:
        raise PermissionDenied(_("You cannot handle this feedback."))
    return found


def feedback_triage(*, feedback: Feedback, by: User | None, priority: str, category: str = "") -> Feedback:
    """Set its priority (and correct its category); the date to respond by follows. A complaint moved into or out
    of a protected category moves tier with it."""
    with transaction.atomic():
        feedback = _handled(feedback, by)
        category = category or feedback.category
        if feedback.category in PROTECTED_CATEGORIES and category not in PROTECTED_CATEGORIES:
            _require(
                by is None or has_role(by, {Role.PSEA_FOCAL_POINT}, office=feedback.office_id),
                _("Only a PSEA focal point takes a complaint out of the protected channel."),
            )
        received = timezone.localtime(feedback.received_at).date()
        record_update(
            feedback,
            by=by,
            changes={
                "priority": priority,
                "category": category,
                "due_on": due_date(received=received, category=category, priority=priority),
            },
        )
        return transition(feedback, FeedbackState.TRIAGED, by=by)


def feedback_assign(*, feedback: Feedback, to: User, by: User | None) -> Feedback:
    """Give it to someone to follow up: never the staff member it is about; a protected complaint only to a PSEA
    focal point."""
    with transaction.atomic():
        feedback = _handled(feedback, by)
        if to.pk == feedback.about_staff_id:
            raise ValidationError({"assigned_to": _("Feedback is never assigned to the staff member it is about.")})
        if feedback.is_protected and not has_role(to, {Role.PSEA_FOCAL_POINT}, office=feedback.office_id):
            raise ValidationError({"assigned_to": _("A protected complaint is followed up by a PSEA focal point.")})
        if not feedback.is_protected and not permissions.may_handle(to, feedback.office_id):
            raise ValidationError({"assigned_to": _("Assign it to someone who handles feedback in the office.")})
        record_update(feedback, by=by, changes={"assigned_to": to})
        if feedback.state == FeedbackState.TRIAGED:
            transition(feedback, FeedbackState.ASSIGNED, by=by)
        return feedback


def feedback_resolve(*, feedback: Feedback, by: User | None, resolution: str, referred_to=None) -> Feedback:
    """What was done; with `referred_to` (a partner organisation), it was referred there."""
    if not resolution.strip():
        raise ValidationError({"resolution": _("Say what was done.")})
    with transaction.atomic():
        feedback = _handled(feedback, by)
        record_update(feedback, by=by, changes={"resolution": resolution.strip(), "referred_to": referred_to})
        target = FeedbackState.REFERRED if referred_to is not None else FeedbackState.RESOLVED
        return transition(feedback, target, by=by)


def feedback_respond(*, feedback: Feedback, by: User | None, response: str) -> Feedback:
    """The answer given to the person (by phone, at the desk, by SMS)."""
    with transaction.atomic():
        feedback = _handled(feedback, by)
        if feedback.anonymous:
            raise ValidationError(_("Anonymous feedback has no one to answer: close it once resolved."))
        record_update(feedback, by=by, changes={"response": response.strip(), "responded_at": timezone.now()})
        return transition(feedback, FeedbackState.RESPONDED, by=by)


def feedback_close(*, feedback: Feedback, by: User | None) -> Feedback:
    with transaction.atomic():
        feedback = _handled(feedback, by)
        transition(feedback, FeedbackState.CLOSED, by=by)
        return record_update(feedback, by=by, changes={"closed_at": timezone.now()})
