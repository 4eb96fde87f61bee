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

from .models import Breach, LegalHold, PurgedRecord, RetentionSchedule, SharingAgreement
from .permissions import PRIVACY_ROLES


def _kind(key: str) -> retention.Kind:
    kind = retention.KINDS.get(key) if retention.kinds() else None
    if kind is None:
        raise ValidationError({"kind": _("%(kind)s is not a kind of record Liman keeps.") % {"kind": key}})
    return kind


def may_set_schedules(user) -> bool:
    """Schedules hold for every office: only an administrator or a data protection focal point of every office sets
    them."""
    return has_role(user, PRIVACY_ROLES, office=None) and any(
        grant.office_id is None for grant in user.role_grants.filter(role__in=PRIVACY_ROLES, is_pending=False)
    )


@transaction.atomic
def schedule_set(*, kind: str, days: int, action: str, is_active: bool, by) -> RetentionSchedule:
    found = _kind(kind)
    if by is not None and not may_set_schedules(by):
        raise PermissionDenied(
            _("Only an administrator or a data protection focal point of every office sets retention schedules.")
        )
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


# --- data-sharing agreements --------------------------------------------------------------------------------

AGREEMENT_MAX_BYTES = 10 * 1024 * 1024


def may_record_agreement(user, office) -> bool:
    """An administrator of `office` (or, for an agreement of every office, an administrator of every office)."""
    if office is None:
        return may_set_schedules(user)
    return has_role(user, PRIVACY_ROLES, office=office.pk)


@transaction.atomic
def agreement_record(
    *,
    by,
    title: str,
    partner=None,
    authority: str = "",
    office=None,
    purposes: list[str],
    categories: list[str],
    legal_basis: str,
    starts_on: date,
    ends_on: date,
    focal_points: str,
    document=None,
) -> SharingAgreement:
    """Register a signed data-sharing agreement (its PDF kept encrypted, served only through an audited view)."""
    from liman.core.services import new_reference
    from liman.registry.services import sniff_content_type

    if by is not None and not may_record_agreement(by, office):
        raise PermissionDenied(_("You record agreements of the offices you administer only."))
    problems = {}
    if not title.strip():
        problems["title"] = _("Give the agreement a title.")
    if not focal_points.strip():
        problems["focal_points"] = _("Name the focal points on each side.")
    if document is not None:
        head = document.read(16)
        document.seek(0)
        if sniff_content_type(head) != "application/pdf":
            problems["document"] = _("The signed document is a PDF file.")
        elif document.size > AGREEMENT_MAX_BYTES:
            problems["document"] = _("The signed document is larger than 10 MB.")
    prefix = f"{office.code}-DSA" if office is not None else "DSA"
    agreement = SharingAgreement(
        reference=new_reference(prefix, SharingAgreement, length=6),
        office=office,
        title=title.strip(),
        partner=partner,
        authority=authority.strip(),
        purposes=sorted(set(purposes)),
        categories=sorted(set(categories)),
        legal_basis=legal_basis,
        starts_on=starts_on,
        ends_on=ends_on,
        focal_points=focal_points.strip(),
        recorded_by=by,
    )
    try:
        agreement.full_clean(exclude=["document", "reference"], validate_constraints=False)
    except ValidationError as exc:
        for field, texts in exc.message_dict.items():
            problems.setdefault(field, " ".join(texts))
    if problems:
        raise ValidationError(problems)
    if document is not None:
        agreement.document_name = document.name[:200]
        agreement.document.save(document.name, document, save=False)
    return record_create(agreement, by=by, reason=_("Data-sharing agreement recorded"))


@transaction.atomic
def agreement_end(*, agreement: SharingAgreement, ends_on: date, by, reason: str) -> SharingAgreement:
    """End an agreement early (terminated, breached): nothing is shared under it after `ends_on`."""
    if by is not None and not may_record_agreement(by, agreement.office):
        raise PermissionDenied(_("You change agreements of the offices you administer only."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the agreement ends early.")})
    if ends_on < agreement.starts_on or ends_on > agreement.ends_on:
        raise ValidationError({"ends_on": _("An agreement ends early between its start and its planned end.")})
    return record_update(agreement, by=by, changes={"ends_on": ends_on}, reason=reason.strip())


# --- requests from the people themselves --------------------------------------------------------------------


def _may_handle(user, office_id) -> bool:
    from .permissions import SUBJECT_REQUEST_ROLES

    return has_role(user, SUBJECT_REQUEST_ROLES, office=office_id)


@transaction.atomic
def subject_request_log(*, person, kind: str, by, details: str = "", received_on: date | None = None):
    """Log a person's request about their data; it is due `LIMAN_SUBJECT_REQUEST_DAYS` after it was received."""
    from liman.core.access import strictest
    from liman.core.services import new_reference

    from .choices import RequestKind
    from .models import SubjectRequest, subject_request_days

    if by is not None and not _may_handle(by, person.office_id):
        raise PermissionDenied(_("Requests are logged by caseworkers and supervisors of the person's office."))
    received_on = received_on or timezone.localdate()
    problems = {}
    if kind not in RequestKind.values:
        problems["kind"] = _("Choose access, correction, objection or deletion.")
    if received_on > timezone.localdate():
        problems["received_on"] = _("A request cannot be received in the future.")
    if problems:
        raise ValidationError(problems)
    request = SubjectRequest(
        reference=new_reference(f"{person.office.code}-DSR", SubjectRequest, length=6),
        office_id=person.office_id,
        person=person,
        sensitivity=strictest([person.sensitivity, "protection"]),
        kind=kind,
        received_on=received_on,
        due_on=received_on + timedelta(days=subject_request_days()),
        details=details.strip(),
        recorded_by=by,
    )
    return record_create(request, by=by, reason=_("Request from the person logged"))


def _require_handler(request, by) -> None:
    if by is not None and not _may_handle(by, request.office_id):
        raise PermissionDenied(_("Requests are answered by caseworkers and supervisors of the person's office."))


@transaction.atomic
def subject_request_step(*, request, to_state: str, by, answer: str = "", reason: str = ""):
    """Move a request on (in progress, answered, refused, closed); an answer given is kept with it."""
    from liman.core.workflows import transition

    _require_handler(request, by)
    if answer.strip() and answer.strip() != request.answer:
        record_update(request, by=by, changes={"answer": answer.strip(), "handled_by": by}, reason=_("Answer"))
    transition(request, to_state, by=by, reason=reason)
    return request


def _outcome(request, *, by, event_seq: int, answer: str):
    from liman.core.workflows import transition

    from .choices import RequestStatus

    record_update(
        request, by=by, changes={"outcome_event_seq": event_seq, "answer": answer, "handled_by": by},
        reason=_("What was done"),
    )  # fmt: skip
    if request.status == RequestStatus.RECEIVED:
        transition(request, RequestStatus.IN_PROGRESS, by=by)
    transition(request, RequestStatus.ANSWERED, by=by)
    return request


@transaction.atomic
def subject_request_correct(*, request, changes: dict, by):
    """A correction request answered: the person's record updated (audited), the request linked to that event."""
    from liman.core.models import AuditEvent
    from liman.registry.services import person_update

    from .choices import RequestKind

    _require_handler(request, by)
    if request.kind != RequestKind.CORRECTION:
        raise ValidationError(_("Only a correction request corrects the record."))
    if not changes:
        raise ValidationError(_("Say what is corrected."))
    person_update(person=request.person, changes=changes, by=by, reason=_("Correction asked by the person"))
    event = AuditEvent.objects.filter(object_type="registry.person", object_id=str(request.person_id)).latest("seq")
    answer = _("Corrected: %(fields)s.") % {"fields": ", ".join(sorted(changes))}
    return _outcome(request, by=by, event_seq=event.seq, answer=answer)


def deletion_refusal(person) -> str:
    """Why a person's record cannot be anonymised now (a legal hold, an open case), or an empty string."""
    from liman.cases.models import Case

    kind = retention.KINDS.get("registry.person") if retention.kinds() else None
    if kind is not None and str(person.pk) in held_ids(kind):
        return _("A legal hold keeps this person's record (or a case of theirs) whole: it cannot be deleted now.")
    open_case = Case.objects.open().filter(person=person).first()
    if open_case is not None:
        return _("The case %(reference)s is open: close it before the person's data can be deleted.") % {
            "reference": open_case.reference
        }
    return ""


@transaction.atomic
def subject_request_delete(*, request, by):
    """A deletion request answered by the anonymisation of part 1 (the retention purge's, for this one person):
    names, phones, identifiers, notes and files go; refused, saying why, under a legal hold or with a case open."""
    from liman.core import audit
    from liman.core.choices import AuditAction
    from liman.registry.models import Person

    from .choices import RequestKind

    _require_handler(request, by)
    if request.kind != RequestKind.DELETION:
        raise ValidationError(_("Only a deletion request deletes the person's data."))
    refusal = deletion_refusal(request.person)
    if refusal:
        raise ValidationError(refusal)
    kind = retention.KINDS["registry.person"]
    work = retention.Purge()
    kind.run(retention.ANONYMISE, Person._base_manager.filter(pk=request.person_id), work)
    seqs = work.finish()
    event = audit.record(
        AuditAction.PURGE, actor=by, object_type=kind.root, object_repr=f"{kind.key}: 1",
        changes={"kind": kind.key, "action": retention.ANONYMISE, "count": 1, "request": request.reference,
                 "redacted": audit.seq_ranges(seqs)},
        reason=_("Deletion asked by the person"), sensitivity="protection",
    )  # fmt: skip
    audit.redact(seqs, by=event)
    transaction.on_commit(work.remove_files)
    PurgedRecord.objects.get_or_create(
        kind=kind.key, object_id=str(request.person_id),
        defaults={"action": retention.ANONYMISE, "audit_seq": event.seq},
    )  # fmt: skip
    request.refresh_from_db()  # what the person asked went with their data
    return _outcome(request, by=by, event_seq=event.seq, answer=_("The person's data was deleted (anonymised)."))


def subject_request_export(*, request, by, ip_address: str = "") -> tuple[bytes, str]:
    """An access request's export (person.json and person.pdf in a ZIP), audited; the request records its event."""
    from liman.core.models import AuditEvent

    from .person_export import export_zip

    _require_handler(request, by)
    content, digest = export_zip(by, request.person, reason=request.reference, ip_address=ip_address)
    event = AuditEvent.objects.filter(object_type="registry.person", object_id=str(request.person_id)).latest("seq")
    record_update(request, by=by, changes={"outcome_event_seq": event.seq, "handled_by": by},
                  reason=_("Access export made"))  # fmt: skip
    return content, digest
