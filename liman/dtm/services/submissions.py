"""Submissions, received over OpenRosa or imported: stored once, turned into their form's record (BUILDERS) or kept
for review with the reason, processed again, corrected answer by answer, dismissed."""

from __future__ import annotations

import contextlib
import copy
import datetime
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.models import Office, User
from liman.core.workflows import record_state_change

from .. import targets
from ..choices import FormTarget, SubmissionState
from ..instance import InstanceError, ParsedInstance, parse_instance
from ..models import (
    DatasetRecord,
    FieldUser,
    FlowCount,
    Form,
    PresenceFigure,
    SiteAssessment,
    Submission,
    SubmissionAttachment,
)
from .builders import (
    NeedsReview,
    build_cash_pdm,
    build_dataset_record,
    build_flow_counts,
    build_msme_visit,
    build_presence,
    build_site_assessment,
)
from .incidents import build_border_incident
from .records import validation_text
from .rollup import FLOW_CELL_VALUES, FlowRollupDelta, pending_rollup, rollup_statements, run_rollup


class SubmissionRefused(Exception):
    """A submission that is not stored, with the HTTP status and the message the phone shows."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class AttachmentUpload:
    name: str
    content: bytes
    content_type: str = ""


@dataclass
class Receipt:
    submission: Submission
    #: "created", "duplicate" (the same instance again: nothing new), "edit" (a new version of an earlier one)
    outcome: str
    attachments_added: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PublishedVersion:
    """What the phones' path needs of a form version: its id, label and repeats."""

    pk: int
    version: str
    repeat_paths: frozenset[str]


#: A published version never changes, so what the phones' path needs of it is kept in each process, by form
#: (its id and creation time: a form that reuses the id of a removed one is another key) and version label.
_PUBLISHED: dict[tuple[int, datetime.datetime, str], PublishedVersion] = {}
_PUBLISHED_MAX = 2048


def _published_version(form: Form, label: str) -> PublishedVersion | None:
    """The version `label` of `form`, or its newest one when the instance names none."""
    key = (form.pk, form.created_at, label)
    if label and (known := _PUBLISHED.get(key)) is not None:
        return known
    versions = form.versions.all()  # newest first
    found = (versions.filter(version=label) if label else versions).values_list("pk", "version", "fields").first()
    if found is None:
        return None
    pk, version, fields = found
    published = PublishedVersion(pk, version, frozenset(e["path"] for e in fields if e.get("type") == "repeat"))
    if label:
        if len(_PUBLISHED) >= _PUBLISHED_MAX:
            _PUBLISHED.clear()
        _PUBLISHED[key] = published
    return published


def _find_form(office: Office, parsed: ParsedInstance, *, accept_closed: bool = False) -> tuple[Form, PublishedVersion]:
    # On the path every phone takes: the form (it may have been closed or bound meanwhile) is read each time,
    # what its version says is kept.
    try:
        form = Form.objects.get(office=office, form_id=parsed.form_id)
    except Form.DoesNotExist:
        raise SubmissionRefused(
            _("The form '%(form)s' is not known on this server. Get blank forms again.") % {"form": parsed.form_id},
            status=404,
        ) from None
    if not form.is_open and not accept_closed:
        raise SubmissionRefused(
            _("The form '%(form)s' is closed and accepts no more submissions.") % {"form": parsed.form_id}, status=403
        )
    version = _published_version(form, parsed.version)
    if version is None:
        raise SubmissionRefused(
            _("Version %(version)s of the form '%(form)s' is not known here. Get blank forms again.")
            % {"version": parsed.version, "form": parsed.form_id},
            status=404,
        )
    return form, version


def _add_attachments(submission: Submission, attachments: list[AttachmentUpload], *, is_new: bool = False) -> list[str]:
    if not attachments:
        return []
    present = set() if is_new else set(submission.attachments.values_list("name", flat=True))
    added = []
    for upload in attachments:
        name = upload.name.rsplit("/", 1)[-1]
        if not name or name in present:
            continue
        attachment = SubmissionAttachment(
            submission=submission,
            name=name[:200],
            content_type=upload.content_type[:100],
            size=len(upload.content),
            md5=hashlib.md5(upload.content, usedforsecurity=False).hexdigest(),
        )
        attachment.file.save(name, ContentFile(upload.content), save=False)
        attachment.full_clean(exclude=["submission"])
        attachment.save()
        present.add(name)
        added.append(name)
    return added


def submission_receive(
    *,
    office: Office,
    xml: bytes,
    attachments: Iterable[AttachmentUpload] = (),
    field_user: FieldUser | None = None,
    by: User | None = None,
    source: str = "openrosa",
    received_at: datetime.datetime | None = None,
    accept_closed: bool = False,
    existing_is_skipped: bool = False,
) -> Receipt:
    """Store one instance as Collect sent it, once; then turn it into its form's record or queue it for review.

    The same instanceID with the same XML is a resend: nothing new is stored (attachments missing
    before are added). The same instanceID with other XML is a conflict. A `meta/deprecatedID`
    naming an earlier instance makes this a new version of it. Raises `SubmissionRefused`.

    Imports of past data pass `accept_closed` (a closed form's submissions may still be brought in) and
    `existing_is_skipped` (an instance already received, from the phone itself, is left as it is).
    """
    try:
        parsed = parse_instance(xml)
    except InstanceError as exc:
        raise SubmissionRefused(str(exc), status=400) from exc
    form, version = _find_form(office, parsed, accept_closed=accept_closed)
    digest = hashlib.sha256(xml).hexdigest()
    attachments = list(attachments)
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionRefused(_("The submission is not UTF-8 text."), status=400) from exc

    with transaction.atomic():
        previous = None
        if parsed.deprecated_id:
            previous = (
                Submission.objects.select_for_update().filter(form=form, instance_id=parsed.deprecated_id).first()
            )
            if previous is not None and not previous.is_current:
                resent = Submission.objects.filter(form=form, instance_id=parsed.instance_id).first()
                if resent is not None:  # this very edit, sent again
                    return Receipt(resent, "duplicate") if existing_is_skipped else _resent(resent, digest, attachments)
                raise SubmissionRefused(
                    _("The submission %(id)s was already replaced by another edit; this edit is refused.")
                    % {"id": parsed.deprecated_id},
                    status=409,
                )
        submission = Submission(
            office=office,
            form=form,
            form_version_id=version.pk,
            instance_id=parsed.instance_id,
            root_instance_id=previous.root_instance_id if previous else parsed.instance_id,
            deprecated_id=parsed.deprecated_id,
            supersedes=previous,
            xml=text,
            xml_sha256=digest,
            data=parsed.answers(version.repeat_paths),
            submitted_by=field_user,
            source=source,
            received_at=received_at or timezone.now(),
        )
        if form.target != FormTarget.NONE:
            # Most submissions become their record: stored so at once, one UPDATE fewer on the phones' path.
            submission.state, submission.processed_at = SubmissionState.PROCESSED, timezone.now()
        try:
            with transaction.atomic():
                # The related records come from this server's own lookups: no need to query them again.
                submission.full_clean(
                    exclude=["office", "form", "form_version", "supersedes", "submitted_by"],
                    validate_unique=False,
                    validate_constraints=False,
                )
                submission.save()
                # Inserted as it is expected to end (processed): its history starts there.
                record_state_change(submission, field="state", old="", new=submission.state, by=by)
        except IntegrityError:
            # The instance is already here: a phone resending (no answer reached it), perhaps a moment ago
            # through another worker. Inserting first and looking only then keeps a query off the usual path.
            existing = Submission.objects.filter(form=form, instance_id=parsed.instance_id).first()
            if existing is None:  # two edits of the same submission at once: the other one won
                raise SubmissionRefused(
                    _("The submission %(id)s was edited again meanwhile; this edit is refused.")
                    % {"id": parsed.deprecated_id},
                    status=409,
                ) from None
            if existing_is_skipped:
                return Receipt(existing, "duplicate")
            return _resent(existing, digest, attachments)
        added = _add_attachments(submission, attachments, is_new=True)
        if previous is not None:
            Submission.objects.filter(pk=previous.pk).update(is_current=False, state=SubmissionState.SUPERSEDED)
            record_state_change(previous, field="state", old=previous.state, new=SubmissionState.SUPERSEDED, by=by)
            previous.is_current, previous.state = False, SubmissionState.SUPERSEDED
        submission_process(submission=submission, by=by)
        rollup = rollup_statements(submission.__dict__.pop("_flow_rollup", FlowRollupDelta()))
        audit.record(
            AuditAction.CREATE,
            actor=by,
            obj=submission,
            actor_username="" if by else f"field:{field_user.username}" if field_user else "",
            changes={
                "form": [None, form.form_id],
                "version": [None, version.version],
                "instance_id": [None, parsed.instance_id],
                "deprecated_id": [None, parsed.deprecated_id or None],
                "state": [None, submission.state],
                **{kind: [None, summary] for kind, summary in submission.__dict__.get("_records", {}).items()},
            },
        )
        run_rollup(rollup)  # right after the audit event, prepared before it: see FlowRollupDelta
    return Receipt(submission, "edit" if previous else "created", added)


def _resent(existing: Submission, digest: str, attachments: list[AttachmentUpload]) -> Receipt:
    if existing.xml_sha256 != digest:
        raise SubmissionRefused(
            _("A different submission with the instance ID %(id)s was already received; this one is refused.")
            % {"id": existing.instance_id},
            status=409,
        )
    with transaction.atomic():
        added = _add_attachments(existing, attachments)
    return Receipt(existing, "duplicate", added)


def submission_process(*, submission: Submission, by: User | None = None) -> Submission:
    """Turn a submission into its form's record; on any problem keep it in the review list with the reason."""
    form = submission.form
    if form.target == FormTarget.NONE:
        _set_state(submission, SubmissionState.RECEIVED, "", by=by)
        return submission
    extracted = targets.extract(form.target, form.field_mapping, submission.data)
    try:
        if extracted.problems:
            raise NeedsReview(extracted.reason)
        # A savepoint takes back what a build wrote before it failed; builders that check every row before they
        # write anything need none for a new submission (two statements fewer on the phones' path).
        undoable = submission.supersedes_id or form.target not in _CHECK_BEFORE_WRITING
        with transaction.atomic() if undoable else contextlib.nullcontext():
            if submission.supersedes_id:
                _retire_records_of(submission.supersedes, rollup=pending_rollup(submission))
            BUILDERS[form.target](submission, extracted, by)
    except (NeedsReview, ValidationError) as exc:
        # The savepoint took back what the builder wrote: so go its summary and its share of the rollup.
        submission.__dict__.pop("_records", None)
        submission.__dict__.pop("_flow_rollup", None)
        reason = exc.reason if isinstance(exc, NeedsReview) else validation_text(exc)
        _set_state(submission, SubmissionState.REVIEW, reason, by=by)
    else:
        _set_state(submission, SubmissionState.PROCESSED, "", by=by)
    return submission


def _set_state(submission: Submission, state: str, reason: str, *, by: User | None = None) -> None:
    if (submission.state, submission.review_reason) == (state, reason) and (
        state != SubmissionState.PROCESSED or submission.processed_at is not None
    ):
        return  # stored so already (a new submission is inserted as it is expected to end)
    record_state_change(submission, field="state", old=submission.state, new=state, by=by, reason=reason)
    submission.state, submission.review_reason = state, reason
    submission.processed_at = timezone.now() if state == SubmissionState.PROCESSED else None
    Submission.objects.filter(pk=submission.pk).update(
        state=state, review_reason=reason, processed_at=submission.processed_at
    )


def submission_retry(*, submission: Submission, by: User | None) -> Submission:
    """Process a submission again (after the mapping, a site or a round was fixed)."""
    if not submission.is_current:
        raise ValidationError(_("Only the current version of a submission can be processed."))
    with transaction.atomic():
        _process_again(submission, by=by, changes={})
    return submission


def _process_again(submission: Submission, *, by: User | None, changes: dict, reason: str = "") -> None:
    before = submission.state
    submission_process(submission=submission, by=by)
    changes = {**changes, "state": [before, submission.state]}
    changes.update({kind: [None, summary] for kind, summary in submission.__dict__.get("_records", {}).items()})
    rollup = rollup_statements(submission.__dict__.pop("_flow_rollup", FlowRollupDelta()))
    audit.record(AuditAction.UPDATE, actor=by, obj=submission, changes=changes, reason=reason)
    run_rollup(rollup)


def submission_correct(*, submission: Submission, path: str, value: str, by: User | None, reason: str) -> Submission:
    """Correct one answer of a submission waiting for review (a district code that does not exist, a count typed
    in words) and process it again, in one transaction: the old and new value and the reason are kept on the
    submission and in the audit log; the XML stays as the phone sent it."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the answer is corrected.")})
    if not submission.is_current:
        raise ValidationError(_("Only the current version of a submission can be corrected."))
    if submission.state == SubmissionState.PROCESSED:
        raise ValidationError(_("This submission is processed: an edit from the phone replaces it."))
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        data = copy.deepcopy(locked.data or {})
        old = answer_set(data, path, value.strip())
        if old is None:
            raise ValidationError({"path": _("This submission has no answer %(path)s.") % {"path": path}})
        at = timezone.now()
        corrections = [
            *locked.corrections,
            {"path": path, "old": old, "new": value.strip(), "by": by.get_username() if by else "",
             "at": at.isoformat(), "reason": reason[:500]},
        ]  # fmt: skip
        Submission.objects.filter(pk=locked.pk).update(data=data, corrections=corrections)
        submission.data, submission.corrections = data, corrections
        _process_again(submission, by=by, changes={f"answer {path}": [old, value.strip()]}, reason=reason[:500])
    return submission


_STEP = re.compile(r"^(?P<name>[^\[\]/]+)(?:\[(?P<number>\d+)\])?$")


def answer_set(data: dict, path: str, value: str) -> str | None:
    """Set the answer at `path` as the submission page writes it (`group/repeat[2]/question`) to `value`; the
    old value, or None when there is no such answer (a group, a repeat, or a path the submission lacks)."""
    node = data
    steps = path.split("/")
    for position, step in enumerate(steps):
        match = _STEP.match(step)
        if match is None or not isinstance(node, dict) or match["name"] not in node:
            return None
        child = node[match["name"]]
        if match["number"] is not None:
            if not isinstance(child, list) or not 1 <= int(match["number"]) <= len(child):
                return None
            index = int(match["number"]) - 1
            if position == len(steps) - 1:
                if isinstance(child[index], dict | list):
                    return None
                old, child[index] = child[index], value
                return "" if old is None else str(old)
            node = child[index]
            continue
        if position == len(steps) - 1:
            if isinstance(child, dict | list):
                return None
            node[match["name"]] = value
            return "" if child is None else str(child)
        node = child
    return None


def submission_dismiss(*, submission: Submission, by: User | None, reason: str) -> Submission:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the submission is dismissed.")})
    with transaction.atomic():
        previous_state = submission.state
        _set_state(submission, SubmissionState.DISMISSED, reason.strip(), by=by)
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            obj=submission,
            changes={"state": [previous_state, SubmissionState.DISMISSED]},
            reason=reason.strip(),
        )
    return submission


def _retire_records_of(submission: Submission, *, rollup: FlowRollupDelta) -> None:
    """An edit replaces what the earlier version became (its flow counts leave the monthly rollup)."""
    SiteAssessment.objects.filter(submission=submission).delete()
    counts = FlowCount.objects.filter(submission=submission)
    for values in counts.values(*FLOW_CELL_VALUES):
        rollup.add_count(values, sign=-1)
    counts.delete()
    PresenceFigure.objects.filter(submission=submission).delete()
    DatasetRecord.objects.filter(submission=submission).delete()


BUILDERS = {
    FormTarget.SITE_ASSESSMENT: build_site_assessment,
    FormTarget.FLOW_COUNT: build_flow_counts,
    FormTarget.PRESENCE: build_presence,
    FormTarget.DATASET: build_dataset_record,
    FormTarget.BORDER_INCIDENT: build_border_incident,
    FormTarget.CASH_PDM: build_cash_pdm,
    FormTarget.MSME_VISIT: build_msme_visit,
}
#: Builders that check every row before they write one (flow_counts_record, presence_figures_record).
_CHECK_BEFORE_WRITING = frozenset({FormTarget.FLOW_COUNT, FormTarget.PRESENCE})
