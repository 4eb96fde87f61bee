"""Every write of duplicate detection: storing pairs, decisions, runs, re-checks after an edit, thresholds.

A decision (same person, different people) is final: no later run, registration or import asks it again, unless
the merge it made is undone (the pair then opens again). A pair the matcher finds again after it stopped matching
opens again; a pair with a decision never does. Every change of a pair's status leaves a history row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.choices import AuditAction, TaskState
from liman.core.models import Office, User
from liman.core.progress import ProgressReporter
from liman.core.services import record_create, record_update, task_progress_start
from liman.core.workflows import record_state_change, record_state_changes
from liman.registry.models import Person

from . import engine
from .choices import DECISIONS, FoundBy, MatchBand, MatchStatus
from .models import DedupRun, MatchPair, OfficeThresholds, check_thresholds
from .permissions import may_decide, may_start_run
from .records import NEW, new_and_existing, person_records, records_by_id
from .thresholds import PairBands, loosest, thresholds_by_office

#: Pairs read or written per statement.
BATCH = 500
#: Steps of a run's progress bar: reading the records, comparing them (most of the time), storing the pairs.
_STEPS_READ, _STEPS_COMPARE, _STEPS_TOTAL = 1, 8, 10


@dataclass(frozen=True)
class FoundPair:
    """A pair the matcher scored, by person keys (in either order), with its band for the two offices."""

    left: int
    right: int
    probability: float
    band: str

    @property
    def key(self) -> tuple[int, int]:
        return (self.left, self.right) if self.left < self.right else (self.right, self.left)


@dataclass
class StoredCounts:
    found: int = 0
    new: int = 0
    auto_link: int = 0
    already_decided: int = 0


def _pair_history(pair: MatchPair, old: str, new: str, *, by: User | None, reason: str) -> None:
    """The pair's history row, scoped like the pair (its first record's office and tier)."""
    record_state_change(
        pair, field="status", old=old, new=new, by=by, reason=reason, office_id=pair.person_l.office_id,
        sensitivity=pair.person_l.sensitivity,
    )  # fmt: skip


def _pairs_history(pairs, new: str, *, by: User | None, reason: str) -> None:
    """The history rows of pairs changed in one statement: `pairs` are (key, old status) of each."""
    pairs = list(pairs)
    scope = dict(
        (pk, (office, tier))
        for pk, office, tier in MatchPair.objects.filter(pk__in=[pk for pk, _old in pairs]).values_list(
            "pk", "person_l__office_id", "person_l__sensitivity"
        )
    )
    moves = [(pk, old, new, *scope.get(pk, (None, ""))) for pk, old in pairs]
    record_state_changes(MatchPair, moves, field="status", by=by, reason=reason)


def _office_ids(person_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(person_ids))
    found: dict[int, int] = {}
    for start in range(0, len(ids), BATCH * 4):
        found.update(Person.objects.filter(pk__in=ids[start : start + BATCH * 4]).values_list("pk", "office_id"))
    return found


def found_pairs(scored: Iterable[engine.ScoredPair], bands: PairBands) -> list[FoundPair]:
    """The engine's pairs banded by their offices' thresholds, without those below the review threshold."""
    found = []
    for pair in scored:
        left, right = int(pair.record_id_l), int(pair.record_id_r)
        band = bands.band(left, right, pair.match_probability)
        if band != engine.Band.DISTINCT:
            found.append(FoundPair(left, right, pair.match_probability, str(band)))
    return found


def match_pairs_store(
    *, found: Iterable[FoundPair], found_by: str, run: DedupRun | None = None, model_version: str = ""
) -> StoredCounts:
    """Add the pairs not yet known, refresh the open (and no longer matching) ones; never touch a decided pair.

    Written in bulk: a run stores tens of thousands of pairs; the run itself is audited with its counts.
    """
    model_version = model_version or engine.MODEL_VERSION
    best: dict[tuple[int, int], FoundPair] = {}
    for pair in found:
        if pair.left == pair.right or pair.band == MatchBand.DISTINCT:
            continue
        seen = best.get(pair.key)
        if seen is None or pair.probability > seen.probability:
            best[pair.key] = pair
    counts = StoredCounts(found=len(best))
    now = timezone.now()
    keys = sorted(best)
    with transaction.atomic():
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            lefts = sorted({left for left, _right in chunk})
            known = {
                (left, right): (pk, status)
                for pk, left, right, status in MatchPair.objects.filter(person_l_id__in=lefts).values_list(
                    "pk", "person_l_id", "person_r_id", "status"
                )
            }
            created, refreshed, reopened = [], [], []
            for key in chunk:
                pair = best[key]
                if pair.band == MatchBand.AUTO_LINK:
                    counts.auto_link += 1
                existing = known.get(key)
                if existing is None:
                    created.append(
                        MatchPair(
                            person_l_id=key[0],
                            person_r_id=key[1],
                            match_probability=round(pair.probability, 6),
                            band=pair.band,
                            model_version=model_version,
                            found_by=found_by,
                            run=run,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                elif existing[1] in DECISIONS:
                    counts.already_decided += 1
                else:
                    reopened.append((existing[0], existing[1]))
                    refreshed.append(
                        MatchPair(
                            pk=existing[0],
                            match_probability=round(pair.probability, 6),
                            band=pair.band,
                            model_version=model_version,
                            status=MatchStatus.OPEN,
                            reason="",
                            run=run,
                            updated_at=now,
                        )
                    )
            MatchPair.objects.bulk_create(created, batch_size=BATCH, ignore_conflicts=True)
            counts.new += len(created)
            fields = ["match_probability", "band", "model_version", "status", "reason", "updated_at"]
            if run is not None:
                fields.append("run")
            MatchPair.objects.bulk_update(refreshed, fields, batch_size=BATCH)
            # A pair that had stopped matching and is found again opens again: its history says so.
            _pairs_history(reopened, MatchStatus.OPEN, by=None, reason=_("Found again."))
    return counts


# --- runs ----------------------------------------------------------------------------------------------------


def dedup_run_start(*, by: User, office: Office | None = None) -> DedupRun:
    """Queue a run over `office`'s people (None: every office); it runs in the background with a progress bar."""
    if not may_start_run(by, office):
        raise PermissionDenied(_("Only supervisors and administrators of the office may start a duplicate run."))
    from .tasks import dedup_run_task

    with transaction.atomic():
        under_way = DedupRun.objects.select_for_update().filter(
            office=office, status__in=(TaskState.QUEUED, TaskState.RUNNING)
        )
        if under_way.exists():
            raise ValidationError(_("A run over these people is already under way: wait for it to finish."))
        where = office.code if office is not None else _("all offices")
        progress = task_progress_start(
            name=_("Duplicate run (%(where)s)") % {"where": where}, owner=by, office=office, total=_STEPS_TOTAL
        )
        run = record_create(
            DedupRun(office=office, started_by=by, progress=progress, model_version=engine.MODEL_VERSION), by=by
        )
        transaction.on_commit(lambda: dedup_run_task.enqueue(run.pk))
    return run


def _people_of(run: DedupRun):
    people = Person.objects.active()
    return people.filter(office_id=run.office_id) if run.office_id else people


def _offices_of(run: DedupRun) -> list[int]:
    if run.office_id:
        return [run.office_id]
    return list(Office.objects.values_list("pk", flat=True))


def dedup_run_execute(*, run: DedupRun, reporter: ProgressReporter | None = None) -> DedupRun:
    """Compare the run's people with each other and store the pairs found (the work of the background task)."""
    reporter = reporter or ProgressReporter()
    DedupRun.objects.filter(pk=run.pk).update(status=TaskState.RUNNING, started_at=timezone.now())
    try:
        by_office = thresholds_by_office(_offices_of(run))
        people = _people_of(run)
        count = people.count()
        reporter.update(0, _STEPS_TOTAL, _("Reading %(count)d records") % {"count": count})

        def compared(done: int, total: int) -> None:
            step = _STEPS_READ + (_STEPS_COMPARE - _STEPS_READ) * done // max(total, 1)
            reporter.update(step, _STEPS_TOTAL, _("Comparing records"))

        scored = engine.dedupe(person_records(people), thresholds=loosest(by_office.values()), progress=compared)
        reporter.update(_STEPS_COMPARE, _STEPS_TOTAL, _("Storing %(count)d pairs") % {"count": len(scored)})
        if run.office_id:
            bands = PairBands({}, {}, default=by_office[run.office_id])
        else:
            ids = (int(record_id) for pair in scored for record_id in (pair.record_id_l, pair.record_id_r))
            bands = PairBands(_office_ids(ids), by_office)
        with transaction.atomic():
            counts = match_pairs_store(found=found_pairs(scored, bands), found_by=FoundBy.RUN, run=run)
            closed = _close_pairs_no_longer_found(run)
            run.refresh_from_db()
            outcome = {
                "status": TaskState.SUCCEEDED,
                "people": count,
                "pairs_found": counts.found,
                "pairs_new": counts.new,
                "pairs_auto_link": counts.auto_link,
                "pairs_already_decided": counts.already_decided,
                "pairs_closed": closed,
                "model_version": engine.MODEL_VERSION,
                "finished_at": timezone.now(),
            }
            record_update(run, by=run.started_by, changes=outcome, reason=_("duplicate run finished"))
        result = {key: value for key, value in outcome.items() if isinstance(value, int)}
        reporter.finish(result, message=_("%(count)d pairs found.") % {"count": counts.found})
    except Exception as exc:
        message = (str(exc) or exc.__class__.__name__)[:300]
        DedupRun.objects.filter(pk=run.pk).update(status=TaskState.FAILED, message=message, finished_at=timezone.now())
        raise
    return run


def _close_pairs_no_longer_found(run: DedupRun) -> int:
    """Open pairs an earlier run found among the same people that this run no longer finds (the records were
    changed, or the thresholds raised), and open pairs of a record merged meanwhile (an alias is compared no more):
    closed, as no longer matching. Decided pairs are never touched."""
    covered = MatchPair.objects.filter(status=MatchStatus.OPEN)
    if run.office_id:
        covered = covered.filter(person_l__office_id=run.office_id, person_r__office_id=run.office_id)
    now = timezone.now()
    aliases = covered.filter(Q(person_l__merged_into__isnull=False) | Q(person_r__merged_into__isnull=False))
    closed = _close(aliases, _("One of the records was merged into another record."), by=run.started_by, now=now)
    stale = covered.filter(found_by=FoundBy.RUN).exclude(run=run)
    reason = _("No longer found by duplicate run #%(run)d.") % {"run": run.pk}
    return closed + _close(stale, reason, by=run.started_by, now=now)


def _close(pairs, reason: str, *, by: User | None, now) -> int:
    keys = list(pairs.values_list("pk", flat=True))
    MatchPair.objects.filter(pk__in=keys).update(status=MatchStatus.CLOSED, reason=reason, updated_at=now)
    _pairs_history(((pk, MatchStatus.OPEN) for pk in keys), MatchStatus.CLOSED, by=by, reason=reason)
    return len(keys)


# --- decisions -----------------------------------------------------------------------------------------------


def match_pair_decide(
    *, pair: MatchPair, decision: str, by: User, reason: str = "", survivor: Person | None = None
) -> MatchPair:
    """Record a reviewer's decision, audited; "same person" merges the other record into the survivor (the older
    record unless the reviewer chose). A decided pair is never asked again."""
    from liman.registry.merge import person_merge

    if decision not in DECISIONS:
        raise ValidationError({"decision": _("Choose “same person” or “different people”.")})
    with transaction.atomic():
        # Lock the row, then read it with its people (PostgreSQL locks no nullable side of an outer join).
        MatchPair.objects.select_for_update().filter(pk=pair.pk).values_list("pk").get()
        locked = MatchPair.objects.select_related("person_l", "person_r", "decided_by").get(pk=pair.pk)
        if not may_decide(by, locked):
            raise PermissionDenied(_("Only supervisors and administrators of both records' offices decide a pair."))
        if locked.is_decided:
            raise ValidationError(
                _("This pair was already decided (%(decision)s) by %(user)s: a decision is not asked again.")
                % {
                    "decision": locked.get_status_display(),
                    "user": locked.decided_by.display_name if locked.decided_by else "—",
                }
            )
        changes = {"status": decision, "decided_by": by, "decided_at": timezone.now(), "reason": reason.strip()}
        merged = None
        if decision == MatchStatus.SAME_PERSON:
            survivor = survivor or locked.older_record
            if survivor.pk not in (locked.person_l_id, locked.person_r_id):
                raise ValidationError({"survivor": _("Keep one of the two records of the pair.")})
            merged = locked.person_r if survivor.pk == locked.person_l_id else locked.person_l
            person_merge(survivor=survivor, merged=merged, by=by, reason=reason.strip())
            changes["survivor"] = survivor
        record_update(locked, by=by, changes=changes, reason=reason.strip())
        _pair_history(locked, MatchStatus.OPEN, decision, by=by, reason=reason.strip())
        if merged is not None:
            _close_pairs_of_merged(merged, survivor, exclude=locked.pk, by=by)
    pair.refresh_from_db()
    return pair


def _close_pairs_of_merged(merged: Person, survivor: Person, *, exclude: int, by: User) -> None:
    """The merged record is an alias now: its other open pairs are closed (a later run compares the survivor)."""
    reason = _("%(merged)s was merged into %(survivor)s.") % {
        "merged": merged.reference,
        "survivor": survivor.reference,
    }
    for other in MatchPair.objects.open().involving(merged.pk).exclude(pk=exclude).select_related("person_l"):
        record_update(other, by=by, changes={"status": MatchStatus.CLOSED, "reason": reason}, reason=reason)
        _pair_history(other, MatchStatus.OPEN, MatchStatus.CLOSED, by=by, reason=reason)


def match_pairs_reopen(*, first: Person, second: Person, by: User | None, reason: str) -> list[MatchPair]:
    """Undoing a merge: the pair decided "same person" between the two records goes back to the review queue.
    The decision stays in the pair's history (state change and audit event); a later run asks it again."""
    left, right = sorted((first.pk, second.pk))
    reopened = []
    with transaction.atomic():
        pairs = MatchPair.objects.select_for_update().filter(
            person_l_id=left, person_r_id=right, status=MatchStatus.SAME_PERSON
        )
        for pair in pairs:
            pair = MatchPair.objects.select_related("person_l").get(pk=pair.pk)
            changes = {
                "status": MatchStatus.OPEN,
                "decided_by": None,
                "decided_at": None,
                "survivor": None,
                "reason": reason,
                "updated_at": timezone.now(),
            }
            record_update(pair, by=by, changes=changes, reason=reason)
            _pair_history(pair, MatchStatus.SAME_PERSON, MatchStatus.OPEN, by=by, reason=reason)
            reopened.append(pair)
    return reopened


# --- after an edit -------------------------------------------------------------------------------------------


def match_pairs_recheck(*, person: Person, by: User | None) -> list[MatchPair]:
    """Score the person's open pairs again after their details changed; close those no longer above the review
    threshold (audited), refresh the others. Returns the pairs closed."""
    pairs = list(MatchPair.objects.open().involving(person.pk).select_related("person_l", "person_r"))
    if not pairs or person.merged_into_id is not None:
        return []
    others = {pair.person_r_id if pair.person_l_id == person.pk else pair.person_l_id for pair in pairs}
    records = records_by_id({person.pk, *others})
    office_of = {pair.person_l_id: pair.person_l.office_id for pair in pairs}
    office_of.update({pair.person_r_id: pair.person_r.office_id for pair in pairs})
    by_office = thresholds_by_office(office_of.values())
    bands = PairBands(office_of, by_office)
    edited = {**records[person.pk], "record_id": f"{NEW}{person.pk}"}
    scored = engine.link(
        [edited],
        [records[pk] for pk in sorted(others) if pk in records],
        thresholds=loosest(by_office.values()),
        population=Person.objects.filter(merged_into__isnull=True).count(),
    )
    rescored = []
    for pair in scored:
        _new, existing = new_and_existing(pair)
        rescored.append(engine.ScoredPair(str(person.pk), existing, pair.match_probability, pair.band))
    now_found = {pair.key: pair for pair in found_pairs(rescored, bands)}
    closed = []
    reason = _("No longer match after an edit.")
    with transaction.atomic():
        for pair in pairs:
            found = now_found.get((pair.person_l_id, pair.person_r_id))
            if found is None:
                record_update(pair, by=by, changes={"status": MatchStatus.CLOSED, "reason": reason}, reason=reason)
                _pair_history(pair, MatchStatus.OPEN, MatchStatus.CLOSED, by=by, reason=reason)
                closed.append(pair)
            else:
                changes = {"match_probability": round(found.probability, 6), "band": found.band}
                changes["updated_at"] = timezone.now()
                record_update(pair, by=by, changes=changes, reason=_("scored again after an edit"))
    return closed


# --- registration and import ---------------------------------------------------------------------------------


def match_pairs_queue(*, found: Iterable[tuple[int, int, float, bool]], found_by: str, by: User | None) -> StoredCounts:
    """Pairs the check at registration or import showed, kept for review: (new person, existing person,
    probability, likely the same)."""
    pairs = [
        FoundPair(new, existing, probability, MatchBand.AUTO_LINK if likely_same else MatchBand.REVIEW)
        for new, existing, probability, likely_same in found
    ]
    if not pairs:
        return StoredCounts()
    with transaction.atomic():
        counts = match_pairs_store(found=pairs, found_by=found_by)
        audit.record(
            AuditAction.CREATE,
            actor=by,
            object_type=MatchPair._meta.label_lower,
            object_repr=_("%(count)d possible duplicates kept for review") % {"count": counts.found},
            changes={
                "found_by": [None, found_by],
                "people": [None, ", ".join(f"{pair.key[0]}/{pair.key[1]}" for pair in pairs)],
            },
        )
    return counts


# --- thresholds ----------------------------------------------------------------------------------------------


def office_thresholds_set(*, office: Office, auto_link: float, review: float, by: User) -> OfficeThresholds:
    """Set an office's thresholds (0 < review ≤ auto-link ≤ 1); the bands change at the next run."""
    check_thresholds(auto_link, review)
    existing = OfficeThresholds.objects.filter(office=office).first()
    changes = {"auto_link": auto_link, "review": review, "updated_by": by, "updated_at": timezone.now()}
    if existing is not None:
        return record_update(existing, by=by, changes=changes)
    return record_create(OfficeThresholds(office=office, **changes), by=by)
