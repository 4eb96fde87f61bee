"""Measures: named, disaggregable counts that apps offer to reporting (docs/architecture.md, "Measures and
reporting's stored reaches").

An app declares each measure in its AppConfig.ready() with `register(Measure(...))`; reporting reads them through
`measure(key)` / `MEASURES` and never imports an app by name. Core imports no app: the helpers below take the app's
own models and querysets as arguments.

A measure's `rows(start, end, offices)` yields `MeasureRow`s for the half-open period [start, end) in the given
offices (ids; None for every office):

- person-level rows (`person_key` set, `count` 1): the reporting layer counts a person once per period and tells
  "new in the month" from "reached earlier in the year". `person_key` is the surviving record of a merge
  (`Person.merged_into`), so a duplicate counts as the person it was merged into.
- pre-aggregated rows (`person_key` None): group counts (people met at the border by sex × age group × nationality),
  counted as given.

Rows carry no names or identifiers: a protection-tier measure (victims of trafficking) yields counts only.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, models
from django.db.models import Case, Exists, F, Func, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, LessThan
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Sent by an app's service right after it creates records in bulk (`bulk_create` and `record_create_many` send no
#: `post_save`): `sender` the model, `records` the records created, with their ids. Whatever a record's creation
#: means to reporting (tagging it with its office × programme's default project) then happens to them as it does to
#: one record saved. Core imports no app: reporting connects to it.
records_created = Signal()


class Unit(models.TextChoices):
    PEOPLE = "people", _("people")
    HOUSEHOLDS = "households", _("households")
    RECORDS = "records", _("records")


class PopulationGroup(models.TextChoices):
    """The 3RP Türkiye population groups, exactly as the 4W names them."""

    SYRIANS_TP = "Syrians under temporary protection", _("Syrians under temporary protection")
    OTHER = "Other nationalities", _("Other nationalities")
    HOST = "Host community", _("Host community")


class AgeSex(models.TextChoices):
    """The 4W's sex × age columns: girls and boys under 18, women and men 18 and over."""

    GIRLS = "girls", _("Girls (under 18)")
    BOYS = "boys", _("Boys (under 18)")
    WOMEN = "women", _("Women (18 and over)")
    MEN = "men", _("Men (18 and over)")


ADULT_AGE = 18


@dataclass(frozen=True, slots=True)
class MeasureRow:
    person_key: int | None
    on: datetime.date
    office_id: int
    district_pcode: str  # "" when the record names no district (reported at the office's province)
    sex: str  # "F" / "M" ("" when unknown, e.g. an anonymous complaint: counted with men and boys)
    age_group: str  # "child" (<18) / "adult" (18+); unknown ages count as adults
    population_group: str  # a PopulationGroup value
    with_disability: bool
    count: int = 1

    @property
    def age_sex(self) -> str:
        if self.age_group == CHILD:
            return AgeSex.GIRLS if self.sex == "F" else AgeSex.BOYS
        return AgeSex.WOMEN if self.sex == "F" else AgeSex.MEN


CHILD = "child"
ADULT = "adult"


@dataclass(frozen=True)
class Reach:
    """How reporting keeps a stored first reach of a person-level measure (one row per key × office × year: the
    first day reached and the district then), so that the 4W reads "new in the month" from it instead of reading
    every record of the year. Reporting keeps it exact from the audit log: a record of a `sources` model written
    since the last read names the keys whose first reach is computed again (by `rows` for those keys only).

    - `base()`: the measure's records with no period, annotated with the measure's key (`m_person` …);
    - `keys(keys)`: a filter (on the same records) selecting the records of the given keys, on indexed columns;
    - `sources`: model label (lower case, as the audit log names it) → the path from the records to that model
      ("" for the records' own model). A change to a person (a merge) also names the person's own key."""

    base: Callable[[], models.QuerySet]
    keys: Callable[[Collection[int]], Q]
    sources: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # a Unit value
    rows: Callable[[datetime.date, datetime.date, Iterable[int] | None], Iterable[MeasureRow]]
    app: str = ""
    #: The record kind a project is tagged on ("assistance.DistributionPlan"; "" when the measure's records are not
    #: tagged) and the path from the measure's queryset to it: a project's share of the measure counts only the
    #: records tagged with the project (liman.reporting.tagging).
    tagged: str = ""
    tagged_path: str = ""
    #: How reporting stores its first reaches (None: always computed from the records).
    reach: Reach | None = None
    #: The tier of the records counted: a protection measure yields counts only (rows never carry names or
    #: references). Whatever publishes its figures applies core.disclosure's minimum cell; the 4W, which goes to the
    #: 3RP sector and not to the public, does not suppress cells.
    sensitivity: str = "normal"
    order: int = 100


MEASURES: dict[str, Measure] = {}


def register(measure: Measure) -> None:
    MEASURES[measure.key] = measure


def measure(key: str) -> Measure:
    try:
        return MEASURES[key]
    except KeyError:
        raise LookupError(f"No measure {key!r}; declared: {', '.join(sorted(MEASURES))}.") from None


# --- helpers the apps' measures use ----------------------------------------------------------------------------


def age_group_on(birth_date: datetime.date | None, on: datetime.date) -> str:
    if birth_date is None:
        return ADULT
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return CHILD if age < ADULT_AGE else ADULT


class DayNumber(Func):
    """A date as the integer YYYYMMDD. The difference of two is the age in whole years times 10,000 plus less than
    10,000 (the month and day part), so `on - birth < 18 * 10_000` is `age_group_on`'s "under 18" in SQL, 29
    February included (no date arithmetic: PostgreSQL's `+ interval '18 years'` makes 29 February the 28th)."""

    arity = 1
    output_field = models.IntegerField()
    template = "CAST(TO_CHAR(%(expressions)s, 'YYYYMMDD') AS INTEGER)"

    def as_sqlite(self, compiler, connection, **extra):
        # Dates are stored as 'YYYY-MM-DD': strftime runs in SQLite itself (Extract calls back into Python per row).
        return super().as_sql(
            compiler, connection, template="CAST(strftime('%%%%Y%%%%m%%%%d', %(expressions)s) AS INTEGER)", **extra
        )


def age_sex_of(sex: str, birth: str, on: str) -> Case:
    """The 4W's sex × age column (an AgeSex value) computed in the database from the fields or annotations `sex`,
    `birth` (the birth date) and `on` (the date of the reach), exactly as `MeasureRow.age_sex` and `age_group_on`
    give it in Python: no birth date counts as an adult, a sex other than "F" with men and boys."""
    child = Q(**{f"{birth}__isnull": False}) & Q(LessThan(DayNumber(on) - DayNumber(birth), ADULT_AGE * 10_000))
    female = Q(**{sex: "F"})
    return Case(
        When(child & female, then=Value(AgeSex.GIRLS.value)),
        When(child, then=Value(AgeSex.BOYS.value)),
        When(female, then=Value(AgeSex.WOMEN.value)),
        default=Value(AgeSex.MEN.value),
        output_field=models.CharField(),
    )


def age_group_of_band(band: str) -> str:
    """A DTM / 3RP age band ("0_4", "5_17", "18_59", "60") as child or adult."""
    return CHILD if band in ("0_4", "5_17") else ADULT


def population_group_of_nationality(nationality: str) -> str:
    """For group counts (no legal status known): Turkish nationals are the host community, Syrians are under
    temporary protection, everyone else is another nationality."""
    if nationality == "TUR":
        return PopulationGroup.HOST
    if nationality == "SYR":
        return PopulationGroup.SYRIANS_TP
    return PopulationGroup.OTHER


def person_annotations(person: str, *, legal_status_model, disability_model, since: datetime.date) -> dict:
    """Annotations naming a record's person for measure rows: `m_person` (the survivor of a merge), and that
    survivor's `m_sex`, `m_birth`, `m_group` (population group from nationality and legal status) and `m_disability`.

    `person` is the path from the record to its person ("" for a Person queryset). A record can still name a merged
    person (an alias keeps its own household membership when both people had one): it counts as the survivor, with
    the survivor's sex, age, group and disability, as the survivor's own records do, so that a person merged from
    two records is one person, described one way, wherever it is counted. Population group: a Turkish national or
    citizen is the host community; a person with a temporary-protection status in force on `since` (or later), or
    a Syrian with no legal status recorded, is under temporary protection; everyone else is another nationality."""
    prefix = f"{person}__" if person else ""
    pk = f"{person}__pk" if person else "pk"
    own = Q(**{f"{prefix}merged_into__isnull": True})

    def survivors(name: str) -> Case:
        return Case(When(own, then=F(f"{prefix}{name}")), default=F(f"{prefix}merged_into__{name}"))

    survivor = Coalesce(OuterRef(f"{prefix}merged_into"), OuterRef(pk))
    statuses = legal_status_model.objects.filter(person=survivor)
    in_force = Q(ended_on__isnull=True) | Q(ended_on__gte=since)
    nationality = survivors("nationality")
    host, tp = Value(PopulationGroup.HOST.value), Value(PopulationGroup.SYRIANS_TP.value)
    other = Value(PopulationGroup.OTHER.value)
    return {
        "m_person": Coalesce(F(f"{prefix}merged_into"), F(pk)),
        "m_sex": survivors("sex"),
        "m_birth": survivors("birth_date"),
        "m_group": Case(
            When(Exact(nationality, Value("TUR")), then=host),
            When(Exists(statuses.filter(status="turkish_citizen")), then=host),
            When(Exists(statuses.filter(in_force, status="temporary_protection")), then=tp),
            When(Exists(statuses), then=other),
            When(Exact(nationality, Value("SYR")), then=tp),
            default=other,
            output_field=models.CharField(),
        ),
        "m_disability": Case(
            When(Exists(disability_model.objects.filter(person=survivor, has_disability=True)), then=Value(1)),
            default=Value(0),
            output_field=models.IntegerField(),
        ),
    }


class PersonRows:
    """Measure rows from a queryset annotated with `person_annotations`: one per distinct person (or `key`, e.g. a
    household) × office × district, at the first date in the queryset. The database groups (each person's
    attributes read once per group, not per record); Python only builds the rows. `person_keys()` is the cheap form
    when only who was reached matters (reporting's "reached earlier in the year")."""

    def __init__(self, queryset, *, on: str, office: str, district: str, key: str = "m_person"):
        self.queryset, self.on, self.office, self.district, self.key = queryset, on, office, district, key

    def person_keys(self) -> set:
        return set(self.queryset.order_by().values_list(self.key, flat=True).distinct())

    def excluding(self, earlier: PersonRows) -> PersonRows:
        """These rows without the people (keys) of `earlier`, left out in the database, so that only the new ones
        are read. The key is an expression (a merge's survivor), which no index holds, so each database gets the
        form it plans as one pass over `earlier`: PostgreSQL an anti-join (NOT EXISTS, a hash anti-join; its NOT IN
        over a subquery larger than work_mem scans the subquery once per row), SQLite NOT IN (the subquery read
        once into a temporary index; its NOT EXISTS is run once per row, a full scan of `earlier` each time)."""
        if connection.vendor == "sqlite":
            reached = (
                earlier.queryset.order_by()
                .filter(**{f"{earlier.key}__isnull": False})
                .values(earlier.key)
            )  # fmt: skip
            kept = self.queryset.exclude(**{f"{self.key}__in": reached})
        else:
            reached = earlier.queryset.order_by().filter(**{earlier.key: OuterRef(self.key)})
            kept = self.queryset.filter(~Exists(reached))
        return PersonRows(kept, on=self.on, office=self.office, district=self.district, key=self.key)

    def __iter__(self) -> Iterator[MeasureRow]:
        grouped = (
            self.queryset.annotate(m_office=F(self.office), m_district=Coalesce(F(self.district), Value("")))
            .order_by()
            .values(self.key, "m_office", "m_district")
            .annotate(
                a_on=models.Min(self.on),
                a_sex=models.Max("m_sex"),
                a_birth=models.Max("m_birth"),
                a_group=models.Max("m_group"),
                a_disability=models.Max("m_disability"),
            )
            .values_list(self.key, "a_sex", "a_birth", "a_group", "a_disability", "m_office", "m_district", "a_on")
        )
        zone = timezone.get_current_timezone()
        for key, sex, birth, group, disability, office_id, pcode, first in grouped:
            if isinstance(first, datetime.datetime):
                first = first.astimezone(zone).date()
            yield MeasureRow(
                person_key=key,
                on=first,
                office_id=office_id,
                district_pcode=pcode or "",
                sex=sex or "",
                age_group=age_group_on(birth, first),
                population_group=group or PopulationGroup.OTHER,
                with_disability=bool(disability),
            )


#: The apps' measures build their rows with `person_rows(queryset, on=…, office=…, district=…)`.
person_rows = PersonRows


def offices_filter(path: str, offices: Iterable[int] | None) -> Q:
    return Q() if offices is None else Q(**{f"{path}__in": list(offices)})


def day_range(path: str, start: datetime.date, end: datetime.date, *, datetime_field: bool = False) -> Q:
    """[start, end) on a date field, or on a datetime field by its local date (aware bounds at local midnight)."""
    if not datetime_field:
        return Q(**{f"{path}__gte": start, f"{path}__lt": end})

    def midnight(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    return Q(**{f"{path}__gte": midnight(start), f"{path}__lt": midnight(end)})


def person_base(person_model) -> models.QuerySet:
    """People keyed by the survivor of a merge (`m_person`): the `Reach.base` of a measure of people."""
    return person_model.objects.annotate(m_person=Coalesce(F("merged_into"), F("pk")))


def person_keys(keys: Collection[int]) -> Q:
    """People whose survivor is one of `keys` (the survivors themselves and the people merged into them)."""
    keys = list(keys)
    return Q(pk__in=keys) | Q(merged_into__in=keys)


#: The person-level sources every measure of people shares: a person's household (and the district it lives in),
#: and the person record itself (a merge or an unmerge).
PERSON_SOURCES = {
    "registry.person": "",
    "registry.householdmember": "membership",
    "registry.household": "membership__household",
}
