"""An activity's way: planned → ongoing (its first attendance) → closed; cancelled before it closes, with a reason."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from liman.core.workflows import Transition, Workflow

from .choices import ActivityState
from .permissions import ACTIVITY_MANAGE_ROLES

S = ActivityState


def _has_sessions(activity, **context):
    if not activity.sessions.exists():
        return gettext_lazy("Add the activity's sessions first.")
    return None


def _attendance_taken(activity, **context):
    from .models import Attendance

    if not Attendance.objects.filter(session__activity=activity).exists():
        return gettext_lazy("Take the attendance of at least one session before closing.")
    return None


ACTIVITY_WORKFLOW = Workflow(
    name="activity",
    states=ActivityState,
    initial=S.PLANNED,
    transitions=[
        Transition(
            source=(S.PLANNED,),
            target=S.ONGOING,
            roles=ACTIVITY_MANAGE_ROLES,
            guards=(_has_sessions,),
            label=gettext_lazy("Start"),
        ),  # fmt: skip
        Transition(
            source=(S.ONGOING,),
            target=S.CLOSED,
            roles=ACTIVITY_MANAGE_ROLES,
            guards=(_attendance_taken,),
            label=gettext_lazy("Close"),
        ),  # fmt: skip
        Transition(
            source=(S.PLANNED, S.ONGOING),
            target=S.CANCELLED,
            roles=ACTIVITY_MANAGE_ROLES,
            needs_reason=True,
            label=gettext_lazy("Cancel"),
        ),  # fmt: skip
    ],
    final=frozenset({S.CLOSED, S.CANCELLED}),
)
