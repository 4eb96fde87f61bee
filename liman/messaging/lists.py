"""The outbox: its columns, filters and order (see `liman.core.lists`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from liman.core.lists import Column, Filter, ListSpec, register
from liman.core.messages import message_kinds

from .choices import MessageState

MESSAGES = register(
    ListSpec(
        url_name="messaging:message-list",
        title=_("Messages to people"),
        columns=(
            Column("queued", _("Queued"), lambda message: message.queued_at, ("queued_at",)),
            Column("person", _("Person"), lambda message: message.person.reference, ("person__reference",)),
            Column("message", _("Message"), lambda message: message.kind_label, ("kind",)),
            Column("language", _("Language"), lambda message: message.get_language_display(), ("language",)),
            # The number is shown masked (the page masks it); it does not sort.
            Column("number", _("Number"), lambda message: getattr(message, "phone_masked", "")),
            Column("state", _("State"), lambda message: message.get_state_display(), ("state",)),
            Column("attempts", _("Hand-overs"), lambda message: message.attempts, ("attempts",)),
        ),
        filters=(
            Filter("q", _("Person (reference)"), kind="text"),
            Filter(
                "state",
                _("State"),
                choices=lambda request, values: [*MessageState.choices, ("sending", _("Being handed over"))],
                empty_label=_("All"),
            ),
            Filter(
                "kind",
                _("Message"),
                choices=lambda request, values: [(kind.key, kind.label) for kind in message_kinds()],
                empty_label=_("All"),
            ),
        ),
        default_sort="-queued",
    )
)
