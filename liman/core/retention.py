"""Retention: how long each kind of record keeps its personal data, and how it is removed.

Each app that holds personal data declares its kinds in its own `retention.py` (loaded by `autodiscover`, which
the privacy app calls when Liman starts): the records whose clock started before a cutoff (`due`), and how one batch
of them is anonymised or deleted. A country office sets each kind's period and action as data (the privacy app's
schedules); `purge` runs one kind in one transaction:

* anonymising empties identifiers, names, phones, free text and files, and keeps sex, age, nationality, place and
  dates, so every figure (reporting months, 4W) stays exactly as it was;
* deleting removes the records (and their files);
* either way, the payloads of the audit events about the touched records are redacted (`audit.redact`) and the
  reasons of their state history emptied; the purge itself is one audit event naming the kind, the count and the
  events it redacted, never a purged value.

Models that hold no personal data say so in `declare_no_personal_data`; the data map test fails for a model that
does neither.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils.module_loading import autodiscover_modules

from . import audit
from .choices import AuditAction

ANONYMISE = "anonymise"
DELETE = "delete"
ACTIONS = (ANONYMISE, DELETE)


class Purge:
    """What one batch touched: the records whose audit payloads and state reasons are redacted, and the files to
    remove once the transaction commits. Kinds write through it, never record by record through services (which
    would copy the old values into new audit events)."""

    def __init__(self):
        self.touched: dict[type[models.Model], set] = defaultdict(set)
        self.files: list[FieldFile] = []
        #: Audit events to redact beyond those about the touched records (the audit kind's own).
        self.seqs: list[int] = []

    def touch(self, model: type[models.Model], pks: Iterable) -> None:
        self.touched[model].update(pks)

    def touch_related(self, model: type[models.Model], pks: Iterable) -> None:
        """Every record of every model that links to these records of `model` has its audit events redacted too
        (their names often carry the person's: a household member, a legal status, an entitlement)."""
        from django.apps import apps

        pks = list(pks)
        if not pks:
            return
        for other in apps.get_models():
            if not other.__module__.startswith("liman."):
                continue
            for model_field in other._meta.concrete_fields:
                if model_field.is_relation and model_field.related_model is model:
                    related = other._base_manager.filter(**{f"{model_field.name}__in": pks}).values_list(
                        "pk", flat=True
                    )
                    self.touch(other, related)

    def blank(self, queryset: models.QuerySet, *names: str, **values) -> int:
        """Empty `names` of every record of `queryset` (and set `values`): text to "", an encrypted field to an
        encrypted "", a blind index and a nullable field to NULL, JSON to its default, a file removed."""
        model = queryset.model
        pks = list(queryset.values_list("pk", flat=True))
        if not pks:
            return 0
        self.touch(model, pks)
        update = dict(values)
        for name in names:
            model_field = model._meta.get_field(name)
            if isinstance(model_field, models.FileField):
                self._collect_files(model, pks, name)
                update[name] = ""
            else:
                update[name] = _empty(model_field)
            for other in model._meta.concrete_fields:  # the blind index of an encrypted field goes with it
                if getattr(other, "source", None) == name:
                    update[other.name] = None
        return model._base_manager.filter(pk__in=pks).update(**update) if update else len(pks)

    def delete(self, queryset: models.QuerySet) -> int:
        """Delete the records of `queryset` (their files removed after commit; related rows as the models say)."""
        model = queryset.model
        pks = list(queryset.values_list("pk", flat=True))
        if not pks:
            return 0
        self.touch(model, pks)
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                self._collect_files(model, pks, model_field.name)
        model._base_manager.filter(pk__in=pks).delete()
        return len(pks)

    def _collect_files(self, model, pks, name: str) -> None:
        for instance in model._base_manager.filter(pk__in=pks).exclude(**{name: ""}).only("pk", name):
            self.files.append(getattr(instance, name))

    def finish(self) -> list[int]:
        """Empty the reasons of the touched records' state history; return the audit events about them."""
        from django.contrib.contenttypes.models import ContentType

        from .models import StateChange

        targets = {}
        for model, pks in self.touched.items():
            keys = sorted(str(pk) for pk in pks)
            targets[model._meta.label_lower] = keys
            content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
            for start in range(0, len(keys), 500):
                StateChange.objects.filter(content_type=content_type, object_id__in=keys[start : start + 500]).exclude(
                    reason=""
                ).update(reason="")
        return sorted(set(audit.events_about(targets)) | set(self.seqs))

    def remove_files(self) -> None:
        for file in self.files:
            file.storage.delete(file.name)


def _empty(model_field: models.Field):
    if isinstance(model_field, models.JSONField):
        return model_field.get_default()
    if model_field.null:
        return None
    if isinstance(model_field, models.CharField | models.TextField):
        return ""
    return model_field.get_default()


#: `due(cutoff)`: the records (their root: a case, an assessment …) whose clock started before `cutoff`.
Due = Callable[[date], models.QuerySet]
#: `action(queryset, purge)`: anonymise or delete the records of `queryset` (and what belongs to them).
Action = Callable[[models.QuerySet, Purge], object]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    #: What starts the clock, in words ("the case was closed").
    clock: str
    #: Model labels ("cases.case") whose personal data this kind removes (the data map reads them).
    models: tuple[str, ...]
    due: Due
    anonymise: Action | None = None
    delete: Action | None = None
    default_days: int = 365 * 5
    default_action: str = ANONYMISE
    #: What an anonymised record keeps, in words, for the data map.
    keeps: str = ""

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(a for a, run in ((ANONYMISE, self.anonymise), (DELETE, self.delete)) if run is not None)

    @property
    def root(self) -> str:
        return self.models[0]

    @property
    def covers(self) -> tuple[str, ...]:
        """Every model whose personal data the kind removes: its own and its parts' (other apps')."""
        return self.models + tuple(label for part in PARTS.get(self.key, []) for label in part[0])

    def run(self, action: str, queryset: models.QuerySet, work: Purge) -> None:
        """The kind's own action, then each part another app added to it (anonymising what it holds about the same
        records: a person's messages, bookings, participations …)."""
        (self.anonymise if action == ANONYMISE else self.delete)(queryset, work)
        for _labels, part in PARTS.get(self.key, []):
            part(queryset, work)


KINDS: dict[str, Kind] = {}
#: Model label → why it holds no personal data.
NO_PERSONAL_DATA: dict[str, str] = {}
#: Kind key → [(model labels, anonymise(queryset of the kind's roots, purge))]: what other apps hold about the
#: same records, anonymised with them (before a deletion of the roots too).
PARTS: dict[str, list[tuple[tuple[str, ...], Action]]] = defaultdict(list)
#: Model label → why it holds personal data that no retention kind removes (staff accounts).
KEPT: dict[str, str] = {}


def register(kind: Kind) -> Kind:
    if kind.default_action not in kind.actions:
        raise ValueError(f"Retention kind {kind.key}: its default action {kind.default_action!r} is not offered.")
    KINDS[kind.key] = kind
    return kind


def declare_no_personal_data(reason: str, *labels: str) -> None:
    for label in labels:
        NO_PERSONAL_DATA[label.lower()] = reason


def register_part(kind_key: str, labels: tuple[str, ...], anonymise: Action) -> None:
    """Another app's rows about the records of `kind_key` (in `labels`), anonymised with them."""
    if labels not in {existing for existing, _ in PARTS[kind_key]}:
        PARTS[kind_key].append((tuple(label.lower() for label in labels), anonymise))


def declare_kept(reason: str, *labels: str) -> None:
    for label in labels:
        KEPT[label.lower()] = reason


def kinds() -> list[Kind]:
    autodiscover()
    return sorted(KINDS.values(), key=lambda kind: kind.key)


def kinds_of_model(label: str) -> list[Kind]:
    label = label.lower()
    return [kind for kind in kinds() if label in kind.covers]


_discovered = False


def autodiscover() -> None:
    """Import `retention.py` of every installed app (once)."""
    global _discovered
    if not _discovered:
        _discovered = True
        _register_core()
        autodiscover_modules("retention")


@dataclass
class Outcome:
    kind: Kind
    action: str
    cutoff: date
    due: int
    held: int
    purged: int = 0
    redacted: int = 0
    event_seq: int | None = None
    dry_run: bool = True
    held_ids: list = field(default_factory=list)
    purged_ids: list = field(default_factory=list)


def purge(
    kind: Kind,
    *,
    cutoff: date,
    action: str,
    held: Iterable = (),
    done: Iterable = (),
    dry_run: bool = False,
    actor=None,
    reason: str = "",
) -> Outcome:
    """Anonymise or delete the records of `kind` whose clock started before `cutoff`, except those `held` and those
    `done` (anonymised before) (primary keys of the kind's root model), in one transaction; a dry run counts and
    changes nothing. `Outcome.purged_ids` names the records purged."""
    if action not in kind.actions:
        raise ValueError(f"{kind.key} cannot be purged by {action!r} (it offers {', '.join(kind.actions)}).")
    held = {str(pk) for pk in held}
    done = {str(pk) for pk in done}
    due = kind.due(cutoff)
    due_ids = [pk for pk in due.values_list("pk", flat=True).distinct() if str(pk) not in done]
    kept = [pk for pk in due_ids if str(pk) in held]
    go = [pk for pk in due_ids if str(pk) not in held]
    outcome = Outcome(kind, action, cutoff, due=len(due_ids), held=len(kept), dry_run=dry_run, held_ids=kept)
    if dry_run or not go:
        return outcome
    work = Purge()
    with transaction.atomic():
        for start in range(0, len(go), 500):
            targets = due.model._base_manager.filter(pk__in=go[start : start + 500])
            if action == DELETE:  # the parts first, while the rows they follow are there
                for _labels, part in PARTS.get(kind.key, []):
                    part(targets, work)
                kind.delete(targets, work)
            else:
                kind.run(action, targets, work)
        seqs = work.finish()
        event = audit.record(
            AuditAction.PURGE,
            actor=actor,
            object_type=kind.root,
            object_repr=f"{kind.key}: {len(go)}",
            changes={
                "kind": kind.key,
                "action": action,
                "cutoff": cutoff.isoformat(),
                "count": len(go),
                "held": len(kept),
                "redacted": audit.seq_ranges(seqs),
            },
            reason=reason,
        )
        outcome.redacted = audit.redact(seqs, by=event)
        outcome.purged, outcome.event_seq, outcome.purged_ids = len(go), event.seq, go
        transaction.on_commit(work.remove_files)
    return outcome


# --- core's own kinds ------------------------------------------------------------------------------------------


def _register_core() -> None:
    from django.utils.translation import gettext_lazy as _

    from .models import AuditEvent, ImportBatch, StagedRow

    def batches_due(cutoff: date):
        from django.db.models import Exists, OuterRef, Q

        has_rows = Exists(StagedRow.objects.filter(batch=OuterRef("pk")))
        return ImportBatch.objects.filter(Q(has_rows) | ~Q(file_name=""), created_at__date__lt=cutoff)

    def batches_clear(batches, work: Purge):
        work.delete(StagedRow.objects.filter(batch__in=batches))
        work.blank(batches, "rows_key", "notices", "file_name")

    def batches_delete(batches, work: Purge):
        work.delete(StagedRow.objects.filter(batch__in=batches))
        work.delete(batches)

    register(
        Kind(
            "core.staged_import",
            _("Staged imports"),
            _("the file was uploaded"),
            ("core.importbatch", "core.stagedrow"),
            due=batches_due,
            anonymise=batches_clear,
            delete=batches_delete,
            default_days=90,
            keeps=_("the batch's kind, office, counts and dates; every staged row goes"),
        )
    )

    def events_due(cutoff: date):
        return AuditEvent.objects.filter(at__date__lt=cutoff, redacted_by=None).exclude(action=AuditAction.PURGE)

    def events_redact(events, work: Purge):
        work.seqs.extend(events.values_list("seq", flat=True))

    register(
        Kind(
            "core.audit_event",
            _("Audit events"),
            _("the event was written"),
            ("core.auditevent", "core.statechange"),
            due=events_due,
            anonymise=events_redact,
            default_days=365 * 10,
            keeps=_(
                "who did what, when, to which record (its type and number); the record's name, the values and the "
                "reason go; the chain still verifies. State history loses its reasons with the record purged."
            ),
        )
    )
    declare_no_personal_data(
        _("reference data, configuration and bookkeeping"),
        "core.adminarea",
        "core.office",
        "core.programme",
        "core.auditchainhead",
        "core.apitoken",
        "core.taskprogress",
    )
    declare_kept(
        _("staff accounts and their grants: kept while the person works with the office; deactivated, never purged"),
        "core.user",
        "core.rolegrant",
    )
