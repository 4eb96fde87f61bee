"""Declarative workflows: states, transitions, guard rules and the roles allowed to take each one.

An app declares a `Workflow` for each record type in its own `workflows.py`; the one service
`transition(record, to_state, by=user, reason=...)` checks role and guards, writes the new state,
the history row and the audit event, atomically. A refused transition raises `TransitionRefused`
whose messages are written for the caseworker, not the developer.

Every state change leaves one kind of history row (`StateChange`), written by `record_state_change`: the
engine's `transition` calls it, and so does every service that sets a state or status field of a record that
has no declared workflow (flights, bookings, health assessments, import batches, submissions, match pairs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext as _

from . import audit, bulk
from .access import has_role, record_tier
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
    #: Goes back to a state the record was in before (re-opening, resuming after a hold): the engine takes it
    #: only to a state the record's history shows it reached, so the guards on the way there were met once.
    resumes: bool = False

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
        if step.resumes and not self.has_reached(record, target):
            problems.append(
                _("The record was never “%(target)s”: it can only go back to a step it already took.")
                % {"target": label}
            )
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
            step = None if target in seen else self.find(record, target)
            if step is None:
                continue
            # A record goes back to one place (where it was): the other ways back are not offered.
            if step.resumes and any(guard(record) for guard in step.guards):
                continue
            seen.add(target)
            steps.append((target, str(self.states(target).label), self.blockers(record, target, user=user)))
        return steps

    def has_reached(self, record, state: str) -> bool:
        """Whether the record's history shows it in `state` at some point (every record starts in the initial)."""
        from .models import StateChange

        if state == self.initial:
            return True
        return StateChange.objects.filter(
            content_type=ContentType.objects.get_for_model(record),
            object_id=str(record.pk),
            workflow=self.name,
            to_state=state,
        ).exists()

    def state_left_for(self, record, state: str) -> str | None:
        """The state the record was in when it last entered `state` (None: no history of it)."""
        from .models import StateChange

        last = (
            StateChange.objects.filter(
                content_type=ContentType.objects.get_for_model(record),
                object_id=str(record.pk),
                workflow=self.name,
                to_state=state,
            )
            .order_by("-at", "-id")
            .first()
        )
        return last.from_state if last is not None else None


def declared() -> list[Workflow]:
    """Every workflow the installed apps declare in their `workflows` module (for the generic checks)."""
    found: dict[int, Workflow] = {}
    for app in apps.get_app_configs():
        try:
            module = import_module(f"{app.name}.workflows")
        except ModuleNotFoundError as missing:
            if missing.name != f"{app.name}.workflows":
                raise
            continue
        for value in vars(module).values():
            candidates = value.values() if isinstance(value, dict) else [value]
            for candidate in candidates:
                if isinstance(candidate, Workflow):
                    found[id(candidate)] = candidate
    return list(found.values())


class TransitionRefused(Exception):
    """The step was not taken; `messages` say why, in the user's words."""

    def __init__(self, messages: Iterable[str]):
        self.messages = [str(message) for message in messages]
        super().__init__(" ".join(self.messages))


def transition(
    record: models.Model, to_state: str, *, by, reason: str = "", workflow: Workflow | None = None, **context
):
    """Move `record` to `to_state` if the workflow allows it; history row and audit event in one transaction."""
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
        change = record_state_change(
            record, field=workflow.state_field, old=from_state, new=to_state, by=by, reason=reason,
            workflow=workflow.name,
        )  # fmt: skip
        audit.record(
            AuditAction.TRANSITION,
            actor=by,
            obj=record,
            changes={workflow.state_field: [from_state, to_state]},
            reason=reason,
        )
    return change


def record_state_change(
    record: models.Model,
    *,
    field: str,
    old: str,
    new: str,
    by,
    reason: str = "",
    workflow: str = "",
    office_id: int | None = None,
    sensitivity: str = "",
):
    """The history row of one change of `record.<field>` from `old` to `new` (`old` empty: created in `new`).

    The one way state history is written: `transition` calls it, and so does every service that sets a state
    or status outside a workflow, inside its own transaction (the caller writes the audit event). A record with
    no office or tier of its own passes those of what it belongs to, so its history is scoped like it."""
    if old == new:
        return None
    change = _state_change_row(
        type(record), record.pk, field=field, old=old, new=new, by=by, reason=reason, workflow=workflow,
        office_id=office_id or getattr(record, "office_id", None),
        sensitivity=sensitivity or record_tier(record),
    )  # fmt: skip
    change.save()
    return change


def state_set(
    record: models.Model,
    *,
    field: str,
    new: str,
    by,
    reason: str = "",
    changes: dict | None = None,
    office_id: int | None = None,
    sensitivity: str = "",
):
    """Set a state or status outside a workflow: the audited update (with any other `changes`) and the history
    row, in one transaction."""
    from .services import record_update

    old = getattr(record, field)
    with transaction.atomic():
        record = record_update(record, by=by, changes={**(changes or {}), field: new}, reason=reason)
        record_state_change(
            record, field=field, old=old, new=new, by=by, reason=reason, office_id=office_id, sensitivity=sensitivity
        )
    return record


def record_state_changes(
    model: type[models.Model],
    moves: Iterable[tuple[object, str, str, int | None, str]],
    *,
    field: str,
    by,
    reason: str = "",
    workflow: str = "",
) -> int:
    """The bulk form of `record_state_change`, for services that change many rows in one statement: `moves` are
    (key, old, new, office id, sensitivity) of each row; rows whose state did not change are skipped."""

    from .models import StateChange

    by_id = by.pk if getattr(by, "is_authenticated", False) else None
    same = {
        "content_type_id": ContentType.objects.get_for_model(model).pk,
        "workflow": workflow or f"{model._meta.label_lower}.{field}",
        "by_id": by_id,
        "reason": reason,
    }  # `at`: the field's default, as `record_state_change` takes it (one clock for both)
    rows = [
        {**same, "office_id": office_id, "sensitivity": sensitivity or "normal", "object_id": str(pk),
         "from_state": old or "", "to_state": new}
        for pk, old, new, office_id, sensitivity in moves
        if old != new
    ]  # fmt: skip
    bulk.insert_many(StateChange, rows)
    return len(rows)


def _state_change_row(model, pk, *, field, old, new, by, reason, workflow, office_id, sensitivity):
    from .models import StateChange

    return StateChange(
        office_id=office_id,
        sensitivity=sensitivity or "normal",
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(pk),
        workflow=workflow or f"{model._meta.label_lower}.{field}",
        from_state=old or "",
        to_state=new,
        by=by,
        reason=reason,
    )


def history(record: models.Model):
    from .models import StateChange

    return StateChange.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    ).select_related("by")
