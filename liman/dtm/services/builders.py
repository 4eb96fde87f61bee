"""What a bound form's submission becomes: a site assessment, flow counts, presence figures, a dataset record, or
(through the app that owns it) a cash monitoring answer or a grant's monitoring visit. A problem the office can
fix (an unknown district, a missing round) raises `NeedsReview` with the reason shown in the review list."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core.models import AdminArea, User
from liman.core.services import record_update
from liman.core.text import ascii_key
from liman.core.workflows import state_set

from .. import targets
from ..models import DatasetRecord, FlowMonitoringPoint, Form, Operation, Round, Site, SiteAssessment, Submission
from .records import (
    FlowCountInput,
    PresenceInput,
    flow_counts_record,
    presence_figures_record,
    site_assessment_record,
    site_register,
)


class NeedsReview(Exception):
    """A submission its builder cannot turn into a record as it stands: kept in the review list with `reason`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _submitted_on(submission: Submission) -> datetime.date:
    return timezone.localdate(submission.received_at)


def resolve_area(text: str, *, level: int, key: str) -> AdminArea:
    try:
        return AdminArea.objects.resolve(text, level=level)
    except AdminArea.DoesNotExist as exc:
        kind = _("district") if level == AdminArea.Level.DISTRICT else _("province")
        raise NeedsReview(
            _("%(key)s: %(text)s is not a known %(kind)s (give its p-code or name)")
            % {"key": key, "text": repr(text), "kind": kind}
        ) from exc
    except AdminArea.MultipleObjectsReturned as exc:
        raise NeedsReview(f"{key}: {exc}") from exc


def _round_for(form: Form, day: datetime.date) -> Round:
    if form.round_id:
        return form.round
    if form.operation_id is None:
        raise NeedsReview(_("form: bind the form to an operation (and a round) on its mapping page"))
    rounds = list(form.operation.rounds.filter(started_on__lte=day).order_by("-started_on"))
    for candidate in rounds:
        if candidate.ended_on is None or candidate.ended_on >= day:
            return candidate
    raise NeedsReview(
        _("round: no round of %(operation)s covers %(day)s; add one or bind the form to a round")
        % {"operation": form.operation, "day": day.isoformat()}
    )


def build_site_assessment(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    values, form = extracted.values, submission.form
    assessed_on = values.get("assessed_on") or _submitted_on(submission)
    round = _round_for(form, assessed_on)
    site = _site_for_assessment(submission, values, round.operation, by)
    other = SiteAssessment.objects.filter(site=site, round=round).select_related("submission").first()
    if other is not None:
        raise NeedsReview(
            _("site: %(site)s was already assessed in %(round)s (submission %(other)s)")
            % {"site": site.site_id, "round": round, "other": other.submission.instance_id if other.submission else "-"}
        )
    sex_age = {key: values.get(key) for key in (f"{s}_{a}" for s in "fm" for a in ("0_4", "5_17", "18_59", "60"))}
    individuals = values.get("individuals")
    if individuals is None and all(value is not None for value in sex_age.values()):
        individuals = sum(sex_age.values())
    if individuals is None:
        raise NeedsReview(_("individuals: give the total or every sex and age group"))
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
            raise NeedsReview(_("site_id: no site has the ID %(id)s") % {"id": site_id})
    else:
        name = values.get("site_name", "")
        if not name or not values.get("district"):
            raise NeedsReview(_("site_name, district: a new site needs its name and district (or give a site ID)"))
        district = resolve_area(values["district"], level=AdminArea.Level.DISTRICT, key="district")
        site = Site.objects.filter(operation=operation, district=district, name_key=ascii_key(name)).first()
        if site is None:
            if not values.get("site_type"):
                raise NeedsReview(_("site_type: a new site needs its type"))
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


def build_flow_counts(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    values = extracted.values
    try:
        point = FlowMonitoringPoint.objects.get(code=values["point"].upper())
    except FlowMonitoringPoint.DoesNotExist:
        raise NeedsReview(
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
        raise NeedsReview(_("rows: the submission counts nobody"))
    flow_counts_record(rows=rows, round=submission.form.round, submission=submission, by=by)


def build_presence(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    values = extracted.values
    province = resolve_area(values["province"], level=AdminArea.Level.PROVINCE, key="province")
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
        raise NeedsReview(_("rows: the submission gives no figure"))
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


def build_dataset_record(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    values = extracted.values
    province = None
    if values.get("province"):
        province = resolve_area(values["province"], level=AdminArea.Level.PROVINCE, key="province")
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


def build_cash_pdm(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    """A cash monitoring answer, recorded by the cash app (`pdm_answer_record`) on the sampled household's visit, in
    the submission's transaction; a refusal (not in the sample, another office, answered already) waits for review."""
    from liman.cash.pdm import pdm_answer_record

    visit = pdm_answer_record(submission=submission, values=extracted.values, by=by)
    submission.__dict__.setdefault("_records", {})["cash_pdm"] = str(visit)


def build_msme_visit(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    """A grant's monitoring visit, recorded by the livelihoods app (`visit_from_submission`) in the submission's
    transaction; a refusal (no such grant in the office) waits for review."""
    from liman.livelihoods.services import visit_from_submission

    visit = visit_from_submission(submission=submission, values=extracted.values, by=by)
    submission.__dict__.setdefault("_records", {})["msme_visit"] = str(visit)
