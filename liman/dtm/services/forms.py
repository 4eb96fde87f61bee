"""Forms and their versions: publishing an XLSForm (checked as ODK Collect reads it), JavaRosa checks of stored
versions, media files, and what a form's submissions become (its binding)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core.models import Office, TaskProgress, User
from liman.core.services import record_create, record_update
from liman.core.workflows import state_set

from .. import form_check, targets
from ..choices import FormState, FormTarget, JavaRosaCheck, SubmissionState
from ..models import Form, FormMedia, FormVersion, Operation, Round
from ..xlsform import XLSFormError, convert_xlsform, survey_rows
from .audited import create_summarised
from .submissions import submission_retry


def _new_version_label(form: Form | None) -> str:
    """ODK's habit: a date-based version (yyyymmddHHMMSS), made unique within the form."""
    label = timezone.localtime().strftime("%Y%m%d%H%M%S")
    if form is None:
        return label
    candidate, n = label, 1
    while form.versions.filter(version=candidate).exists():
        n += 1
        candidate = f"{label}{n:02d}"
    return candidate


@dataclass
class MediaUpload:
    filename: str
    content: bytes
    content_type: str = ""


def form_upload(
    *,
    office: Office,
    content: bytes,
    file_name: str,
    by: User | None,
    form: Form | None = None,
    media: Iterable[MediaUpload] = (),
) -> FormVersion:
    """Publish an XLSForm: a new form, or a new version of `form` (or of the office's form with the same ID).

    The XForm pyxform makes is checked as ODK Collect would read it (`form_check`: JavaRosa's engine, and Liman's
    checks of what JavaRosa lets through) before anything is stored. Where Java cannot run, the version is stored
    marked "not checked by JavaRosa" (`form_versions_check` checks it later).

    Raises `XLSFormError` (pyxform's message and row), `FormRefused` (an `XLSFormError`: each problem ODK Collect
    would have, with its question and row) or `ValidationError` (a version already used).
    """
    if form is not None and form.office_id != office.pk:
        raise ValidationError(_("A form version must be uploaded to the form's own office."))

    def new_version(form_id: str) -> str:
        return _new_version_label(form or Form.objects.filter(office=office, form_id=form_id).first())

    def known_title(form_id: str) -> str | None:
        known = form or Form.objects.filter(office=office, form_id=form_id).first()
        return known.title if known else None

    converted = convert_xlsform(
        content,
        file_name=file_name,
        new_version=new_version,
        default_form_id=form.form_id if form else None,
        known_title=known_title,
    )
    if form is not None and converted.form_id != form.form_id:
        raise XLSFormError(
            _("This XLSForm is form '%(other)s' (settings sheet, form_id), not '%(form)s'.")
            % {"other": converted.form_id, "form": form.form_id},
            row=2,
            sheet="settings",
        )
    # Before the transaction: the check runs a JVM for a second or two, and holds no lock meanwhile.
    check = form_check.check_forms([(converted.xml, converted.survey)])[0]
    if check.is_refused:
        raise form_check.FormRefused(check.problems)
    with transaction.atomic():
        target_form = form or Form.objects.select_for_update().filter(office=office, form_id=converted.form_id).first()
        is_new = target_form is None
        if is_new:
            target_form = record_create(
                Form(office=office, form_id=converted.form_id, title=converted.title[:200], created_by=by), by=by
            )
        elif target_form.versions.filter(version=converted.version).exists():
            raise ValidationError(
                {
                    "file": _(
                        "Version %(version)s of form '%(form)s' already exists: raise the version in the settings "
                        "sheet, or leave it blank for a new one."
                    )
                    % {"version": converted.version, "form": target_form.form_id}
                }
            )
        elif target_form.title != converted.title[:200]:
            record_update(target_form, by=by, changes={"title": converted.title[:200]})
        version = create_summarised(
            FormVersion(
                form=target_form,
                version=converted.version,
                title=converted.title[:200],
                xml=converted.xml,
                xml_md5=hashlib.md5(converted.xml.encode(), usedforsecurity=False).hexdigest(),
                xlsform=content,
                xlsform_name=file_name[:200],
                fields=converted.fields,
                warnings=[*converted.warnings, *check.warnings],
                javarosa_check=check.javarosa,
                javarosa_checked_at=timezone.now() if check.javarosa == JavaRosaCheck.PASSED else None,
                javarosa_messages=[check.note] if check.note else [],
                created_by=by,
            ),
            by=by,
            summary={
                "form": target_form.form_id,
                "version": converted.version,
                "file": file_name,
                "javarosa_check": check.javarosa,
            },
        )
        for upload in media:
            form_media_add(version=version, upload=upload, by=by)
        shipped_target = targets.SHIPPED_FORM_TARGETS.get(target_form.form_id)
        if is_new and shipped_target is not None:
            # A shipped form names its questions after its target's fields: bound at once, nothing to map.
            form_bind(
                form=target_form,
                target=shipped_target,
                mapping=targets.suggest_mapping(shipped_target, converted.fields),
                by=by,
            )
    return version


@dataclass(frozen=True)
class CheckedVersion:
    """One version a JavaRosa check looked at, as its report names it."""

    pk: int
    office: str
    label: str  # "form_id vVERSION"
    messages: tuple[str, ...]


@dataclass
class VersionsChecked:
    """What a JavaRosa check of stored versions found: the versions it passed, refused and could not check (why)."""

    passed: list[CheckedVersion] = field(default_factory=list)
    refused: list[CheckedVersion] = field(default_factory=list)
    not_checked: list[CheckedVersion] = field(default_factory=list)
    note: str = ""

    def summary(self) -> str:
        return _("%(passed)d checked by JavaRosa, %(refused)d refused, %(not_checked)d not checked.") % {
            "passed": len(self.passed),
            "refused": len(self.refused),
            "not_checked": len(self.not_checked),
        }


#: Versions checked per JVM: the JVM's start is most of a check's cost, a batch shares it (and a batch's XForms and
#: XLSForms are all that is held in memory at once).
JAVAROSA_BATCH = 20


def form_versions_check(*, versions: QuerySet[FormVersion], by: User | None, reporter=None) -> VersionsChecked:
    """Check stored versions as an upload does (JavaRosa, and Liman's own checks), a batch per JVM, and record each
    verdict (audited). A version refused now leaves the phones' form list: they get the newest version that is not
    refused. Where Java cannot run, nothing changes but the reason recorded on each version."""
    ids = list(versions.order_by("form_id", "id").values_list("pk", flat=True))
    outcome = VersionsChecked()
    total = len(ids)
    for start in range(0, total, JAVAROSA_BATCH):
        chunk = list(
            FormVersion.objects.filter(pk__in=ids[start : start + JAVAROSA_BATCH])
            .select_related("form__office")
            .order_by("form_id", "id")
        )
        if outcome.note:  # Java did not run for the first batch: it will not for the next
            outcome.not_checked.extend(_checked(version) for version in chunk)
            continue
        results = form_check.check_forms(
            [(version.xml, survey_rows(version.xlsform, file_name=version.xlsform_name)) for version in chunk]
        )
        for version, result in zip(chunk, results, strict=True):
            _record_check(version, result, by=by, outcome=outcome)
        if reporter is not None:
            reporter.update(start + len(chunk), total, outcome.summary())
    return outcome


def _checked(version: FormVersion) -> CheckedVersion:
    return CheckedVersion(version.pk, version.form.office.code, str(version), tuple(version.javarosa_messages))


def _record_check(
    version: FormVersion, result: form_check.FormCheck, *, by: User | None, outcome: VersionsChecked
) -> None:
    kept_warnings = [warning for warning in version.warnings if not warning.startswith("JavaRosa: ")]
    if result.is_refused:
        state, messages, into = JavaRosaCheck.REFUSED, [problem.message for problem in result.problems], outcome.refused
    elif result.javarosa == JavaRosaCheck.PASSED:
        state, messages, into = JavaRosaCheck.PASSED, [], outcome.passed
    else:
        state, messages, into = JavaRosaCheck.NOT_CHECKED, [result.note], outcome.not_checked
        outcome.note = result.note
    changes = {"javarosa_check": state, "javarosa_messages": messages, "warnings": [*kept_warnings, *result.warnings]}
    if state != JavaRosaCheck.NOT_CHECKED:
        changes["javarosa_checked_at"] = timezone.now()
    record_update(version, by=by, changes=changes, reason=_("JavaRosa check"))
    into.append(_checked(version))


def form_versions_check_start(*, versions, by: User) -> TaskProgress:
    """Queue the JavaRosa check of `versions` (those not checked yet, as a selector chose them for `by`); it runs in
    the background with a progress bar."""
    from liman.core.services import task_progress_start

    from ..tasks import form_versions_check_task

    ids = list(versions.values_list("pk", flat=True))
    if not ids:
        raise ValidationError(_("Every form version here is already checked by JavaRosa."))
    offices = set(versions.values_list("form__office", flat=True))
    with transaction.atomic():
        progress = task_progress_start(
            name=_("JavaRosa check of %(count)d form versions") % {"count": len(ids)},
            owner=by,
            office=Office.objects.get(pk=offices.pop()) if len(offices) == 1 else None,
            total=len(ids),
        )
        user_id = by.pk if by is not None else None
        transaction.on_commit(lambda: form_versions_check_task.enqueue(str(progress.pk), ids, user_id))
    return progress


def form_media_add(*, version: FormVersion, upload: MediaUpload, by: User | None) -> FormMedia:
    name = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if not name or name.startswith("."):
        raise ValidationError({"media": _("A media file needs a name.")})
    with transaction.atomic():
        media = FormMedia(
            version=version,
            filename=name,
            md5=hashlib.md5(upload.content, usedforsecurity=False).hexdigest(),
            size=len(upload.content),
            content_type=upload.content_type[:100],
        )
        media.file.save(name, ContentFile(upload.content), save=False)
        return create_summarised(media, by=by, summary={"filename": name, "version": str(version)})


def form_bind(
    *,
    form: Form,
    target: str,
    mapping: dict[str, str],
    by: User | None,
    operation: Operation | None = None,
    round: Round | None = None,
    is_individual_level: bool | None = None,
) -> Form:
    """Say what the form's submissions become and which question feeds which field."""
    if target not in FormTarget.values:
        raise ValidationError({"target": _("Unknown target %(target)s.") % {"target": target}})
    known = {spec.key for spec in targets.fields_for(target)}
    clean_mapping = {key: path for key, path in mapping.items() if key in known and path}
    changes = {"target": target, "field_mapping": clean_mapping, "operation": operation, "round": round}
    if is_individual_level is not None:
        changes["is_individual_level"] = is_individual_level
    return record_update(form, by=by, changes=changes)


def form_close(*, form: Form, by: User | None) -> Form:
    return state_set(form, field="state", new=FormState.CLOSED, by=by)


def form_open(*, form: Form, by: User | None) -> Form:
    return state_set(form, field="state", new=FormState.OPEN, by=by)


def form_reprocess(*, form: Form, by: User | None) -> int:
    """Run the form's current submissions that wait (received or in review) through its binding again."""
    count = 0
    waiting = form.submissions.filter(is_current=True, state__in=[SubmissionState.RECEIVED, SubmissionState.REVIEW])
    for submission in waiting.select_related("form", "form_version").order_by("received_at", "id"):
        submission_retry(submission=submission, by=by)
        count += 1
    return count
