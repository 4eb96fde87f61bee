"""The payment cycle's way. Every step is taken through `services` (they do the checks that move money: the
duplicate check, the four-eyes rule, the frozen snapshot and hash, the provider file, the reconciliation)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from liman.core.workflows import Transition, Workflow

from .choices import CycleState
from .permissions import CASH_APPROVE_ROLES, CASH_PREPARE_ROLES


def _preparer_does_not_approve(cycle, *, approver=None, **context):
    """Four eyes: the approval names its approver, who is not the one who prepared the list."""
    if approver is None:
        return gettext_lazy("An approval names who approves.")
    if cycle.prepared_by_id == approver.pk:
        return gettext_lazy("You prepared this list: a second person approves it.")
    return None


CYCLE_WORKFLOW = Workflow(
    name="cash_cycle",
    states=CycleState,
    initial=CycleState.DRAFT,
    transitions=[
        Transition(
            source=(CycleState.DRAFT,),
            target=CycleState.VERIFIED,
            roles=CASH_PREPARE_ROLES,
            label=gettext_lazy("Verify (duplicate checks)"),
        ),
        Transition(
            source=(CycleState.VERIFIED,),
            target=CycleState.DRAFT,
            roles=CASH_PREPARE_ROLES | CASH_APPROVE_ROLES,
            label=gettext_lazy("Send back to draft"),
            needs_reason=True,
        ),
        Transition(
            source=(CycleState.VERIFIED,),
            target=CycleState.APPROVED,
            roles=CASH_APPROVE_ROLES,
            guards=(_preparer_does_not_approve,),
            label=gettext_lazy("Approve and freeze the list"),
        ),
        Transition(
            source=(CycleState.APPROVED,),
            target=CycleState.SENT,
            roles=CASH_PREPARE_ROLES,
            label=gettext_lazy("Mark as sent to the provider"),
        ),
        Transition(
            source=(CycleState.SENT,),
            target=CycleState.RECONCILED,
            roles=CASH_PREPARE_ROLES,
            label=gettext_lazy("Reconciled"),
        ),
        Transition(
            source=(CycleState.RECONCILED,),
            target=CycleState.CLOSED,
            roles=CASH_PREPARE_ROLES | CASH_APPROVE_ROLES,
            label=gettext_lazy("Close"),
        ),
    ],
    final=frozenset({CycleState.CLOSED}),
)
