"""Declarative workflows: states, transitions, guard rules and the roles allowed to take each one.

An app declares a `Workflow` for each record type in its own `workflows.py`; the one service
`transition(record, to_state, by=user, reason=...)` checks role and guards, writes the new state,
the history row and the audit event, atomically. A refused transition raises `TransitionRefused`
whose messages are written for the caseworker, not the developer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext as _

from . import audit
from .access import has_role
from .choices import AuditAction

#: A guard looks at the record (and the extra context given to `transition`) and returns a message
#: saying what is missing, or None when the step may go ahead.
Guard = Callable[..., "str | None"]

ANY = "*"


@dataclass(frozen=True)
class Transition:
    source: tuple[str, ...]
    target: str
    roles: frozenset[str]
    guards: tuple[Guard, ...] = ()
    label: str = ""
    #: A reason must be given (closing, withdrawing, declining, putting on hold …).
    needs_reason: bool = False

    def allows_from(self, state: str) -> bool:
        return ANY in self.source or state in self.source


@dataclass
class Workflow:
    """The state machine of one record type."""

    name: str
    states: type[models.TextChoices]
    initial: str
    transitions: list[Transition]
    state_field: str = "state"
    #: States from which nothing moves on (closed, cancelled …), unless a transition names them.
    final: frozenset[str] = field(default_factory=frozenset)

    def state_of(self, record) -> str:
        return getattr(record, self.state_field)

    def find(self, record, target: str) -> Transition | None:
        current = self.state_of(record)
        for candidate in self.transitions:
            if candidate.target == target and candidate.allows_from(current) and current != target:
                if ANY in candidate.source and current in self.final:
                    continue
                return candidate
        return None

    def blockers(self, record, target: str, *, user=None, context: dict | None = None) -> list[str]:
        """Why `record` cannot move to `target` now (empty: it can)."""
        step = self.find(record, target)
        label = self.states(target).label
        if step is None:
            current = self.states(self.state_of(record)).label
            return [
                _("A record that is “%(current)s” cannot move to “%(target)s”.") % {"current": current, "target": label}
            ]
        problems = []
        if user is not None and not has_role(user, step.roles, office=getattr(record, "office_id", None)):
            problems.append(_("Your role cannot move a record to “%(target)s”.") % {"target": label})
        for guard in step.guards:
            message = guard(record, **(context or {}))
            if message:
                problems.append(str(message))
        return problems

    def next_steps(self, record, *, user=None) -> list[tuple[str, str, list[str]]]:
        """Each state reachable from here: (state, label, what blocks it)."""
        steps = []
        seen = set()
        for candidate in self.transitions:
            target = candidate.target
            if target in seen or self.find(record, target) is None:
                continue
            seen.add(target)
            steps.append((target, str(self.states(target).label), self.blockers(record, target, user=user)))
        return steps


class TransitionRefused(Exception):
    """The step was not taken; `messages` say why, in the user's words."""

    def __init__(self, messages: Iterable[str]):
        self.messages = [str(message) for message in messages]
        super().__init__(" ".join(self.messages))


def transition(
    record: models.Model, to_state: str, *, by, reason: str = "", workflow: Workflow | None = None, **context
):
    """Move `record` to `to_state` if the workflow allows it; history row and audit event in one transaction."""
    from .models import StateChange

    workflow = workflow or record.workflow
    with transaction.atomic():
        locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
        step = workflow.find(locked, to_state)
        problems = workflow.blockers(locked, to_state, user=by, context=context)
        if step is not None and step.needs_reason and not reason.strip():
            problems.append(_("Give a reason for this step."))
        if problems:
            raise TransitionRefused(problems)
        from_state = workflow.state_of(locked)
        setattr(locked, workflow.state_field, to_state)
        locked.save(update_fields=[workflow.state_field])
        setattr(record, workflow.state_field, to_state)
        change = StateChange.objects.create(
            office_id=getattr(record, "office_id", None),
            sensitivity=getattr(record, "sensitivity", "normal") or "normal",
            content_type=ContentType.objects.get_for_model(record),
            object_id=str(record.pk),
            workflow=workflow.name,
            from_state=from_state,
            to_state=to_state,
            by=by,
            reason=reason,
        )
        audit.record(
            AuditAction.TRANSITION,
            actor=by,
            obj=record,
            changes={workflow.state_field: [from_state, to_state]},
            reason=reason,
        )
    return change


def history(record: models.Model):
    from .models import StateChange

    return StateChange.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    ).select_related("by")
