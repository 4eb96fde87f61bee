"""The transfer's way: dispatched (in transit) → received. Stock moves with it (`services.transfer_receive`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from liman.core.workflows import Transition, Workflow

from .choices import DistributionState, TransferState
from .permissions import DISTRIBUTION_CLOSE_ROLES, DISTRIBUTION_OPEN_ROLES, TRANSFER_RECEIVE_ROLES

TRANSFER_WORKFLOW = Workflow(
    name="stock_transfer",
    states=TransferState,
    initial=TransferState.DISPATCHED,
    transitions=[
        Transition(
            source=(TransferState.DISPATCHED,),
            target=TransferState.RECEIVED,
            roles=TRANSFER_RECEIVE_ROLES,
            label=gettext_lazy("Receive"),
        ),
    ],
    final=frozenset({TransferState.RECEIVED}),
)


#: A distribution: planned → open (the goods went to the site) → closed (what was left came back).
#: Both steps move stock: take them through `services.distribution_open` / `distribution_close`.
DISTRIBUTION_WORKFLOW = Workflow(
    name="distribution_plan",
    states=DistributionState,
    initial=DistributionState.PLANNED,
    transitions=[
        Transition(
            source=(DistributionState.PLANNED,),
            target=DistributionState.OPEN,
            roles=DISTRIBUTION_OPEN_ROLES,
            label=gettext_lazy("Send the goods to the site"),
        ),
        Transition(
            source=(DistributionState.OPEN,),
            target=DistributionState.CLOSED,
            roles=DISTRIBUTION_CLOSE_ROLES,
            label=gettext_lazy("Close the distribution"),
        ),
    ],
    final=frozenset({DistributionState.CLOSED}),
)
