"""Stored first reaches: the 4W's "new in the month" read from one row per key × office × year.

A person counts in the 4W of month M when first reached in M's year (by the offices reported) in M. Computed from
the records, that means reading every record of the year before M (5,000,000 receipts for a large mission); stored,
it is a GROUP BY over the month's `FirstReach` rows, with the person's sex, age, population group and disability
read from the person as the 4W is computed (never stored, so a correction to a person reaches the 4W exactly as it
does when computed).

Which measures: those that declare a `Reach` (liman.core.measures). For each such measure and year,
`rebuild(measure_key, year)` (`liman report rebuild-reach`, and the demo) computes the rows from the records and
remembers the audit log's position (`ReachState`). Before every read, `catch_up` reads the audit log since then:
each record of a `Reach.sources` model written since names the keys it touches (the people of the household that
received, a merge's survivor and alias …), and the first reaches of those keys are computed again from the records
(for those keys only), so that the stored rows stay exactly what the records give. A deletion (or a purge) of a
source record, whose keys can no longer be found, rebuilds the measure. A measure or year never built is computed
from the records, as before: the stored rows are a faster way to the same figure, never a different one
(tests/reporting/test_reach.py compares them after writes of every kind).

A write that bypasses the audit log (a bulk load straight into the tables, as the benchmarks do) is not seen: run
`liman report rebuild-reach` after it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from liman.core import measures
from liman.core.choices import AuditAction

#: More keys touched than this since the last read: the measure's years are rebuilt (cheaper than key by key).
REBUILD_ABOVE = 50_000
CHUNK = 500
FULL = object()  # a change whose keys cannot be found: rebuild

#: Within `reading()`: which measures are stored (one query), and each one's years once brought up to date.
_reading: ContextVar[dict | None] = ContextVar("liman_reach_reading", default=None)


@contextmanager
def reading():
    """One computation of the 4W (a page, an export, a submission): the stored first reaches are brought up to date
    once at its start, not once per month and measure it reads."""
    if _reading.get() is not None:
        yield
        return
    token = _reading.set({})
    try:
        yield
    finally:
        _reading.reset(token)


def stored_measures() -> list[str]:
    return sorted(key for key, found in measures.MEASURES.items() if found.reach is not None)


def _january(year: int) -> datetime.date:
    return datetime.date(year, 1, 1)


def _audit_head() -> int:
    from liman.core.models import AuditEvent

    return AuditEvent.objects.aggregate(head=Max("seq"))["head"] or 0


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _compute(measure_key: str, year: int, keys: list | None = None) -> Iterator:
    """The FirstReach rows of `measure_key` in `year` from the records (only those of `keys` when given)."""
    from .models import FirstReach

    found = measures.measure(measure_key)
    batches = [None] if keys is None else list(_chunks(keys))
    zone = timezone.get_current_timezone()
    for batch in batches:
        rows = found.rows(_january(year), _january(year + 1), None)
        queryset = rows.queryset if batch is None else rows.queryset.filter(found.reach.keys(batch))
        grouped = (
            queryset.annotate(m_office=F(rows.office), m_district=Coalesce(F(rows.district), Value("")))
            .order_by()
            .values(rows.key, "m_office", "m_district")
            .annotate(a_on=Min(rows.on), a_pid=Max("m_pid"))
            .values_list(rows.key, "m_office", "m_district", "a_on", "a_pid")
        )
        best: dict[tuple, tuple] = {}
        for key, office_id, district, on, person_id in grouped.iterator(chunk_size=10_000):
            if isinstance(on, datetime.datetime):
                on = on.astimezone(zone).date()
            seen = best.get((key, office_id))
            if seen is None or (on, district) < seen[:2]:
                best[(key, office_id)] = (on, district or "", person_id)
        for (key, office_id), (on, district, person_id) in best.items():
            yield FirstReach(
                measure_key=measure_key, year=year, office_id=office_id, key=key, person_id=person_id, first_on=on,
                district_pcode=district,
            )  # fmt: skip


def _insert(rows: Iterable) -> int:
    from .models import FirstReach

    batch, count = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) >= 2_000:
            FirstReach.objects.bulk_create(batch)
            count, batch = count + len(batch), []
    if batch:
        FirstReach.objects.bulk_create(batch)
        count += len(batch)
    return count


def rebuild(measure_key: str, year: int) -> int:
    """Compute `measure_key`'s first reaches of `year` from the records; the number of rows stored."""
    from .models import FirstReach, ReachState

    if measures.measure(measure_key).reach is None:
        raise LookupError(f"The measure {measure_key!r} declares no stored first reach.")
    with transaction.atomic():
        head = _audit_head()
        FirstReach.objects.filter(measure_key=measure_key, year=year).delete()
        count = _insert(_compute(measure_key, year))
        ReachState.objects.update_or_create(
            measure_key=measure_key, year=year, defaults={"audit_seq": head, "built_at": timezone.now()}
        )
    return count


def _touched(measure_key: str, events: list[tuple[str, str, str]]):
    """The keys whose first reach the audit events (action, record type, record id) may have changed, or FULL."""
    found = measures.measure(measure_key)
    sources = dict(found.reach.sources)
    probe = found.rows(_january(2000), _january(2000), None)
    personal = probe.key == "m_person"
    ids: dict[str, set[int]] = {}
    keys: set[int] = set()
    for action, label, object_id in events:
        gone = action in (AuditAction.DELETE, AuditAction.PURGE)
        if gone and not (personal and label == "registry.person" and object_id.isdigit()):
            return FULL  # what the record linked is gone with it
        if not object_id.isdigit():
            continue
        if gone:
            keys.add(int(object_id))  # a person deleted or purged: their own key, recomputed (to nothing)
        ids.setdefault(label, set()).add(int(object_id))
    for label, found_ids in ids.items():
        values = sorted(found_ids)
        if label == "registry.personmerge":
            from liman.registry.models import PersonMerge

            for batch in _chunks(values):
                for survivor, merged in PersonMerge.objects.filter(pk__in=batch).values_list("survivor", "merged"):
                    keys.update((survivor, merged))
            continue
        path = sources.get(label)
        if path is None:
            continue
        if personal and label == "registry.person":
            keys.update(values)  # an alias's own key (its rows go when it is merged)
        for batch in _chunks(values):
            lookup = {"pk__in": batch} if not path else {f"{path}__pk__in": batch}
            keys.update(found.reach.base().filter(**lookup).order_by().values_list(probe.key, flat=True).distinct())
        if len(keys) > REBUILD_ABOVE:
            return FULL
    keys.discard(None)
    return keys


def catch_up(measure_key: str) -> list[int]:
    """Bring `measure_key`'s stored first reaches up to the audit log; the years stored (none: not built)."""

    from .models import ReachState

    found = measures.MEASURES.get(measure_key)
    if found is None or found.reach is None:
        return []
    cache = _reading.get()
    if cache is not None:
        if None not in cache:
            cache[None] = set(ReachState.objects.order_by().values_list("measure_key", flat=True).distinct())
        if measure_key not in cache[None]:
            return []
        if measure_key not in cache:
            cache[measure_key] = _catch_up(measure_key, found)
        return cache[measure_key]
    return _catch_up(measure_key, found)


def _catch_up(measure_key: str, found) -> list[int]:
    from liman.core.models import AuditEvent

    from .models import FirstReach, ReachState

    with transaction.atomic():
        states = list(ReachState.objects.select_for_update().filter(measure_key=measure_key).order_by("year"))
        if not states:
            return []
        head = _audit_head()
        since = min(state.audit_seq for state in states)
        if head > since:
            labels = sorted(found.reach.sources)
            if "registry.person" in found.reach.sources:
                labels.append("registry.personmerge")
            events = list(
                AuditEvent.objects.filter(seq__gt=since, seq__lte=head, object_type__in=labels)
                .order_by()
                .values_list("action", "object_type", "object_id")
            )
            touched = _touched(measure_key, events) if events else set()
            for state in states:
                if touched is FULL:
                    rebuild(measure_key, state.year)
                    continue
                keys = sorted(touched)
                for batch in _chunks(keys):
                    FirstReach.objects.filter(measure_key=measure_key, year=state.year, key__in=batch).delete()
                if keys:
                    _insert(_compute(measure_key, state.year, keys))
            ReachState.objects.filter(pk__in=[state.pk for state in states]).update(audit_seq=head)
    return [state.year for state in states]


def stored_rows(
    measure_key: str,
    start: datetime.date,
    end: datetime.date,
    offices: Iterable[int] | None,
    *,
    since: datetime.date | None,
) -> list[measures.MeasureRow] | None:
    """The rows `fourw.reached` gives for [start, end) with people reached in [since, start) left out, read from
    the stored first reaches: one per key × office first reached in [start, end) in the year (by the offices given),
    or None when they cannot answer (the period is not within one year from its 1 January, or not built)."""
    from liman.registry.models import DisabilityAssessment, LegalStatus

    from .models import FirstReach

    year = start.year
    january = _january(year)
    if end > _january(year + 1) or (since != january and not (since is None and start == january)):
        return None
    if year not in catch_up(measure_key):
        return None
    offices = None if offices is None else list(offices)
    entries = FirstReach.objects.filter(measure_key=measure_key, year=year, first_on__gte=start, first_on__lt=end)
    if offices is not None:
        entries = entries.filter(office_id__in=offices)
    if start > january:
        earlier = FirstReach.objects.filter(measure_key=measure_key, year=year, key=OuterRef("key"), first_on__lt=start)
        if offices is not None:
            earlier = earlier.filter(office_id__in=offices)
        entries = entries.filter(~Exists(earlier))
    found = entries.annotate(
        **measures.person_annotations(
            "person", legal_status_model=LegalStatus, disability_model=DisabilityAssessment, since=start
        )
    ).values_list("key", "office_id", "district_pcode", "first_on", "m_sex", "m_birth", "m_group", "m_disability")
    return [
        measures.MeasureRow(
            person_key=key,
            on=on,
            office_id=office_id,
            district_pcode=district or "",
            sex=sex or "",
            age_group=measures.age_group_on(birth, on),
            population_group=group or measures.PopulationGroup.OTHER,
            with_disability=bool(disability),
        )  # fmt: skip
        for key, office_id, district, on, sex, birth, group, disability in found.order_by().iterator(chunk_size=10_000)
    ]
