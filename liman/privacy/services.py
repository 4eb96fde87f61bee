"""Writes of data protection: schedules, legal holds, and the retention run. Atomic and audited."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core import retention
from liman.core.access import has_role
from liman.core.services import record_create, record_update

from .models import Breach, LegalHold, PurgedRecord, RetentionSchedule
from .permissions import PRIVACY_ROLES


def _kind(key: str) -> retention.Kind:
    kind = retention.KINDS.get(key) if retention.kinds() else None
    if kind is None:
        raise ValidationError({"kind": _("%(kind)s is not a kind of record Liman keeps.") % {"kind": key}})
    return kind


def may_set_schedules(user) -> bool:
    """Schedules hold for every office: only an administrator of every office sets them."""
    return has_role(user, PRIVACY_ROLES, office=None) and any(
        grant.office_id is None for grant in user.role_grants.filter(role__in=PRIVACY_ROLES, is_pending=False)
    )


@transaction.atomic
def schedule_set(*, kind: str, days: int, action: str, is_active: bool, by) -> RetentionSchedule:
    found = _kind(kind)
    if by is not None and not may_set_schedules(by):
        raise PermissionDenied(_("Only an administrator of every office sets retention schedules."))
    if action not in found.actions:
        raise ValidationError({"action": _("%(kind)s cannot be deleted, only anonymised.") % {"kind": found.label}})
    if not days or days < 1:
        raise ValidationError({"days": _("A period is at least one day.")})
    schedule = RetentionSchedule.objects.filter(kind=kind).first()
    if schedule is None:
        schedule = RetentionSchedule(kind=kind, days=days, action=action, is_active=is_active, updated_by=by)
        return record_create(schedule, by=by, reason=_("Retention schedule set"))
    return record_update(
        schedule,
        by=by,
        changes={
            "days": days,
            "action": action,
            "is_active": is_active,
            "updated_by": by,
            "updated_at": timezone.now(),
        },
        reason=_("Retention schedule changed"),
    )


def _record_of(kind: retention.Kind, reference: str):
    from django.apps import apps

    model = apps.get_model(kind.root)
    manager = model._base_manager
    field_names = {field.name for field in model._meta.concrete_fields}
    found = manager.filter(reference=reference.strip().upper()).first() if "reference" in field_names else None
    if found is None and reference.strip().isdigit():
        found = manager.filter(pk=int(reference.strip())).first()
    if found is None:
        raise ValidationError({"reference": _("No %(kind)s has this reference.") % {"kind": kind.label}})
    return found


@transaction.atomic
def hold_place(*, kind: str, reference: str, reason: str, by) -> LegalHold:
    found = _kind(kind)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the record is held (the investigation, the court …).")})
    record = _record_of(found, reference)
    office_id = getattr(record, "office_id", None)
    if office_id is None or not has_role(by, PRIVACY_ROLES, office=office_id):
        raise PermissionDenied(_("You hold records of the offices you administer only."))
    if LegalHold.objects.current().filter(kind=kind, object_id=str(record.pk)).exists():
        raise ValidationError({"reference": _("This record is already held.")})
    hold = LegalHold(
        office_id=office_id,
        kind=kind,
        object_id=str(record.pk),
        reference=str(getattr(record, "reference", "") or record.pk),
        reason=reason.strip(),
        placed_by=by,
    )
    return record_create(hold, by=by, reason=_("Legal hold placed"))


@transaction.atomic
def hold_lift(*, hold: LegalHold, reason: str, by) -> LegalHold:
    if hold.lifted_at is not None:
        raise ValidationError(_("This hold was lifted already."))
    if not reason.strip():
        raise ValidationError({"lift_reason": _("Say why the hold is lifted.")})
    if not has_role(by, PRIVACY_ROLES, office=hold.office_id):
        raise PermissionDenied(_("You lift holds of the offices you administer only."))
    return record_update(
        hold,
        by=by,
        changes={"lifted_at": timezone.now(), "lifted_by": by, "lift_reason": reason.strip()},
        reason=_("Legal hold lifted"),
    )


def held_ids(kind: retention.Kind) -> set[str]:
    """The records of `kind` under a current hold: held themselves, or named by a held record of another kind (the
    person of a case under investigation is held with the case)."""
    from django.apps import apps

    root = apps.get_model(kind.root)
    held = set(LegalHold.objects.current().filter(kind=kind.key).values_list("object_id", flat=True))
    others: dict[str, list[str]] = {}
    for other_kind, object_id in LegalHold.objects.current().exclude(kind=kind.key).values_list("kind", "object_id"):
        others.setdefault(other_kind, []).append(object_id)
    for other_key, ids in others.items():
        other = retention.KINDS.get(other_key)
        if other is None:
            continue
        model = apps.get_model(other.root)
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is root:
                values = model._base_manager.filter(pk__in=ids).values_list(model_field.attname, flat=True)
                held.update(str(value) for value in values if value is not None)
    return held


def run(*, dry_run: bool, by=None, today: date | None = None, kinds: list[str] | None = None) -> list:
    """Every active schedule (or the `kinds` named): the records due, held and purged, by kind. A dry run
    changes nothing. Each kind is one transaction (one purge event)."""
    today = today or timezone.localdate()
    outcomes = []
    schedules = RetentionSchedule.objects.all() if kinds else RetentionSchedule.objects.filter(is_active=True)
    for schedule in schedules:
        if kinds and schedule.kind not in kinds:
            continue
        kind = retention.KINDS.get(schedule.kind) if retention.kinds() else None
        if kind is None:
            continue
        held = held_ids(kind)
        done = PurgedRecord.objects.filter(kind=kind.key).values_list("object_id", flat=True)
        with transaction.atomic():
            outcome = retention.purge(
                kind,
                cutoff=today - timedelta(days=schedule.days),
                action=schedule.action,
                held=list(held),
                done=list(done),
                dry_run=dry_run,
                actor=by,
                reason=_("Retention schedule: %(days)s days") % {"days": schedule.days},
            )
            if outcome.purged_ids and schedule.action == retention.ANONYMISE:
                PurgedRecord.objects.bulk_create(
                    [
                        PurgedRecord(
                            kind=kind.key, object_id=str(pk), action=schedule.action, audit_seq=outcome.event_seq
                        )
                        for pk in outcome.purged_ids
                    ],
                    batch_size=1000,
                )
        outcomes.append(outcome)
    return outcomes


@transaction.atomic
def breach_record(*, office, by, found_on: date, what_happened: str, data_affected: str, **fields) -> Breach:
    """Log a breach of `office` (the recorder administers it)."""
    if not has_role(by, PRIVACY_ROLES, office=office.pk):
        raise PermissionDenied(_("You log breaches of the offices you administer only."))
    problems = {}
    if not what_happened.strip():
        problems["what_happened"] = _("Say what happened.")
    if not data_affected.strip():
        problems["data_affected"] = _("Say which data was affected (kinds of records, fields, files).")
    if found_on > timezone.localdate():
        problems["found_on"] = _("The day it was found cannot be in the future.")
    occurred = fields.get("occurred_on")
    if occurred and occurred > found_on:
        problems["occurred_on"] = _("It cannot have happened after it was found.")
    for name in ("told_donor_on", "told_authority_on", "told_people_on"):
        if fields.get(name) and fields[name] < found_on:
            problems[name] = _("No one is told of a breach before it is found.")
    if problems:
        raise ValidationError(problems)
    breach = Breach(office=office, found_on=found_on, what_happened=what_happened.strip(),
                    data_affected=data_affected.strip(), recorded_by=by, **fields)  # fmt: skip
    return record_create(breach, by=by, reason=_("Data breach logged"))
