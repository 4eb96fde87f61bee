"""Who reads the outbox, who sends, who words the messages."""

from __future__ import annotations

from liman.core.access import has_role
from liman.core.choices import Role

#: Who queues a message to a person (and cancels or queues again one that failed), unless a kind names its own.
MESSAGE_SEND_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_OFFICER, Role.DISTRIBUTION})
#: Who reads the outbox of an office (each within the tiers their role reads).
MESSAGE_READ_ROLES = MESSAGE_SEND_ROLES | frozenset({Role.ADMINISTRATOR, Role.VIEWER})
#: Who words the messages (the texts are the same in every office).
TEMPLATE_ROLES = frozenset({Role.PROGRAMME_OFFICER, Role.ADMINISTRATOR})


def kind_roles(kind) -> frozenset[str]:
    return kind.roles if kind.roles is not None else MESSAGE_SEND_ROLES


def may_send(user, kind, office) -> bool:
    """Whether `user` may queue a message of `kind` to a person of `office`."""
    return has_role(user, kind_roles(kind), office=office)


def may_handle_outbox(user, office) -> bool:
    return has_role(user, MESSAGE_SEND_ROLES, office=office)
