"""Messages to people: the registry each app fills in its AppConfig.ready(), read by `liman.messaging`.

An app declares what it may send to a person (`MessageKind`): a key, a label, the purpose in words, the placeholders
its text uses (`{name}`, `{date}`, `{place}` …) and a default text in each of the mission's languages (Turkish,
Arabic, English, Farsi, Pashto; Arabic, Farsi and Pashto read right to left). A kind may also offer a list to send
it to at once (`Audience`: a distribution's households) and reminders that fall due by themselves (`reminders`:
travellers whose flight leaves in two days). Messaging renders, queues and sends them; it never imports an app by
name, and an app never talks to a gateway.

Inbound texts go the other way: messaging handles opt-out words itself and hands any other text to the handlers
registered here (`register_inbound_handler`; the feedback app records it as feedback from the SMS channel).

No Django models here and no imports of later apps: core stays first in the app order.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

#: The languages a message is written in, and their names; the first is the default.
LANGUAGES: tuple[str, ...] = ("tr", "ar", "en", "fa", "ps")
LANGUAGE_NAMES = {
    "tr": _("Turkish"),
    "ar": _("Arabic"),
    "en": _("English"),
    "fa": _("Farsi (Dari)"),
    "ps": _("Pashto"),
}
#: Written right to left: the page shows these texts with dir="rtl".
RIGHT_TO_LEFT = frozenset({"ar", "fa", "ps"})

#: `{name}` in a text; `{{` and `}}` stand for a brace of their own.
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_PLACEHOLDER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def placeholders_in(text: str) -> tuple[list[str], list[str]]:
    """(placeholder names in order of first use, problems that are not about a name: a lone brace)."""
    names: list[str] = []
    problems: list[str] = []
    for match in _FIELD.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            problems.append(
                str(_("A lone “%(brace)s” at character %(at)d: write {{ or }} for a brace of its own."))
                % {"brace": token, "at": match.start() + 1}
            )
            continue
        name = match.group(1).strip()
        if name not in names:
            names.append(name)
    return names, problems


def template_problems(text: str, placeholders: Iterable[str]) -> list[str]:
    """What is wrong with a message text for a kind with these placeholders, each problem naming the placeholder:
    one the kind does not offer, or one of the kind's left out. Empty: the text is fine."""
    allowed = list(placeholders)
    if not text.strip():
        return [str(_("Write the text of the message."))]
    used, problems = placeholders_in(text)
    for name in used:
        if name not in allowed:
            offered = ", ".join(f"{{{p}}}" for p in allowed) or str(_("none"))
            problems.append(
                str(_("{%(name)s} is not a placeholder of this message (it offers %(offered)s)."))
                % {"name": name, "offered": offered}
            )
    for name in allowed:
        if name not in used:
            problems.append(str(_("{%(name)s} is missing: the message must say it.")) % {"name": name})
    return problems


def render(text: str, context: Mapping[str, object]) -> str:
    """The text with each `{placeholder}` replaced by its value (a value never is read as a placeholder itself)."""

    def replace(match: re.Match) -> str:
        found = match.group(0)
        if found == "{{":
            return "{"
        if found == "}}":
            return "}"
        if match.group(1) is None:
            return found
        name = match.group(1).strip()
        if name not in context:
            raise KeyError(name)
        return str(context[name])

    return _FIELD.sub(replace, text)


@dataclass(frozen=True)
class Recipient:
    """One person to send a kind of message to, with the values of its placeholders (`name` is filled in from the
    person when not given).

    `key` makes the message once-only: the same kind, person and key are queued once however often they are asked
    for (a reminder for one booking on one date). `fallbacks` are people who may receive it instead, in order, when
    the person cannot be contacted (another member of the household)."""

    person: Any
    context: Mapping[str, object] = field(default_factory=dict)
    key: str = ""
    fallbacks: tuple = ()


@dataclass(frozen=True)
class AudienceList:
    """The people of one record (a distribution plan) that `user` may message, with where to go back to."""

    title: str
    office: Any
    recipients: list[Recipient]
    back_url: str


@dataclass(frozen=True)
class Audience:
    """A list of people an app offers to send a kind of message to at once, from one of its records.

    `recipients(user, pk)` reads the record through the app's own scoped selectors (a record the user may not see
    raises Http404) and returns its `AudienceList`; `path` is the first part of the address of the page that sends
    it (`distributions` gives `/distributions/<pk>/message/`); `button` is the link's text on the record's page."""

    path: str
    button: str
    recipients: Callable[[Any, int], AudienceList]
    #: For the demo data: who sends the list message, for which record (None when there is none to send).
    demo: Callable[[], tuple[Any, int] | None] | None = None


@dataclass(frozen=True)
class MessageKind:
    """What an app may send to a person, with its default text in every language."""

    key: str
    label: str
    #: Why it is sent, in words (appointment reminder, flight date, payment loaded, distribution day …).
    purpose: str
    #: Names of the placeholders every text of this kind says (without braces).
    placeholders: tuple[str, ...]
    #: Default text per language code (every one of `LANGUAGES`).
    templates: Mapping[str, str]
    #: Tier of the message itself, beyond the person's own (a kind that tells of medical care could be medical).
    sensitivity: str = "normal"
    #: Roles that may queue it (in the person's office); None: messaging's default senders.
    roles: frozenset[str] | None = None
    #: Staff may send it to one person from the person page, filling in the placeholders.
    manual: bool = True
    audience: Audience | None = None
    #: Called with the current time by `liman messages remind`: the recipients whose reminder is due now (each with a
    #: `key`, so that a reminder already queued is not queued again).
    reminders: Callable[[datetime.datetime], Iterable[Recipient]] | None = None

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,47}", self.key):
            raise ValueError(f"Message kind key {self.key!r}: lower-case letters, digits and _ (2 to 48).")
        for name in self.placeholders:
            if not _PLACEHOLDER_NAME.match(name):
                raise ValueError(f"Message kind {self.key}: placeholder {name!r} is not a plain lower-case name.")
        missing = [language for language in LANGUAGES if not self.templates.get(language, "").strip()]
        if missing:
            raise ValueError(f"Message kind {self.key}: no default text in {', '.join(missing)}.")
        for language in LANGUAGES:
            problems = template_problems(self.templates[language], self.placeholders)
            if problems:
                raise ValueError(f"Message kind {self.key}, {language}: {' '.join(problems)}")


MESSAGE_KINDS: dict[str, MessageKind] = {}


def register_message_kind(kind: MessageKind) -> None:
    MESSAGE_KINDS[kind.key] = kind


def message_kinds() -> list[MessageKind]:
    return sorted(MESSAGE_KINDS.values(), key=lambda kind: kind.key)


def message_kind(key: str) -> MessageKind | None:
    return MESSAGE_KINDS.get(key)


# --- inbound texts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundText:
    """A text a person sent to the mission's number (other than an opt-out word, which messaging handles).

    `person` is set only when exactly one registered person has the number; `office` is where it belongs (the
    person's office, or the office that last wrote to the number, or the configured default)."""

    number: str
    text: str
    received_at: datetime.datetime
    backend: str
    provider_id: str = ""
    person: Any = None
    office: Any = None


InboundHandler = Callable[[InboundText], object]
INBOUND_HANDLERS: list[InboundHandler] = []


def register_inbound_handler(handler: InboundHandler) -> None:
    """`handler(text)` is called for every inbound text that is not an opt-out word, inside the transaction that
    records it; what it returns (a feedback record) is named on the inbound log."""
    if handler not in INBOUND_HANDLERS:
        INBOUND_HANDLERS.append(handler)


def inbound_handlers() -> list[InboundHandler]:
    return list(INBOUND_HANDLERS)
