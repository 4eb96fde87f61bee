"""Every write of field data and DTM / MPM: in a transaction, validated, audited.

Forms and their versions, field users, submissions (received over OpenRosa or imported) and the
records they become, and the DTM / MPM records themselves. Large texts (XForms, instance XML) are
summarised in the audit event rather than copied into it.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import decimal
import hashlib
import hmac
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.assistance import services as assistance
from liman.assistance.choices import IncidentService
from liman.assistance.models import Item, StockLocation
from liman.assistance.selectors import fefo_suggestion
from liman.core import audit
from liman.core.bulk import insert_many
from liman.core.choices import AuditAction
from liman.core.models import AdminArea, Office, TaskProgress, User
from liman.core.services import record_create, record_update
from liman.core.text import ascii_key
from liman.core.workflows import record_state_change, state_set

from . import form_check, openrosa, targets
from .choices import FlowBreakdown, FormState, FormTarget, JavaRosaCheck, SubmissionState
from .instance import InstanceError, ParsedInstance, parse_instance
from .models import (
    DatasetRecord,
    DigestNonce,
    FieldLoginThrottle,
    FieldUser,
    FlowCount,
    FlowMonitoringPoint,
    FlowMonthly,
    Form,
    FormMedia,
    FormVersion,
    InterceptionCount,
    Operation,
    PresenceFigure,
    Round,
    Site,
    SiteAssessment,
    SiteNeed,
    SitePopulationGroup,
    Submission,
    SubmissionAttachment,
    first_of_month,
)
from .xlsform import XLSFormError, convert_xlsform, survey_rows


def _create(obj, *, by: User | None, summary: dict | None = None):
    """Validate, save and audit a record whose full text would swamp the audit log (XForms, instance XML)."""
    obj.full_clean()
    obj.save()
    audit.record(AuditAction.CREATE, actor=by, obj=obj, changes={k: [None, v] for k, v in (summary or {}).items()})
    return obj


# --- forms ------------------------------------------------------------------------------------------------------


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
        version = _create(
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

    from .tasks import form_versions_check_task

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
        return _create(media, by=by, summary={"filename": name, "version": str(version)})


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


# --- field users --------------------------------------------------------------------------------------------------


def openrosa_realm() -> str:
    return getattr(settings, "LIMAN_OPENROSA_REALM", "Liman")


def generate_field_password() -> str:
    """Four groups of four letters and digits: typed on a phone when the QR code cannot be scanned."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _credentials(username: str, password: str) -> dict:
    realm = openrosa_realm()
    return {
        "password_hash": make_password(password),
        "digest_ha1": openrosa.digest_ha1(username, realm, password),
        "digest_realm": realm,
    }


def field_user_create(
    *,
    office: Office,
    username: str,
    by: User | None,
    name: str = "",
    password: str | None = None,
    vehicle: StockLocation | None = None,
) -> tuple[FieldUser, str]:
    """A new field user; returns it and its password (generated when not given), shown once.

    A border mobile team's phone names the team's `vehicle` (a van of the same office): the incidents it sends
    are the van's, and the items given at them are issued from its stock."""
    username = username.strip().lower()
    password = password or generate_field_password()
    if FieldUser.objects.filter(username=username).exists():
        raise ValidationError({"username": _("The field user name %(name)s is taken.") % {"name": username}})
    _check_vehicle(vehicle)
    field_user = FieldUser(office=office, username=username, name=name.strip(), vehicle=vehicle, created_by=by)
    _validate_password(password, field_user)
    with transaction.atomic():
        for attr, value in _credentials(username, password).items():
            setattr(field_user, attr, value)
        summary = {"username": username, "office": office.code}
        if vehicle is not None:
            summary["vehicle"] = vehicle.vehicle_plate or vehicle.name
        _create(field_user, by=by, summary=summary)
    return field_user, password


def _check_vehicle(vehicle: StockLocation | None) -> None:
    if vehicle is not None and not vehicle.is_active:
        raise ValidationError({"vehicle": _("%(vehicle)s is closed: choose a van in use.") % {"vehicle": vehicle}})


def field_user_set_vehicle(*, field_user: FieldUser, vehicle: StockLocation | None, by: User | None) -> FieldUser:
    """Give a field user their team's van (another office's, or a warehouse, is refused), or none."""
    _check_vehicle(vehicle)
    return record_update(field_user, by=by, changes={"vehicle": vehicle})


def _validate_password(password: str, field_user: FieldUser) -> None:
    """The staff password rules (AUTH_PASSWORD_VALIDATORS: length, common passwords, all digits, like the name)."""
    try:
        password_validation.validate_password(password, user=field_user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def field_user_set_password(*, field_user: FieldUser, by: User | None, password: str | None = None) -> str:
    password = password or generate_field_password()
    _validate_password(password, field_user)
    with transaction.atomic():
        for attr, value in _credentials(field_user.username, password).items():
            setattr(field_user, attr, value)
        field_user.full_clean()
        field_user.save()
        audit.record(AuditAction.UPDATE, actor=by, obj=field_user, changes={"password": ["[set]", "[set]"]})
    return password


def field_user_deactivate(*, field_user: FieldUser, by: User | None) -> FieldUser:
    return record_update(field_user, by=by, changes={"is_active": False})


def field_user_activate(*, field_user: FieldUser, by: User | None) -> FieldUser:
    return record_update(field_user, by=by, changes={"is_active": True})


#: Passwords already checked against their Argon2 hash, by (field user, hash): an HMAC under a key that lives
#: only in this process. Collect over HTTPS sends Basic credentials with every request, and one Argon2 check
#: costs a tenth of a second or more of CPU; this way only the first request of a password pays it.
_VERIFIED_PASSWORDS: OrderedDict[tuple[int, str], bytes] = OrderedDict()
_VERIFIED_KEY = secrets.token_bytes(32)
_VERIFIED_LOCK = threading.Lock()
_VERIFIED_MAX = 4096


def _password_mac(password: str) -> bytes:
    return hmac.new(_VERIFIED_KEY, password.encode("utf-8"), hashlib.sha256).digest()


def field_user_check_password(field_user: FieldUser, password: str) -> bool:
    """Whether `password` is the field user's (and the user active); a new password or hash misses the cache."""
    if not field_user.is_active:
        return False
    key = (field_user.pk, field_user.password_hash)
    mac = _password_mac(password)
    with _VERIFIED_LOCK:
        known = _VERIFIED_PASSWORDS.get(key)
    if known is not None and hmac.compare_digest(known, mac):
        return True
    if not check_password(password, field_user.password_hash):
        return False
    with _VERIFIED_LOCK:
        _VERIFIED_PASSWORDS[key] = mac
        _VERIFIED_PASSWORDS.move_to_end(key)
        while len(_VERIFIED_PASSWORDS) > _VERIFIED_MAX:
            _VERIFIED_PASSWORDS.popitem(last=False)
    return True


def field_user_seen(*, field_user: FieldUser, ip_address: str = "") -> None:
    """A phone signed in with the right password: the count of wrong ones from its address starts again, and the
    server notes when it last talked to the phone (at most once a minute: not worth an audit event)."""
    now = timezone.now()
    FieldLoginThrottle.objects.filter(username=field_user.username, ip_address=ip_address).delete()
    if field_user.last_seen_at is None or (now - field_user.last_seen_at).total_seconds() > 60:
        FieldUser.objects.filter(pk=field_user.pk).update(last_seen_at=now)
        field_user.last_seen_at = now


def field_lockout_attempts() -> int:
    """Wrong passwords from one address a field user name may have before each further try is delayed."""
    return int(getattr(settings, "LIMAN_FIELD_LOCKOUT_ATTEMPTS", 10))


def field_lockout_minutes() -> int:
    """The longest delay, in minutes, the growing delay reaches."""
    return int(getattr(settings, "LIMAN_FIELD_LOCKOUT_MINUTES", 30))


def field_login_delay(failures: int) -> datetime.timedelta | None:
    """How long an address is held back after `failures` wrong passwords in a row: none before the allowance
    is used up, then 2, 4, 8, … seconds, up to `LIMAN_FIELD_LOCKOUT_MINUTES`."""
    beyond = failures - field_lockout_attempts()
    if beyond < 0:
        return None
    cap = field_lockout_minutes() * 60
    return datetime.timedelta(seconds=min(2 ** min(beyond + 1, 32), cap))


def field_login_held_until(*, username: str, ip_address: str = "") -> datetime.datetime | None:
    """Until when sign-ins to `username` from `ip_address` are refused unchecked (None: they are not)."""
    throttle = FieldLoginThrottle.objects.filter(username=username, ip_address=ip_address).first()
    return throttle.held_until if throttle is not None and throttle.is_held() else None


def field_user_login_failed(
    *, username: str, ip_address: str = "", reason: str = "OpenRosa"
) -> tuple[FieldUser | None, datetime.datetime | None]:
    """A wrong password (or Digest response) for `username` from `ip_address`: audited, and counted for that
    (name, address) pair only.

    After `LIMAN_FIELD_LOCKOUT_ATTEMPTS` in a row from the pair, each further wrong one holds the pair back for
    a growing delay (the start of a delay is audited). Other addresses, the enumerator's phone among them,
    are not affected. Returns the field user (None for an unknown name) and until when the pair is held.
    """
    now = timezone.now()
    with transaction.atomic():
        field_user = FieldUser.objects.filter(username=username).first()
        audit.record(
            AuditAction.LOGIN_FAILED,
            actor_username=f"field:{username}"[:150],
            office=field_user.office_id if field_user else None,
            object_type="dtm.fielduser",
            object_id=str(field_user.pk) if field_user else "",
            ip_address=ip_address,
            reason=reason,
        )
        throttle, created = FieldLoginThrottle.objects.select_for_update().get_or_create(
            username=username[:64], ip_address=ip_address[:45]
        )
        if created:
            # A count with no wrong password for a day is forgotten, so guesses sprayed from many addresses
            # leave no lasting table.
            FieldLoginThrottle.objects.filter(last_failure_at__lt=now - datetime.timedelta(days=1)).exclude(
                held_until__gt=now
            ).delete()
        throttle.failures += 1
        throttle.last_failure_at = now
        delay = field_login_delay(throttle.failures)
        throttle.held_until = now + delay if delay is not None else None
        throttle.save()
        if delay is not None and throttle.failures == field_lockout_attempts() and field_user is not None:
            audit.record(
                AuditAction.UPDATE,
                obj=field_user,
                actor_username=f"field:{username}"[:150],
                changes={"held_back": [None, ip_address]},
                ip_address=ip_address,
                reason=_("After %(count)s wrong passwords in a row from %(address)s, sign-ins from there are delayed.")
                % {"count": throttle.failures, "address": ip_address or "?"},
            )
    return field_user, throttle.held_until


def field_user_login_refused(*, username: str, ip_address: str = "", reason: str = "OpenRosa: held back") -> None:
    """A sign-in refused unchecked (the address is held back, or the Digest header was sent before): audited."""
    field_user = FieldUser.objects.filter(username=username).first()
    audit.record(
        AuditAction.LOGIN_FAILED,
        actor_username=f"field:{username}"[:150],
        office=field_user.office_id if field_user else None,
        object_type="dtm.fielduser",
        object_id=str(field_user.pk) if field_user else "",
        ip_address=ip_address,
        reason=reason,
    )


def field_user_throttles(field_user: FieldUser) -> list[FieldLoginThrottle]:
    """The addresses with wrong passwords for this field user, those held back first."""
    return list(FieldLoginThrottle.objects.filter(username=field_user.username).order_by("-held_until", "-failures"))


def field_user_unlock(*, field_user: FieldUser, by: User | None, reason: str = "") -> FieldUser:
    """An office administrator clears the wrong-password counts and delays of a field user, on every address."""
    with transaction.atomic():
        throttles = FieldLoginThrottle.objects.select_for_update().filter(username=field_user.username)
        addresses = sorted(throttle.ip_address for throttle in throttles)
        throttles.delete()
        audit.record(
            AuditAction.UPDATE, actor=by, obj=field_user, changes={"held_back": [addresses, []]}, reason=reason
        )
    return field_user


def digest_nonce_use(*, nonce: str, count: int) -> bool:
    """Note that a Digest response used `nonce` with nonce count `count`; False when that count, or a higher
    one, was used before (a captured header sent again). Counts of nonces past their lifetime are forgotten:
    such a nonce is refused as stale before it gets here."""
    updated = DigestNonce.objects.filter(nonce=nonce, highest_count__lt=count).update(highest_count=count)
    if updated:
        return True
    try:
        with transaction.atomic():
            DigestNonce.objects.create(nonce=nonce, highest_count=count)
    except IntegrityError:
        return False
    horizon = timezone.now() - datetime.timedelta(seconds=digest_nonce_lifetime() + 120)
    DigestNonce.objects.filter(created_at__lt=horizon).delete()
    return True


def digest_nonce_lifetime() -> int:
    return int(getattr(settings, "LIMAN_OPENROSA_NONCE_SECONDS", 900))


# --- submissions ----------------------------------------------------------------------------------------------


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
        rollup = _rollup_statements(submission.__dict__.pop("_flow_rollup", FlowRollupDelta()))
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
        _run_rollup(rollup)  # right after the audit event, prepared before it: see FlowRollupDelta
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


class _NeedsReview(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def submission_process(*, submission: Submission, by: User | None = None) -> Submission:
    """Turn a submission into its form's record; on any problem keep it in the review list with the reason."""
    form = submission.form
    if form.target == FormTarget.NONE:
        _set_state(submission, SubmissionState.RECEIVED, "", by=by)
        return submission
    extracted = targets.extract(form.target, form.field_mapping, submission.data)
    try:
        if extracted.problems:
            raise _NeedsReview(extracted.reason)
        # A savepoint takes back what a build wrote before it failed; builders that check every row before they
        # write anything need none for a new submission (two statements fewer on the phones' path).
        undoable = submission.supersedes_id or form.target not in _CHECK_BEFORE_WRITING
        with transaction.atomic() if undoable else contextlib.nullcontext():
            if submission.supersedes_id:
                _retire_records_of(submission.supersedes, rollup=_pending_rollup(submission))
            BUILDERS[form.target](submission, extracted, by)
    except (_NeedsReview, ValidationError) as exc:
        # The savepoint took back what the builder wrote: so go its summary and its share of the rollup.
        submission.__dict__.pop("_records", None)
        submission.__dict__.pop("_flow_rollup", None)
        reason = exc.reason if isinstance(exc, _NeedsReview) else _validation_text(exc)
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


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{key}: {' '.join(messages)}" for key, messages in exc.message_dict.items())
    return " ".join(exc.messages)


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
    rollup = _rollup_statements(submission.__dict__.pop("_flow_rollup", FlowRollupDelta()))
    audit.record(AuditAction.UPDATE, actor=by, obj=submission, changes=changes, reason=reason)
    _run_rollup(rollup)


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
    for values in counts.values(*_FLOW_CELL_VALUES):
        rollup.add_count(values, sign=-1)
    counts.delete()
    PresenceFigure.objects.filter(submission=submission).delete()
    DatasetRecord.objects.filter(submission=submission).delete()


def _submitted_on(submission: Submission) -> datetime.date:
    return timezone.localdate(submission.received_at)


def _resolve_area(text: str, *, level: int, key: str) -> AdminArea:
    try:
        return AdminArea.objects.resolve(text, level=level)
    except AdminArea.DoesNotExist as exc:
        kind = _("district") if level == AdminArea.Level.DISTRICT else _("province")
        raise _NeedsReview(
            _("%(key)s: %(text)s is not a known %(kind)s (give its p-code or name)")
            % {"key": key, "text": repr(text), "kind": kind}
        ) from exc
    except AdminArea.MultipleObjectsReturned as exc:
        raise _NeedsReview(f"{key}: {exc}") from exc


def _round_for(form: Form, day: datetime.date) -> Round:
    if form.round_id:
        return form.round
    if form.operation_id is None:
        raise _NeedsReview(_("form: bind the form to an operation (and a round) on its mapping page"))
    rounds = list(form.operation.rounds.filter(started_on__lte=day).order_by("-started_on"))
    for candidate in rounds:
        if candidate.ended_on is None or candidate.ended_on >= day:
            return candidate
    raise _NeedsReview(
        _("round: no round of %(operation)s covers %(day)s; add one or bind the form to a round")
        % {"operation": form.operation, "day": day.isoformat()}
    )


def _build_site_assessment(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    values, form = extracted.values, submission.form
    assessed_on = values.get("assessed_on") or _submitted_on(submission)
    round = _round_for(form, assessed_on)
    site = _site_for_assessment(submission, values, round.operation, by)
    other = SiteAssessment.objects.filter(site=site, round=round).select_related("submission").first()
    if other is not None:
        raise _NeedsReview(
            _("site: %(site)s was already assessed in %(round)s (submission %(other)s)")
            % {"site": site.site_id, "round": round, "other": other.submission.instance_id if other.submission else "-"}
        )
    sex_age = {key: values.get(key) for key in (f"{s}_{a}" for s in "fm" for a in ("0_4", "5_17", "18_59", "60"))}
    individuals = values.get("individuals")
    if individuals is None and all(value is not None for value in sex_age.values()):
        individuals = sum(sex_age.values())
    if individuals is None:
        raise _NeedsReview(_("individuals: give the total or every sex and age group"))
    needs = [entry for entry in extracted.entries.get("needs", []) if entry.get("sector")]
    site_assessment_record(
        site=site,
        round=round,
        assessed_on=assessed_on,
        households=values["households"],
        individuals=individuals,
        sex_age=sex_age,
        population_groups=dict.fromkeys(values.get("population_groups", [])),
        needs=[(entry["sector"], entry.get("severity") or 3) for entry in needs],
        submission=submission,
        by=by,
    )


def _site_for_assessment(submission: Submission, values: dict, operation: Operation, by: User | None) -> Site:
    site_id = values.get("site_id", "")
    if site_id:
        site = Site.objects.filter(site_id=site_id.upper()).first()
        if site is None:
            raise _NeedsReview(_("site_id: no site has the ID %(id)s") % {"id": site_id})
    else:
        name = values.get("site_name", "")
        if not name or not values.get("district"):
            raise _NeedsReview(_("site_name, district: a new site needs its name and district (or give a site ID)"))
        district = _resolve_area(values["district"], level=AdminArea.Level.DISTRICT, key="district")
        site = Site.objects.filter(operation=operation, district=district, name_key=ascii_key(name)).first()
        if site is None:
            if not values.get("site_type"):
                raise _NeedsReview(_("site_type: a new site needs its type"))
            location = values.get("location")
            return site_register(
                office=submission.office,
                operation=operation,
                name=name,
                type=values["site_type"],
                district=district,
                manager=values.get("manager", ""),
                latitude=location.latitude if location else None,
                longitude=location.longitude if location else None,
                status=values.get("site_status") or "open",
                by=by,
            )
    changes = {}
    if values.get("manager") and values["manager"] != site.manager:
        changes["manager"] = values["manager"]
    location = values.get("location")
    if location and (site.latitude, site.longitude) != (location.latitude, location.longitude):
        changes.update(latitude=location.latitude, longitude=location.longitude)
    reason = f"submission {submission.instance_id}"
    if values.get("site_status") and values["site_status"] != site.status:
        site = state_set(site, field="status", new=values["site_status"], by=by, changes=changes, reason=reason)
    elif changes:
        record_update(site, by=by, changes=changes, reason=reason)
    return site


def _build_flow_counts(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    values = extracted.values
    try:
        point = FlowMonitoringPoint.objects.get(code=values["point"].upper())
    except FlowMonitoringPoint.DoesNotExist:
        raise _NeedsReview(
            _("point: no flow monitoring point has the code %(code)s") % {"code": values["point"]}
        ) from None
    rows = [
        FlowCountInput(
            point=point,
            counted_on=values["counted_on"],
            direction=values["direction"],
            nationality=entry["nationality"],
            sex=entry["sex"],
            age_group=entry["age_group"],
            individuals=entry["individuals"],
        )
        for entry in extracted.entries.get("rows", [])
    ]
    if not rows:
        raise _NeedsReview(_("rows: the submission counts nobody"))
    flow_counts_record(rows=rows, round=submission.form.round, submission=submission, by=by)


def _build_presence(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    values = extracted.values
    province = _resolve_area(values["province"], level=AdminArea.Level.PROVINCE, key="province")
    rows = [
        PresenceInput(
            period=values["period"],
            province=province,
            population_group=entry["population_group"],
            nationality=entry["nationality"],
            source=values["source"],
            individuals=entry["individuals"],
        )
        for entry in extracted.entries.get("rows", [])
    ]
    if not rows:
        raise _NeedsReview(_("rows: the submission gives no figure"))
    presence_figures_record(
        office=submission.office, operation=submission.form.operation, rows=rows, submission=submission, by=by
    )


def _flat_answers(data: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key == "meta" and not prefix:
            continue
        if isinstance(value, dict):
            flat.update(_flat_answers(value, f"{path}/"))
        elif not isinstance(value, list):
            flat[path] = value
    return flat


def _build_dataset_record(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    values = extracted.values
    province = None
    if values.get("province"):
        province = _resolve_area(values["province"], level=AdminArea.Level.PROVINCE, key="province")
    record = DatasetRecord(
        office=submission.office,
        form=submission.form,
        submission=submission,
        collected_on=values.get("collected_on") or _submitted_on(submission),
        province=province,
        values=_flat_answers(submission.data),
    )
    record.full_clean()
    record.save()


# --- border mobile teams' field incidents ---------------------------------------------------------------------


def _question(form: Form, key: str, number: int | None = None) -> str:
    """`key (path)` of a target field as the form maps it (`items.quantity (item[2]/quantity)` in a repeat)."""
    path = form.field_mapping.get(key, "")
    repeat_key = key.split(".", 1)[0] if "." in key else ""
    repeat_path = form.field_mapping.get(repeat_key, "") if repeat_key else ""
    if number is not None and repeat_path and path.startswith(f"{repeat_path}/"):
        path = f"{repeat_path}[{number}]/{path[len(repeat_path) + 1 :]}"
    return f"{key} ({path})" if path else key


#: Where a rule of incident_record (the field it reports) is asked in the form: the target field it comes from.
_INCIDENT_ERROR_FIELDS = {
    "group_counts": "people",
    "latitude": "location",
    "longitude": "location",
    "sex": "people.sex",
    "age_group": "people.age_group",
    "nationality": "people.nationality",
    "count": "people.count",
    "quantity": "items.quantity",
    "lot": "items.item",
    "purpose": "items",
}


def _incident_problem(form: Form, exc: ValidationError, field_user: FieldUser | None, *, has_items: bool) -> str:
    """A refusal of incident_record as `question (path): rule`, like the target's own problems. Its refusals
    without a field come from issuing the items (a closed van, an expired lot)."""
    if not hasattr(exc, "message_dict"):
        text = " ".join(exc.messages)
        return f"{_question(form, 'items')}: {text}" if has_items else text
    parts = []
    for key, messages in exc.message_dict.items():
        text = " ".join(messages)
        if key == "vehicle":
            who = field_user.username if field_user else _("no field user")
            parts.append(_("vehicle (the team's van of %(who)s): %(text)s") % {"who": who, "text": text})
        elif key == NON_FIELD_ERRORS:
            parts.append(text)
        else:
            parts.append(f"{_question(form, _INCIDENT_ERROR_FIELDS.get(key, key))}: {text}")
    return "; ".join(parts)


def _incident_items(
    submission: Submission, entries: list[dict], field_user: FieldUser | None
) -> tuple[list[tuple[Item, int]], dict[int, list[int]], StockLocation | None]:
    """The items given (each item once, its entries added up), the entries each came from, and the van."""
    form = submission.form
    wanted: dict[str, int] = {}
    numbers: dict[str, list[int]] = {}
    for number, entry in enumerate(entries, start=1):
        if not entry.get("quantity"):
            continue
        code = entry["item"].strip().upper()
        wanted[code] = wanted.get(code, 0) + entry["quantity"]
        numbers.setdefault(code, []).append(number)
    vehicle = field_user.vehicle if field_user is not None else None
    if not wanted:
        return [], {}, vehicle
    catalogue = {item.code: item for item in Item.objects.filter(code__in=wanted, is_active=True)}
    for code, entry_numbers in numbers.items():
        if code not in catalogue:
            raise _NeedsReview(
                _("%(question)s: %(code)s is not an item of the catalogue")
                % {"question": _question(form, "items.item", entry_numbers[0]), "code": code}
            )
    question = _question(form, "items")
    if field_user is None:
        raise _NeedsReview(
            _(
                "%(question)s: the submission came without a field user (it was imported), so there is no team "
                "vehicle to issue the items from; record them on the incident page instead"
            )
            % {"question": question}
        )
    if vehicle is None:
        raise _NeedsReview(
            _(
                "%(question)s: the field user %(user)s has no team vehicle to issue the items from: give them "
                "their van on the field user's page (or `liman field-user vehicle %(user)s --vehicle PLATE`), "
                "then process the submission again"
            )
            % {"question": question, "user": field_user.username}
        )
    if vehicle.office_id != submission.office_id:
        raise _NeedsReview(
            _("%(question)s: %(vehicle)s, the van of %(user)s, belongs to another office")
            % {"question": question, "vehicle": vehicle, "user": field_user.username}
        )
    items = [(catalogue[code], quantity) for code, quantity in wanted.items()]
    by_item = {catalogue[code].pk: entry_numbers for code, entry_numbers in numbers.items()}
    return items, by_item, vehicle


def _shortage_problem(
    form: Form, exc: ValidationError, vehicle: StockLocation, items, by_item: dict[int, list[int]]
) -> str:
    """Which entry asked for more than the van holds: the service's message (item, van, balance, asked for),
    under the question it comes from. Read after the refusal, whose savepoint took back every issue."""
    for item, quantity in items:
        usable = sum(take for _balance, take in fefo_suggestion(vehicle, item))
        if usable < quantity:
            question = _question(form, "items.quantity", by_item[item.pk][0])
            return f"{question}: {' '.join(exc.messages)}"
    return f"{_question(form, 'items')}: {' '.join(exc.messages)}"


def _incident_of_earlier_version(submission: Submission) -> Submission | None:
    """An earlier version of this submission (the same root instance) that already became an incident."""
    if not submission.supersedes_id:
        return None
    return (
        Submission.objects.filter(
            form_id=submission.form_id, root_instance_id=submission.root_instance_id, incident__isnull=False
        )
        .exclude(pk=submission.pk)
        .select_related("incident")
        .first()
    )


def _build_border_incident(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    """A border mobile team's incident, recorded through `incident_record` (the page's service) in the
    submission's transaction: the items are issued from the field user's van, all or nothing.

    The incident is the field user's record: it is recorded as the phone's (`by=None`, the OpenRosa server's way;
    the field user is on the submission, which points to the incident), also when a staff member processes the
    submission again. An incident is recorded once: processing its submission again leaves it as it is, and an
    edit of a submission that became one waits for review (recording it again would issue its items twice; the
    ledger is append-only and an issue is not taken back)."""
    form, values = submission.form, extracted.values
    if submission.incident_id is not None:
        submission.__dict__.setdefault("_records", {})["field_incident"] = _("%(reference)s, recorded before") % {
            "reference": submission.incident.reference
        }
        return
    earlier = _incident_of_earlier_version(submission)
    if earlier is not None:
        raise _NeedsReview(
            _(
                "incident: the earlier version %(earlier)s of this submission already became incident %(reference)s; "
                "an edit does not record it again (nor issue its items a second time): dismiss this edit and have "
                "the incident corrected by the office's mobile team"
            )
            % {"earlier": earlier.instance_id, "reference": earlier.incident.reference}
        )
    field_user = submission.submitted_by
    district = _resolve_area(values["district"], level=AdminArea.Level.DISTRICT, key=_question(form, "district"))
    items, by_item, vehicle = _incident_items(submission, extracted.entries.get("items", []), field_user)
    occurred_at = values["occurred_at"]
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    location = values.get("location")
    counts = {name: values.get(name) or 0 for name in assistance.INCIDENT_COUNTS}
    try:
        incident = assistance.incident_record(
            office=submission.office,
            occurred_at=occurred_at,
            district=district,
            terrain=values["terrain"],
            authority=values["authority"],
            how_met=values["how_met"],
            group_counts=[
                (entry["sex"], entry["age_group"], entry["nationality"], entry["count"])
                for entry in extracted.entries.get("people", [])
            ],
            by=None,
            vehicle=vehicle,
            items=items,
            services_given={service: values.get(f"service_{service}") or 0 for service in IncidentService.values},
            latitude=decimal.Decimal(f"{location.latitude:.5f}") if location else None,
            longitude=decimal.Decimal(f"{location.longitude:.5f}") if location else None,
            referral_note=values.get("referral_note", ""),
            note=values.get("note", ""),
            **counts,
        )
    except assistance.StockShort as exc:
        raise _NeedsReview(_shortage_problem(form, exc, vehicle, items, by_item)) from exc
    except ValidationError as exc:
        raise _NeedsReview(_incident_problem(form, exc, field_user, has_items=bool(items))) from exc
    Submission.objects.filter(pk=submission.pk).update(incident=incident)
    submission.incident = incident
    issued = sum(quantity for _item, quantity in items)
    submission.__dict__.setdefault("_records", {})["field_incident"] = _(
        "%(reference)s: %(people)s people met, %(issued)s items issued from %(vehicle)s"
    ) % {"reference": incident.reference, "people": incident.people_met, "issued": issued, "vehicle": vehicle or "-"}


def _build_cash_pdm(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    """A cash monitoring answer, recorded by the cash app (`pdm_answer_record`) on the sampled household's visit, in
    the submission's transaction; a refusal (not in the sample, another office, answered already) waits for review."""
    from liman.cash.pdm import pdm_answer_record

    visit = pdm_answer_record(submission=submission, values=extracted.values, by=by)
    submission.__dict__.setdefault("_records", {})["cash_pdm"] = str(visit)


def _build_msme_visit(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    """A grant's monitoring visit, recorded by the livelihoods app (`visit_from_submission`) in the submission's
    transaction; a refusal (no such grant in the office) waits for review."""
    from liman.livelihoods.services import visit_from_submission

    visit = visit_from_submission(submission=submission, values=extracted.values, by=by)
    submission.__dict__.setdefault("_records", {})["msme_visit"] = str(visit)


BUILDERS = {
    FormTarget.SITE_ASSESSMENT: _build_site_assessment,
    FormTarget.FLOW_COUNT: _build_flow_counts,
    FormTarget.PRESENCE: _build_presence,
    FormTarget.DATASET: _build_dataset_record,
    FormTarget.BORDER_INCIDENT: _build_border_incident,
    FormTarget.CASH_PDM: _build_cash_pdm,
    FormTarget.MSME_VISIT: _build_msme_visit,
}
#: Builders that check every row before they write one (flow_counts_record, presence_figures_record).
_CHECK_BEFORE_WRITING = frozenset({FormTarget.FLOW_COUNT, FormTarget.PRESENCE})


# --- DTM and MPM records --------------------------------------------------------------------------------------


def operation_create(
    *,
    office: Office,
    code: str,
    name: str,
    kind: str,
    started_on: datetime.date,
    by: User | None,
    ended_on: datetime.date | None = None,
    provinces: Iterable[AdminArea] = (),
    description: str = "",
) -> Operation:
    with transaction.atomic():
        operation = record_create(
            Operation(
                office=office,
                code=code.strip().upper(),
                name=name.strip(),
                kind=kind,
                started_on=started_on,
                ended_on=ended_on,
                description=description,
            ),
            by=by,
        )
        provinces = list(provinces)
        if any(area.level != AdminArea.Level.PROVINCE for area in provinces):
            raise ValidationError({"provinces": _("An operation covers provinces, not districts.")})
        operation.provinces.set(provinces)
    return operation


def round_create(
    *,
    operation: Operation,
    number: int,
    assessment_type: str,
    started_on: datetime.date,
    by: User | None,
    ended_on: datetime.date | None = None,
) -> Round:
    return record_create(
        Round(
            operation=operation,
            number=number,
            assessment_type=assessment_type,
            started_on=started_on,
            ended_on=ended_on,
        ),
        by=by,
    )


def _next_site_id(district: AdminArea) -> str:
    """Stable site IDs: the district's p-code and a number, `TUR031001-S007`, never reused."""
    prefix = f"{district.pcode}-S"
    taken = Site.objects.filter(site_id__startswith=prefix).values_list("site_id", flat=True)
    numbers = [int(site_id[len(prefix) :]) for site_id in taken if site_id[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def site_register(
    *,
    office: Office,
    name: str,
    type: str,
    district: AdminArea,
    by: User | None,
    operation: Operation | None = None,
    manager: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    status: str = "open",
    opened_on: datetime.date | None = None,
    site_id: str = "",
) -> Site:
    with transaction.atomic():
        site = record_create(
            Site(
                office=office,
                operation=operation,
                site_id=(site_id or _next_site_id(district)).upper(),
                name=name.strip(),
                type=type,
                manager=manager.strip(),
                district=district,
                latitude=latitude,
                longitude=longitude,
                status=status,
                opened_on=opened_on,
            ),
            by=by,
        )
        record_state_change(site, field="status", old="", new=site.status, by=by)
        return site


def site_record_status(
    *, site: Site, status: str, by: User | None, closed_on: datetime.date | None = None, reason: str = ""
) -> Site:
    """Open, plan or close a site (a closed site keeps its ID and its assessments)."""
    changes: dict = {}
    if closed_on is not None:
        changes["closed_on"] = closed_on
    return state_set(site, field="status", new=status, by=by, changes=changes, reason=reason)


def site_assessment_record(
    *,
    site: Site,
    round: Round,
    assessed_on: datetime.date,
    households: int,
    individuals: int,
    by: User | None,
    sex_age: dict[str, int | None] | None = None,
    population_groups: dict[str, int | None] | None = None,
    needs: list[tuple[str, int]] = (),
    submission: Submission | None = None,
) -> SiteAssessment:
    """Record one round's assessment of a site; `needs` are (sector, severity) in order of rank."""
    with transaction.atomic():
        assessment = record_create(
            SiteAssessment(
                office=site.office,
                site=site,
                round=round,
                assessed_on=assessed_on,
                households=households,
                individuals=individuals,
                submission=submission,
                created_by=by,
                **(sex_age or {}),
            ),
            by=by,
        )
        groups = [
            SitePopulationGroup(assessment=assessment, group=group, individuals=count)
            for group, count in (population_groups or {}).items()
        ]
        seen: set[str] = set()
        need_rows = []
        for sector, severity in needs:
            if sector in seen:
                raise ValidationError({"needs": _("The sector %(sector)s is ranked twice.") % {"sector": sector}})
            seen.add(sector)
            need_rows.append(SiteNeed(assessment=assessment, sector=sector, rank=len(need_rows) + 1, severity=severity))
        for row in (*groups, *need_rows):
            row.full_clean(exclude=["assessment"])
        SitePopulationGroup.objects.bulk_create(groups)
        SiteNeed.objects.bulk_create(need_rows)
    return assessment


def flow_point_create(
    *,
    office: Office,
    code: str,
    name: str,
    type: str,
    district: AdminArea,
    by: User | None,
    operation: Operation | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> FlowMonitoringPoint:
    return record_create(
        FlowMonitoringPoint(
            office=office,
            operation=operation,
            code=code.strip().upper(),
            name=name.strip(),
            type=type,
            district=district,
            latitude=latitude,
            longitude=longitude,
        ),
        by=by,
    )


_ROW_FIELDS = {
    "FlowCount": ("counted_on", "direction", "nationality", "sex", "age_group", "individuals"),
    "PresenceFigure": ("period", "population_group", "nationality", "source", "individuals"),
    "InterceptionCount": ("period", "kind", "route", "authority", "nationality", "sex", "age_group", "individuals"),
}


def _check_row(record) -> None:
    """`full_clean` of the value fields of a count row, without the per-row overhead (imports run to 10⁵ rows)."""
    model = type(record)
    errors = {}
    for name in _ROW_FIELDS[model.__name__]:
        field = model._meta.get_field(name)
        value = getattr(record, name)
        if value is None or value == "":
            errors[name] = [_("This field cannot be blank.")]
            continue
        if field.choices and value not in _choice_values(field):
            errors[name] = [
                _("%(value)s is not one of %(choices)s.")
                % {"value": value, "choices": ", ".join(str(choice) for choice in _choice_values(field))}
            ]
            continue
        try:
            field.run_validators(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


_CHOICES: dict = {}


def _choice_values(field) -> frozenset:
    if field not in _CHOICES:
        _CHOICES[field] = frozenset(value for value, _label in field.flatchoices)
    return _CHOICES[field]


_FLOW_COUNT_COLUMNS = (
    "office_id", "point_id", "round_id", "counted_on", "month", "province_id", "direction", "nationality", "sex",
    "age_group", "individuals", "submission_id",
)  # fmt: skip


@dataclass
class FlowCountInput:
    point: FlowMonitoringPoint
    counted_on: datetime.date
    direction: str
    nationality: str
    sex: str
    age_group: str
    individuals: int


def flow_counts_record(
    *,
    rows: list[FlowCountInput],
    by: User | None,
    round: Round | None = None,
    submission: Submission | None = None,
) -> list[FlowCount]:
    """Record counts at flow-monitoring points: every row validated, all stored or none, one audit event.

    The counts of a submission are inserted without reading their ids back (core's `insert_many`, a third of
    `bulk_create`'s time on the phones' path); those recorded directly come back with their ids.
    """
    records = []
    for number, row in enumerate(rows, start=1):
        record = FlowCount(
            office_id=row.point.office_id,
            point=row.point,
            round=round,
            counted_on=row.counted_on,
            month=first_of_month(row.counted_on),
            province_id=row.point.province_id,
            direction=row.direction,
            nationality=row.nationality.upper(),
            sex=row.sex,
            age_group=row.age_group,
            individuals=row.individuals,
            submission=submission,
        )
        try:
            _check_row(record)
        except ValidationError as exc:
            raise ValidationError(
                _("Row %(row)s: %(problem)s") % {"row": number, "problem": _validation_text(exc)}
            ) from exc
        records.append(record)
    with transaction.atomic(savepoint=False):
        if submission is not None:
            insert_many(FlowCount, [{name: getattr(rec, name) for name in _FLOW_COUNT_COLUMNS} for rec in records])
        else:
            FlowCount.objects.bulk_create(records, batch_size=500)
        _audit_batch("flow_counts", records, by=by, submission=submission)
        rollup = _pending_rollup(submission) if submission is not None else FlowRollupDelta()
        for record in records:
            rollup.add(record, operation_id=record.point.operation_id, district_id=record.point.district_id)
        if submission is None:
            flow_monthly_apply(delta=rollup)  # after the audit event: see FlowRollupDelta
    return records


@dataclass
class PresenceInput:
    period: datetime.date
    province: AdminArea
    population_group: str
    nationality: str
    source: str
    individuals: int


def presence_figures_record(
    *,
    office: Office,
    rows: list[PresenceInput],
    by: User | None,
    operation: Operation | None = None,
    submission: Submission | None = None,
) -> list[PresenceFigure]:
    """Record migrant-presence figures; a figure for a cell already published by the same source is refused."""
    records = []
    for number, row in enumerate(rows, start=1):
        record = PresenceFigure(
            office=office,
            operation=operation,
            period=first_of_month(row.period),
            province=row.province,
            population_group=row.population_group,
            nationality=row.nationality.upper(),
            source=row.source,
            individuals=row.individuals,
            submission=submission,
        )
        try:
            _check_row(record)
        except ValidationError as exc:
            raise ValidationError(
                _("Row %(row)s: %(problem)s") % {"row": number, "problem": _validation_text(exc)}
            ) from exc
        records.append(record)
    with transaction.atomic():
        try:
            with transaction.atomic():
                PresenceFigure.objects.bulk_create(records, batch_size=500)
        except IntegrityError as exc:
            raise ValidationError(
                _("A figure for the same month, province, group, nationality and source is already recorded.")
            ) from exc
        _audit_batch("presence_figures", records, by=by, submission=submission, office=office)
    return records


@dataclass
class InterceptionInput:
    period: datetime.date
    kind: str
    route: str
    authority: str
    nationality: str
    sex: str
    age_group: str
    individuals: int
    province: AdminArea | None = None


def interceptions_record(
    *, office: Office, rows: list[InterceptionInput], by: User | None, operation: Operation | None = None
) -> list[InterceptionCount]:
    """Record apprehension and rescue counts as the authorities published them."""
    records = []
    for number, row in enumerate(rows, start=1):
        record = InterceptionCount(
            office=office,
            operation=operation,
            period=first_of_month(row.period),
            kind=row.kind,
            route=row.route,
            authority=row.authority,
            province=row.province,
            nationality=row.nationality.upper(),
            sex=row.sex,
            age_group=row.age_group,
            individuals=row.individuals,
        )
        try:
            _check_row(record)
        except ValidationError as exc:
            raise ValidationError(
                _("Row %(row)s: %(problem)s") % {"row": number, "problem": _validation_text(exc)}
            ) from exc
        records.append(record)
    with transaction.atomic():
        InterceptionCount.objects.bulk_create(records, batch_size=500)
        _audit_batch("interception_counts", records, by=by, office=office)
    return records


def _audit_batch(kind: str, records: list, *, by: User | None, submission: Submission | None = None, office=None):
    """One event for a batch of count rows (a row-per-event log would dwarf the figures it describes).

    Rows that come from a submission are told in the submission's own event instead (one event a phone POST).
    """
    if not records:
        return
    total = sum(record.individuals for record in records)
    if submission is not None:
        submission.__dict__.setdefault("_records", {})[kind] = f"{len(records)} rows, {total} individuals"
        return
    audit.record(
        AuditAction.CREATE,
        actor=by,
        office=office or records[0].office_id,
        object_type=records[0]._meta.label_lower,
        object_repr=f"{len(records)} {kind}",
        changes={kind: [None, f"{len(records)} rows, {total} individuals"]},
    )


# --- the monthly flow rollup (FlowMonthly) -------------------------------------------------------------------

#: The columns of a FlowMonthly cell, in the order of its unique index `dtm_flowmonthly_cell`.
_CELL_COLUMNS = (
    "breakdown", "office_id", "operation_id", "round_id", "month", "province_id", "district_id", "nationality", "sex",
    "age_group",
)  # fmt: skip
#: What a flow count contributes to its cells, read with `.values()` (the point gives operation and district).
_FLOW_CELL_VALUES = (
    "office_id", "point__operation_id", "round_id", "month", "province_id", "point__district_id", "nationality", "sex",
    "age_group", "individuals",
)  # fmt: skip


def flow_cells(*, office_id, operation_id, round_id, month, province_id, district_id, nationality, sex, age_group):
    """The three FlowMonthly cells (one per breakdown) a flow count adds to."""
    base = (office_id, operation_id, round_id, month, province_id)
    return (
        (FlowBreakdown.NATIONALITY.value, *base, None, nationality, "", ""),
        (FlowBreakdown.DISTRICT.value, *base, district_id, "", "", ""),
        (FlowBreakdown.SEX_AGE.value, *base, None, "", sex, age_group),
    )


class FlowRollupDelta:
    """What a write changes in FlowMonthly: individuals and counts by cell, summed before one upsert.

    The upsert is applied after the write's audit event, in the same transaction: every audited
    transaction holds the audit chain's head row from its first event to its commit, so cells are only
    ever locked by the holder of the head and two writers never wait on each other's cells (no deadlock,
    even against an import that holds the head for its whole commit).
    """

    def __init__(self) -> None:
        self.cells: dict[tuple, list[int]] = {}

    def __bool__(self) -> bool:
        return bool(self.cells)

    def _add(self, cells, individuals: int, sign: int) -> None:
        for cell in cells:
            entry = self.cells.setdefault(cell, [0, 0])
            entry[0] += sign * individuals
            entry[1] += sign

    def add(self, count: FlowCount, *, operation_id: int | None, district_id: int | None, sign: int = 1) -> None:
        cells = flow_cells(
            office_id=count.office_id, operation_id=operation_id, round_id=count.round_id, month=count.month,
            province_id=count.province_id, district_id=district_id, nationality=count.nationality, sex=count.sex,
            age_group=count.age_group,
        )  # fmt: skip
        self._add(cells, count.individuals, sign)

    def add_count(self, values: dict, *, sign: int = 1) -> None:
        """A count read with `.values(*_FLOW_CELL_VALUES)`."""
        cells = flow_cells(
            office_id=values["office_id"], operation_id=values["point__operation_id"], round_id=values["round_id"],
            month=values["month"], province_id=values["province_id"], district_id=values["point__district_id"],
            nationality=values["nationality"], sex=values["sex"], age_group=values["age_group"],
        )  # fmt: skip
        self._add(cells, values["individuals"], sign)


def _pending_rollup(submission: Submission) -> FlowRollupDelta:
    """The rollup change of what a submission becomes, applied by its service after the submission's audit event."""
    return submission.__dict__.setdefault("_flow_rollup", FlowRollupDelta())


def _cell_order(item) -> tuple:
    # One order for every writer (None first), so concurrent upserts lock cells in the same order.
    return tuple((value is None, value if value is not None else 0) for value in item[0])


def _rollup_statements(delta: FlowRollupDelta, *, chunk: int = 500) -> list[tuple[str, list, bool]]:
    """The upserts that add `delta` to FlowMonthly: (SQL, parameters, whether it may empty a cell).

    Portable SQL (SQLite ≥ 3.24, PostgreSQL ≥ 9.5); made before the caller's audit event, so that little
    happens between that event and the commit (the audit chain's head is locked in between).
    """
    changes = [(cell, values) for cell, values in sorted(delta.cells.items(), key=_cell_order) if values != [0, 0]]
    if not changes:
        return []
    ops = connection.ops
    table = ops.quote_name(FlowMonthly._meta.db_table)
    columns = ", ".join(ops.quote_name(name) for name in (*_CELL_COLUMNS, "individuals", "records"))
    target = (
        '"breakdown", "office_id", COALESCE("operation_id", 0), COALESCE("round_id", 0), "month", "province_id", '
        'COALESCE("district_id", 0), "nationality", "sex", "age_group"'
    )
    placeholders = "(" + ", ".join(["%s"] * (len(_CELL_COLUMNS) + 2)) + ")"
    statements = []
    for start in range(0, len(changes), chunk):
        part = changes[start : start + chunk]
        params = []
        for cell, (individuals, records) in part:
            params += [*cell[:4], ops.adapt_datefield_value(cell[4]), *cell[5:], individuals, records]
        empties = any(records < 0 for _cell, (_individuals, records) in part)
        returning = " RETURNING id, records" if empties and connection.features.can_return_rows_from_bulk_insert else ""
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(part))} "  # noqa: S608
            f"ON CONFLICT ({target}) DO UPDATE SET individuals = {table}.individuals + excluded.individuals, "
            f"records = {table}.records + excluded.records{returning}"
        )
        statements.append((sql, params, empties))
    return statements


def _run_rollup(statements: list[tuple[str, list, bool]]) -> None:
    """Run prepared upserts; cells whose counts were all retired are removed."""
    emptied: list[int] = []
    scan = False
    with connection.cursor() as cursor:
        for sql, params, empties in statements:
            cursor.execute(sql, params)
            if empties and sql.endswith("RETURNING id, records"):
                emptied += [pk for pk, records in cursor.fetchall() if records <= 0]
            elif empties:
                scan = True
    if emptied:
        FlowMonthly.objects.filter(pk__in=emptied).delete()
    if scan:
        FlowMonthly.objects.filter(records__lte=0).delete()


def flow_monthly_apply(*, delta: FlowRollupDelta) -> None:
    """Add a change to FlowMonthly. Call it inside the transaction that wrote the counts, after its audit event
    (see `FlowRollupDelta`)."""
    with transaction.atomic(savepoint=False):
        _run_rollup(_rollup_statements(delta))


def _flow_cells_from_counts() -> dict[tuple, list[int]]:
    """Every FlowMonthly cell as the flow counts give it (three grouped reads of FlowCount)."""
    cells: dict[tuple, list[int]] = {}
    base = ("office_id", "point__operation_id", "round_id", "month", "province_id")
    counts = FlowCount.objects.order_by()
    for breakdown, extra in (
        (FlowBreakdown.NATIONALITY.value, ("nationality",)),
        (FlowBreakdown.DISTRICT.value, ("point__district_id",)),
        (FlowBreakdown.SEX_AGE.value, ("sex", "age_group")),
    ):
        for row in counts.values_list(*base, *extra).annotate(n=Sum("individuals"), r=Count("id")).iterator():
            office_id, operation_id, round_id, month, province_id = row[:5]
            fields = dict(zip(extra, row[5:-2], strict=True))
            cell = (
                breakdown, office_id, operation_id, round_id, month, province_id, fields.get("point__district_id"),
                fields.get("nationality", ""), fields.get("sex", ""), fields.get("age_group", ""),
            )  # fmt: skip
            cells[cell] = [row[-2], row[-1]]
    return cells


def _flow_cells_stored() -> dict[tuple, list[int]]:
    return {
        tuple(row[:-2]): [row[-2], row[-1]]
        for row in FlowMonthly.objects.order_by().values_list(*_CELL_COLUMNS, "individuals", "records").iterator()
    }


@dataclass
class RollupDifference:
    cell: tuple
    expected: list[int] | None
    stored: list[int] | None

    def __str__(self) -> str:
        names = dict(zip(_CELL_COLUMNS, self.cell, strict=True))
        where = ", ".join(f"{name}={value}" for name, value in names.items() if value not in (None, ""))
        return _("%(cell)s: the counts give %(expected)s, the rollup holds %(stored)s") % {
            "cell": where,
            "expected": self.expected or "—",
            "stored": self.stored or "—",
        }


def flow_monthly_differences() -> list[RollupDifference]:
    """Where FlowMonthly and the flow counts disagree (empty: the rollup is exact)."""
    expected, stored = _flow_cells_from_counts(), _flow_cells_stored()
    return [
        RollupDifference(cell, expected.get(cell), stored.get(cell))
        for cell in sorted(set(expected) | set(stored), key=lambda cell: _cell_order((cell,)))
        if expected.get(cell) != stored.get(cell)
    ]


def flow_monthly_rebuild(*, by: User | None = None) -> int:
    """Compute FlowMonthly again from every flow count (after a bulk load, or to repair it); returns the cells.

    One INSERT … SELECT … GROUP BY per breakdown, inside the database (portable SQL): a million counts take
    seconds, not the minutes that reading them out and writing the cells back would.
    """
    quote = connection.ops.quote_name
    rollup, counts = quote(FlowMonthly._meta.db_table), quote(FlowCount._meta.db_table)
    points = quote(FlowMonitoringPoint._meta.db_table)
    columns = ", ".join(quote(name) for name in (*_CELL_COLUMNS, "individuals", "records"))
    base = "c.office_id, p.operation_id, c.round_id, c.month, c.province_id"
    breakdowns = (
        (FlowBreakdown.NATIONALITY, "NULL, c.nationality, '', ''", "c.nationality"),
        (FlowBreakdown.DISTRICT, "p.district_id, '', '', ''", "p.district_id"),
        (FlowBreakdown.SEX_AGE, "NULL, '', c.sex, c.age_group", "c.sex, c.age_group"),
    )
    with transaction.atomic():
        FlowMonthly.objects.all().delete()
        with connection.cursor() as cursor:
            for breakdown, fields, group in breakdowns:
                cursor.execute(
                    f"INSERT INTO {rollup} ({columns}) "  # noqa: S608  (names from the models, no input)
                    f"SELECT %s, {base}, {fields}, SUM(c.individuals), COUNT(*) "
                    f"FROM {counts} c INNER JOIN {points} p ON p.id = c.point_id GROUP BY {base}, {group}",
                    [breakdown.value],
                )
        cells = FlowMonthly.objects.count()
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            object_type=FlowMonthly._meta.label_lower,
            object_repr=f"rebuilt: {cells} cells",
            changes={"cells": [None, str(cells)]},
        )
    return cells
