"""The transfer's way: dispatched (in transit) → received. Stock moves with it (`services.transfer_receive`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from liman.core.workflows import Transition, Workflow

from .choices import TransferState
from .permissions import TRANSFER_RECEIVE_ROLES

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
