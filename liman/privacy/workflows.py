"""A person's request about their data: received → in progress → answered or refused → closed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from liman.core.workflows import Transition, Workflow

from .choices import RequestStatus
from .permissions import SUBJECT_REQUEST_ROLES

S = RequestStatus


def _has_answer(request, **context):
    if not (request.answer or "").strip():
        return gettext_lazy("Write down the answer given to the person.")
    return None


SUBJECT_REQUEST_WORKFLOW = Workflow(
    name="subject_request",
    states=RequestStatus,
    initial=S.RECEIVED,
    state_field="status",
    transitions=[
        Transition(
            source=(S.RECEIVED,), target=S.IN_PROGRESS, roles=SUBJECT_REQUEST_ROLES, label=gettext_lazy("Start")
        ),  # fmt: skip
        Transition(
            source=(S.RECEIVED, S.IN_PROGRESS),
            target=S.ANSWERED,
            roles=SUBJECT_REQUEST_ROLES,
            guards=(_has_answer,),
            label=gettext_lazy("Answered"),
        ),  # fmt: skip
        Transition(
            source=(S.RECEIVED, S.IN_PROGRESS),
            target=S.REFUSED,
            roles=SUBJECT_REQUEST_ROLES,
            guards=(_has_answer,),
            needs_reason=True,
            label=gettext_lazy("Refuse"),
        ),  # fmt: skip
        Transition(
            source=(S.ANSWERED, S.REFUSED), target=S.CLOSED, roles=SUBJECT_REQUEST_ROLES, label=gettext_lazy("Close")
        ),  # fmt: skip
    ],
    final=frozenset({S.CLOSED}),
)
