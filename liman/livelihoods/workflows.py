"""A grant application's way: submitted → with the panel → scored → approved (or rejected) by the committee →
agreement signed → completed; withdrawn before the decision. Who approves is never who prepared it: the services
check that four-eyes rule (a guard sees the record, not who acts)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from liman.core.workflows import Transition, Workflow

from .choices import ApplicationState
from .permissions import GRANT_APPROVE_ROLES, GRANT_MANAGE_ROLES

S = ApplicationState


def _panel_ready(application, **context):
    call = application.call
    if not call.criteria.exists():
        return gettext_lazy("The call has no scoring criteria yet.")
    if sum(call.criteria.values_list("weight", flat=True)) != 100:
        return gettext_lazy("The criteria's weights do not add up to 100 %.")
    if not call.panel.exists():
        return gettext_lazy("The call has no panel yet.")
    return None


def _all_scored(application, **context):
    from .scoring import missing_scores

    missing = missing_scores(application)
    if missing is None:
        return gettext_lazy("No panel member without a conflict of interest is left to score.")
    if missing:
        return gettext_lazy("Still to score: %(who)s.") % {"who": ", ".join(sorted(missing))}
    return None


def _has_agreement(application, **context):
    if not hasattr(application, "agreement"):
        return gettext_lazy("Sign the grant agreement first.")
    return None


def _all_paid(application, **context):
    agreement = getattr(application, "agreement", None)
    if agreement is None or agreement.tranches.exclude(status="paid").exists() or not agreement.tranches.exists():
        return gettext_lazy("Every tranche is paid before the grant is completed.")
    return None


APPLICATION_WORKFLOW = Workflow(
    name="grant_application",
    states=ApplicationState,
    initial=S.SUBMITTED,
    transitions=[
        Transition(
            source=(S.SUBMITTED,),
            target=S.SCORING,
            roles=GRANT_MANAGE_ROLES,
            guards=(_panel_ready,),
            label=gettext_lazy("Send to the panel"),
        ),  # fmt: skip
        Transition(
            source=(S.SCORING,),
            target=S.SCORED,
            roles=GRANT_MANAGE_ROLES,
            guards=(_all_scored,),
            label=gettext_lazy("Close scoring"),
        ),  # fmt: skip
        Transition(
            source=(S.SCORED,), target=S.APPROVED, roles=GRANT_APPROVE_ROLES, label=gettext_lazy("Approve")
        ),  # fmt: skip
        Transition(
            source=(S.SCORED,),
            target=S.REJECTED,
            roles=GRANT_APPROVE_ROLES,
            needs_reason=True,
            label=gettext_lazy("Reject"),
        ),  # fmt: skip
        Transition(
            source=(S.APPROVED,),
            target=S.CONTRACTED,
            roles=GRANT_MANAGE_ROLES,
            guards=(_has_agreement,),
            label=gettext_lazy("Agreement signed"),
        ),  # fmt: skip
        Transition(
            source=(S.CONTRACTED,),
            target=S.COMPLETED,
            roles=GRANT_MANAGE_ROLES,
            guards=(_all_paid,),
            label=gettext_lazy("Complete"),
        ),  # fmt: skip
        Transition(
            source=(S.SUBMITTED, S.SCORING, S.SCORED),
            target=S.WITHDRAWN,
            roles=GRANT_MANAGE_ROLES,
            needs_reason=True,
            label=gettext_lazy("Withdrawn"),
        ),  # fmt: skip
    ],
    final=frozenset({S.REJECTED, S.COMPLETED, S.WITHDRAWN}),
)
