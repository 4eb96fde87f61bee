"""Feedback's way: received → triaged → assigned → resolved or referred → responded to the person → closed.
Anonymous feedback, which no one can be answered on, closes once resolved or referred."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from liman.core.workflows import Transition, Workflow

from .choices import FeedbackState
from .permissions import FEEDBACK_HANDLE_ROLES

S = FeedbackState


def _has_response(feedback, **context):
    if not (feedback.response or "").strip():
        return gettext_lazy("Write down the answer given to the person.")
    return None


def _nobody_to_answer(feedback, **context):
    if not feedback.anonymous:
        return gettext_lazy("Answer the person before closing.")
    return None


FEEDBACK_WORKFLOW = Workflow(
    name="feedback",
    states=FeedbackState,
    initial=S.RECEIVED,
    transitions=[
        Transition(source=(S.RECEIVED,), target=S.TRIAGED, roles=FEEDBACK_HANDLE_ROLES, label=gettext_lazy("Triage")),
        Transition(source=(S.TRIAGED,), target=S.ASSIGNED, roles=FEEDBACK_HANDLE_ROLES, label=gettext_lazy("Assign")),
        Transition(
            source=(S.ASSIGNED,), target=S.RESOLVED, roles=FEEDBACK_HANDLE_ROLES, label=gettext_lazy("Resolved")
        ),
        Transition(
            source=(S.ASSIGNED,), target=S.REFERRED, roles=FEEDBACK_HANDLE_ROLES, label=gettext_lazy("Referred")
        ),
        Transition(
            source=(S.RESOLVED, S.REFERRED),
            target=S.RESPONDED,
            roles=FEEDBACK_HANDLE_ROLES,
            guards=(_has_response,),
            label=gettext_lazy("Responded to the person"),
        ),
        Transition(source=(S.RESPONDED,), target=S.CLOSED, roles=FEEDBACK_HANDLE_ROLES, label=gettext_lazy("Close")),
        Transition(
            source=(S.RESOLVED, S.REFERRED),
            target=S.CLOSED,
            roles=FEEDBACK_HANDLE_ROLES,
            guards=(_nobody_to_answer,),
            label=gettext_lazy("Close (anonymous: no one to answer)"),
        ),
    ],
    final=frozenset({S.CLOSED}),
)
