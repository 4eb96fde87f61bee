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

from django.db import connection, transaction
from django.db.models import Count, DateTimeField, Exists, F, Max, Min, OuterRef, Q, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from liman.core import bulk, dbstats, measures
from liman.core.choices import AuditAction

#: More keys touched than this since the last read: the measure's years are rebuilt (cheaper than key by key).
REBUILD_ABOVE = 50_000
CHUNK = 500
#: PostgreSQL's memory for each sort or hash of a full build (`_full_build`).
BUILD_WORK_MEM = "256MB"
FULL = object()  # a change whose keys cannot be found: rebuild

#: Within `reading()`: which measures are stored (one query), and each one's years once brought up to date.
_reading: ContextVar[dict | None] = ContextVar("liman_reach_reading", default=None)


#: PostgreSQL's settings for reading stored first reaches. The reads are short (a fraction of a second), but the
#: subqueries describing each person (legal status, disability) put the planner's estimate far above
#: `jit_above_cost`: compiling the query took 1.9 s of a 2.2 s read of a project's 88,301 people that runs in 0.2 s
#: without it.
READ_SETTINGS = {"jit": "off"}


@contextmanager
def reading():
    """One computation of the 4W (a page, an export, a submission) or of a project's table: the stored first reaches
    are brought up to date once at its start, not once per month and measure it reads, and PostgreSQL's
    `READ_SETTINGS` are set once for all its reads."""
    if _reading.get() is not None:
        yield
        return
    token = _reading.set({})
    try:
        with _postgres_settings(**READ_SETTINGS):
            yield
    finally:
        _reading.reset(token)


@contextmanager
def _read_settings() -> Iterator[None]:
    """`READ_SETTINGS` for one read, unless `reading()` has set them already."""
    if _reading.get() is not None:
        yield
        return
    with _postgres_settings(**READ_SETTINGS):
        yield


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


def _grouped(rows, keys_filter):
    """The records of `rows` grouped by key × office × district (`keys_filter`: only the records of some keys, or
    None), as values `r_key`, `r_office`, `r_district`, `r_day` (the group's first day, as a local date) and
    `r_person` (the person the group's first reach describes: the survivor of a merge, as `m_person`)."""
    queryset = rows.queryset if keys_filter is None else rows.queryset.filter(keys_filter)
    grouped = (
        queryset.annotate(r_key=F(rows.key), r_office=F(rows.office), r_district=Coalesce(F(rows.district), Value("")))
        .order_by()
        .values("r_key", "r_office", "r_district")
        .annotate(r_first=Min(rows.on), r_person=Max("m_person"))
    )
    if isinstance(grouped.query.annotations["r_first"].output_field, DateTimeField):
        grouped = grouped.annotate(r_day=TruncDate("r_first"))  # the local day of the first moment
    else:
        grouped = grouped.annotate(r_day=F("r_first"))
    return grouped.values_list("r_key", "r_office", "r_district", "r_day", "r_person")


def _insert_first(model, fixed: dict, grouped, *, per: tuple[str, ...]) -> int:
    """Store in `model` the first group of `grouped` (`_grouped`) per `per` (a key and office, or a key): the earliest
    day, then the lowest office, then district, as `fourw.reached` picks a person's first reach; with the `fixed`
    values (the measure, the year or project) in every row. One INSERT … SELECT: the rows are computed and written
    by the database, never read into Python (a year of a large mission is a million rows). The number stored."""
    order = [name for name in ("r_day", "r_office", "r_district") if name not in per]
    select, params = grouped.query.sql_with_params()
    values = {**dict.fromkeys(fixed, "%s"), "key": "r_key", "office_id": "r_office", "district_pcode": "r_district",
              "first_on": "r_day", "person_id": "r_person"}  # fmt: skip
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in values)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {', '.join(values.values())} FROM ("  # noqa: S608
        f"SELECT r_key, r_office, r_district, r_day, r_person, "
        f"ROW_NUMBER() OVER (PARTITION BY {', '.join(per)} ORDER BY {', '.join(order)}) AS r_rank "
        f"FROM ({select}) grouped) ranked WHERE r_rank = 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*fixed.values(), *params])
        return cursor.rowcount


@contextmanager
def _postgres_settings(**values: str) -> Iterator[None]:
    """PostgreSQL's settings `values` for the block, put back after it; nothing on SQLite. Within a transaction they
    are set for it (`set_config(…, true)`): when a statement of the block failed, rolling the transaction (or the
    savepoint around the block) back puts them back. Outside one they are set for the session."""
    if connection.vendor != "postgresql":
        yield
        return
    local = connection.in_atomic_block

    def put(settings: dict[str, str]) -> dict[str, str]:
        before = {}
        with connection.cursor() as cursor:
            for name, value in settings.items():
                cursor.execute("SELECT current_setting(%s), set_config(%s, %s, %s)", [name, name, value, local])
                before[name] = cursor.fetchone()[0]
        return before

    before = put(values)
    try:
        yield
    finally:
        if not (local and _failed_transaction()):
            put(before)


def _failed_transaction() -> bool:
    """Whether the transaction can only be rolled back (a statement in it failed)."""
    from psycopg import pq

    return connection.needs_rollback or connection.connection.info.transaction_status == pq.TransactionStatus.INERROR


@contextmanager
def _full_build() -> Iterator[None]:
    """Room for a full build's GROUP BY of every record of a year or project (two million joined rows at 100,000
    people): on PostgreSQL a larger `work_mem` for the transaction, so that the groups are hashed in memory (with the
    default the planner sorts them on disk, twice as slow); on SQLite a larger page cache (core.bulk.large_writes)."""
    if connection.vendor != "postgresql":
        with bulk.large_writes():
            yield
        return
    with _postgres_settings(work_mem=BUILD_WORK_MEM):
        yield


def _store(measure_key: str, year: int, keys: list | None = None) -> int:
    """Store the FirstReach rows of `measure_key` in `year` computed from the records (only those of `keys` when
    given): each key once per office, at its first reach by that office. The number stored."""
    from .models import FirstReach

    found = measures.measure(measure_key)
    count = 0
    for batch in [None] if keys is None else list(_chunks(keys)):
        rows = found.rows(_january(year), _january(year + 1), None)
        grouped = _grouped(rows, batch and found.reach.keys(batch))
        count += _insert_first(
            FirstReach, {"measure_key": measure_key, "year": year}, grouped, per=("r_key", "r_office")
        )
    return count


def rebuild(measure_key: str, year: int) -> int:
    """Compute `measure_key`'s first reaches of `year` from the records; the number of rows stored."""
    from .models import FirstReach, ReachState

    if measures.measure(measure_key).reach is None:
        raise LookupError(f"The measure {measure_key!r} declares no stored first reach.")
    with transaction.atomic():
        head = _audit_head()
        FirstReach.objects.filter(measure_key=measure_key, year=year).delete()
        with _full_build():
            count = _store(measure_key, year)
        ReachState.objects.update_or_create(
            measure_key=measure_key, year=year, project=None,
            defaults={"audit_seq": head, "built_at": timezone.now(), "stale": False},
        )  # fmt: skip
    dbstats.analyse_written(FirstReach, count)
    return count


# --- a project's first reaches (its indicator table) ----------------------------------------------------------


def _project_period(project) -> tuple[datetime.date, datetime.date]:
    return project.starts_on, project.ends_on + datetime.timedelta(days=1)


def _store_project(measure_key: str, project, keys: list | None = None) -> int:
    """Store the ProjectReach rows of `measure_key` in `project` (its life, its offices, its tagged records) computed
    from the records (only those of `keys` when given): each key once, at its first reach. The number stored."""
    from . import tagging
    from .models import ProjectReach

    found = measures.measure(measure_key)
    offices = list(project.offices.values_list("pk", flat=True))
    start, end = _project_period(project)
    count = 0
    for batch in [None] if keys is None else list(_chunks(keys)):
        rows = tagging.restricted(measure_key, found.rows(start, end, offices), project)
        grouped = _grouped(rows, batch and found.reach.keys(batch))
        count += _insert_first(
            ProjectReach, {"measure_key": measure_key, "project_id": project.pk}, grouped, per=("r_key",)
        )
    return count


def rebuild_project(measure_key: str, project) -> int:
    """Compute `measure_key`'s first reaches in `project` from the records; the number of rows stored."""
    from .models import ProjectReach, ReachState

    if measures.measure(measure_key).reach is None:
        raise LookupError(f"The measure {measure_key!r} declares no stored first reach.")
    with transaction.atomic():
        head = _audit_head()
        ProjectReach.objects.filter(measure_key=measure_key, project=project).delete()
        with _full_build():
            count = _store_project(measure_key, project)
        ReachState.objects.update_or_create(
            measure_key=measure_key, project=project,
            defaults={"year": 0, "audit_seq": head, "built_at": timezone.now(), "stale": False},
        )  # fmt: skip
    dbstats.analyse_written(ProjectReach, count)
    return count


def project_measures(project) -> list[str]:
    """The stored measures `project`'s indicators are computed from."""
    from .choices import IndicatorKind
    from .models import Indicator

    wanted = set(stored_measures())
    return sorted(
        key
        for key in Indicator.objects.filter(output__outcome__project=project, kind=IndicatorKind.COMPUTED)
        .values_list("measure_key", flat=True)
        .distinct()
        if key in wanted
    )


def rebuild_projects(projects=None) -> dict[str, int]:
    """Build the first reaches of every project's computed indicators (of `projects`, default all): rows per
    project × measure."""
    from .models import Project

    built = {}
    for project in projects if projects is not None else Project.objects.order_by("pk"):
        for key in project_measures(project):
            built[f"{project.grant_code} {key}"] = rebuild_project(key, project)
    return built


def build_missing_projects() -> dict[str, int]:
    """Build the first reaches of the projects' computed indicators that have none yet (a new project, a new
    indicator): the scheduled catch-up calls it, so a project's page reads them from then on."""
    from .models import Project, ReachState

    built = {}
    have = set(ReachState.objects.filter(project__isnull=False).values_list("measure_key", "project_id"))
    for project in Project.objects.order_by("pk"):
        for key in project_measures(project):
            if (key, project.pk) not in have:
                built[f"{project.grant_code} {key}"] = rebuild_project(key, project)
    return built


def project_rows(measure_key: str, project, start: datetime.date, end: datetime.date) -> Stored | None:
    """The rows `fourw.reached` gives for the project over [start, end) read from its stored first reaches, or None
    when they cannot answer (not built, or a period that does not start on the project's first day).

    A period from the project's first day (its life, its dashboard to today, a donor report "to date") holds the
    people first reached before its end, each at that first reach: who was reached in it and where they were first
    reached are both in the stored rows. A period starting later also counts the people first reached before it and
    reached again in it, which the stored rows (the first reach only) do not hold: it is computed from the records."""
    from .models import ProjectReach

    first_day, after_life = _project_period(project)
    if start != first_day or end > after_life or ("project", project.pk) not in catch_up(measure_key):
        return None
    entries = ProjectReach.objects.filter(measure_key=measure_key, project=project)
    if end < after_life:
        entries = entries.filter(first_on__lt=end)
    return Stored(entries, start)


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


#: The audit actions that can change a first reach (reads, exports and logins cannot).
WRITES = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE, AuditAction.TRANSITION, AuditAction.PURGE)


def catch_up(measure_key: str) -> set:
    """What of `measure_key`'s stored first reaches can be read, brought up to the audit log first: its years, and
    ("project", id) for each project's (empty: not built, or waiting to be rebuilt). Within `reading()`, every stored
    measure is brought up to date at once, the first time one is asked for."""
    found = measures.MEASURES.get(measure_key)
    if found is None or found.reach is None:
        return set()
    cache = _reading.get()
    if cache is None:
        return catch_up_all([measure_key]).get(measure_key, set())
    if not cache:
        cache.update(catch_up_all())
        cache[None] = True
    return cache.get(measure_key, set())


def _unit(state) -> int | tuple:
    return ("project", state.project_id) if state.project_id else state.year


def catch_up_all(measure_keys: list[str] | None = None, *, rebuild_now: bool = False) -> dict[str, set]:
    """Bring the stored first reaches of `measure_keys` (every stored measure) up to the audit log: what of each can
    be read (as `catch_up`).

    Cheap when nothing they count was written since the last time (a page reads it): the states, the audit log's
    head and the write events since, three queries for all measures. The keys a write touched are computed again.
    A write whose keys cannot be found (a deletion, a re-tag) makes the measure's stored rows stale: with
    `rebuild_now` (the scheduled job, the task) they are rebuilt here; otherwise (a page) a rebuild task is queued
    once, and the measure is computed from the records until it is done, never read stale."""
    from .models import ReachState

    keys = [key for key in (measure_keys or stored_measures()) if measures.measure(key).reach is not None]
    states = list(ReachState.objects.filter(measure_key__in=keys).order_by("measure_key", "year", "project_id"))
    if not states:
        return {}
    head = _audit_head()
    behind = [state for state in states if state.audit_seq < head and not state.stale]
    if behind and _events(keys, min(state.audit_seq for state in behind), head, exists=True):
        return _catch_up_locked(keys, rebuild_now=rebuild_now)
    if behind:
        ReachState.objects.filter(pk__in=[state.pk for state in behind], audit_seq__lt=head).update(audit_seq=head)
    if rebuild_now and any(state.stale for state in states):
        return _catch_up_locked(keys, rebuild_now=True)
    ready: dict[str, set] = {}
    for state in states:
        if not state.stale:
            ready.setdefault(state.measure_key, set()).add(_unit(state))
    return ready


#: Writes to a project's tags or dates change which records it counts.
PROJECT_LABELS = ("reporting.projecttag", "reporting.project")


def _labels(measure_key: str) -> list[str]:
    sources = measures.measure(measure_key).reach.sources
    return sorted(sources) + (["registry.personmerge"] if "registry.person" in sources else []) + list(PROJECT_LABELS)


def _events(keys: list[str], since: int, head: int, *, exists: bool = False):
    """The write events (seq, action, record type, record id) in (since, head] of the record types `keys` count."""
    from liman.core.models import AuditEvent

    labels = sorted({label for key in keys for label in _labels(key)})
    events = AuditEvent.objects.filter(seq__gt=since, seq__lte=head, object_type__in=labels, action__in=WRITES)
    if exists:
        return events.exists()
    return list(events.order_by("seq").values_list("seq", "action", "object_type", "object_id"))


def _tagged_keys(measure_key: str, events: list[tuple[str, str, str]]):
    """The keys of the records newly tagged by `events` (CREATEs of project tags), or FULL for any other change to
    tags or projects (a re-tag, a tag removed, a project's dates or offices changed)."""
    from .models import ProjectTag

    found = measures.measure(measure_key)
    created = []
    for action, label, object_id in events:
        if label == "reporting.project" or action != AuditAction.CREATE or not object_id.isdigit():
            return FULL
        created.append(int(object_id))
    if not created or not found.tagged:
        return set()
    probe = found.rows(_january(2000), _january(2000), None)
    keys: set = set()
    for batch in _chunks(created):
        records = ProjectTag.objects.filter(pk__in=batch).values_list("object_id", flat=True)
        lookup = {f"{found.tagged_path}__pk__in": list(records)}
        keys.update(found.reach.base().filter(**lookup).order_by().values_list(probe.key, flat=True).distinct())
    keys.discard(None)
    return keys


def _catch_up_locked(keys: list[str], *, rebuild_now: bool) -> dict[str, set]:
    from .models import FirstReach, Project, ProjectReach, ReachState

    ready: dict[str, set] = {}
    stale: list[ReachState] = []
    with transaction.atomic():
        states = list(
            ReachState.objects.select_for_update().filter(measure_key__in=keys).order_by("measure_key", "year")
        )
        if not states:
            return {}
        head = _audit_head()
        live = [state for state in states if not state.stale]
        events = _events(keys, min(state.audit_seq for state in live), head) if live else []
        projects = Project.objects.in_bulk({state.project_id for state in states if state.project_id})
        for measure_key in sorted({state.measure_key for state in states}):
            mine = [state for state in states if state.measure_key == measure_key]
            labels = set(_labels(measure_key)) - set(PROJECT_LABELS)
            since_seq: dict[int, tuple] = {}  # each state reads the events after its own position (a project built
            # after the year's rows must not see the creation of its own project as a change of its tags)
            for state in mine:
                if state.audit_seq not in since_seq:
                    mine_events = [(action, label, object_id) for seq, action, label, object_id in events
                                   if seq > state.audit_seq]  # fmt: skip
                    relevant = [event for event in mine_events if event[1] in labels]
                    since_seq[state.audit_seq] = (
                        _touched(measure_key, relevant) if relevant else set(),
                        [event for event in mine_events if event[1] in PROJECT_LABELS],
                    )
                touched, tagged = since_seq[state.audit_seq]
                project = projects.get(state.project_id)
                keys_here = touched
                if project is not None and touched is not FULL and tagged:
                    more = _tagged_keys(measure_key, tagged)
                    keys_here = FULL if more is FULL else touched | more
                if keys_here is FULL or state.stale:
                    if rebuild_now:
                        if project is not None:
                            rebuild_project(measure_key, project)
                        else:
                            rebuild(measure_key, state.year)
                        ready.setdefault(measure_key, set()).add(_unit(state))
                    elif not state.stale:
                        stale.append(state)
                    continue
                for batch in _chunks(sorted(keys_here)):
                    if project is None:
                        FirstReach.objects.filter(measure_key=measure_key, year=state.year, key__in=batch).delete()
                    else:
                        ProjectReach.objects.filter(measure_key=measure_key, project=project, key__in=batch).delete()
                if keys_here:
                    if project is None:
                        _store(measure_key, state.year, sorted(keys_here))
                    else:
                        _store_project(measure_key, project, sorted(keys_here))
                ready.setdefault(measure_key, set()).add(_unit(state))
        done = [state.pk for state in states if state not in stale and not state.stale]
        ReachState.objects.filter(pk__in=done, audit_seq__lt=head).update(audit_seq=head)
        if stale:
            ReachState.objects.filter(pk__in=[state.pk for state in stale]).update(stale=True)
            stale_keys = sorted({state.measure_key for state in stale})
            transaction.on_commit(lambda: _queue_rebuild(stale_keys))
    return ready


def _queue_rebuild(measure_keys: list[str]) -> None:
    from .tasks import reach_rebuild_task

    reach_rebuild_task.enqueue(measure_keys)


def stored_rows(
    measure_key: str,
    start: datetime.date,
    end: datetime.date,
    offices: Iterable[int] | None,
    *,
    since: datetime.date | None,
) -> Stored | None:
    """The rows `fourw.reached` gives for [start, end) with people reached in [since, start) left out, read from
    the stored first reaches: one per key first reached in [start, end) in the year by the offices given (at the
    first of them, as `fourw.reached` picks: the earliest day, then the lowest office), or None when they cannot
    answer (the period is not within one year from its 1 January, or not built)."""
    from .models import FirstReach

    year = start.year
    january = _january(year)
    if end > _january(year + 1) or (since != january and not (since is None and start == january)):
        return None
    if year not in catch_up(measure_key):
        return None
    offices = None if offices is None else list(offices)
    entries = FirstReach.objects.filter(measure_key=measure_key, year=year, first_on__gte=start, first_on__lt=end)
    same_key = FirstReach.objects.filter(measure_key=measure_key, year=year, key=OuterRef("key"))
    if offices is not None:
        entries = entries.filter(office_id__in=offices)
        same_key = same_key.filter(office_id__in=offices)
    if offices is not None and len(offices) == 1:
        # One row per key and office: only a first reach before the period can come first.
        if start > january:
            entries = entries.filter(~Exists(same_key.filter(first_on__lt=start)))
    else:
        # Two offices' first reaches of one key: the earlier day counts, then the lower office.
        before = Q(first_on__lt=OuterRef("first_on"))
        same_day = Q(first_on=OuterRef("first_on"), office_id__lt=OuterRef("office_id"))
        entries = entries.filter(~Exists(same_key.filter(before | same_day, first_on__lt=end)))
    return Stored(entries, start)


class Stored:
    """Stored first reaches selected for a period (`stored_rows`, `project_rows`): one per key, at its first reach,
    with the person's sex, age, population group and disability read when they are read (`since`: the first day of
    the period, for the legal statuses in force).

    Iterated, they are `MeasureRow`s (a dashboard's months need each person's day). `counts()` is the form for what
    only counts people (the 4W, an indicator table): grouped in the database by office, district, population group,
    sex × age and disability, the age computed there from the birth date and the day of the first reach as
    `measures.age_group_on` does: a large project's 88,301 people are a few hundred groups, not 88,301 objects."""

    def __init__(self, entries, since: datetime.date):
        self.entries, self.since = entries, since

    def _described(self):
        from liman.registry.models import DisabilityAssessment, LegalStatus

        return self.entries.order_by().annotate(
            **measures.person_annotations(
                "person", legal_status_model=LegalStatus, disability_model=DisabilityAssessment, since=self.since
            )
        )

    def __iter__(self) -> Iterator[measures.MeasureRow]:
        found = self._described().values_list(
            "key", "office_id", "district_pcode", "first_on", "m_sex", "m_birth", "m_group", "m_disability"
        )
        with _read_settings():
            found = list(found)
        for key, office_id, district, on, sex, birth, group, disability in found:
            yield measures.MeasureRow(
                person_key=key,
                on=on,
                office_id=office_id,
                district_pcode=district or "",
                sex=sex or "",
                age_group=measures.age_group_on(birth, on),
                population_group=group or measures.PopulationGroup.OTHER,
                with_disability=bool(disability),
            )  # fmt: skip

    def counts(self) -> list[tuple[int, str, str, str, bool, int]]:
        """(office id, district p-code, population group, sex × age (an AgeSex value), with a disability, people)."""
        found = (
            self._described()
            .annotate(m_age_sex=measures.age_sex_of("m_sex", "m_birth", "first_on"))
            .values_list("office_id", "district_pcode", "m_group", "m_age_sex", "m_disability")
            .annotate(m_people=Count("pk"))
        )
        with _read_settings():
            found = list(found)
        return [
            (office_id, district or "", group or measures.PopulationGroup.OTHER, age_sex, bool(disability), people)
            for office_id, district, group, age_sex, disability, people in found
        ]
