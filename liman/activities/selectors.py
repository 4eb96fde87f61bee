"""Every read of activities, scoped to the user first. Who attended an MHPSS session reaches only readers of the
protection tier (the participants' and attendance rows' own scope); counts for reporting publish no cell below k."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from liman.core.access import get_visible_or_404, has_role
from liman.core.models import AdminArea, Office, User

from .choices import ActivityType, AgeGroup, PopulationGroup, Sex
from .models import Activity, Attendance, EquipmentHandover, Participant, Session
from .permissions import ACTIVITY_READ_ROLES, COUNTS_ROLES, EQUIPMENT_ROLES


def activities_for(user: User, *, type: str = "", state: str = "", q: str = "") -> QuerySet[Activity]:
    rows = Activity.objects.visible_to(user).select_related("office", "programme", "province", "district")
    if not has_role(user, ACTIVITY_READ_ROLES):
        return rows.none()
    if type:
        rows = rows.filter(type=type)
    if state:
        rows = rows.filter(state=state)
    if q:
        rows = rows.filter(Q(reference__icontains=q.strip()) | Q(title__icontains=q.strip()))
    return rows.annotate(participant_count=Count("participants", distinct=True)).order_by("-starts_on", "-id")


def activity_get(user: User, reference: str) -> Activity:
    if not has_role(user, ACTIVITY_READ_ROLES):
        raise Http404
    rows = Activity.objects.select_related(
        "office", "province", "district", "programme", "trained_facilitator__activity", "created_by"
    )
    return get_visible_or_404(rows, user, reference=reference)


def participants_of(user: User, activity: Activity) -> QuerySet[Participant]:
    """The activity's participants the user may read (none of an MHPSS session's, without the protection tier)."""
    return (
        Participant.objects.visible_to(user)
        .filter(activity=activity)
        .select_related("person", "consent")
        .order_by("number")
    )


def hidden_participant_count(user: User, activity: Activity) -> int:
    """How many participants the user does not read (the count only: an MHPSS group's size is no secret)."""
    return Participant.objects.filter(activity=activity).count() - participants_of(user, activity).count()


def sessions_of(activity: Activity) -> QuerySet[Session]:
    return (
        activity.sessions.annotate(present=Count("attendance", filter=Q(attendance__present=True)))
        .annotate(taken=Count("attendance"))
        .order_by("number")
    )


def session_get(user: User, pk: int) -> Session:
    if not has_role(user, ACTIVITY_READ_ROLES):
        raise Http404
    return get_visible_or_404(
        Session.objects.select_related("activity__office", "activity__province", "activity__district"), user, pk=pk
    )


def session_from_token(user: User, token: str) -> Session | None:
    pk = Session.pk_from_token(token)
    if pk is None or not has_role(user, ACTIVITY_READ_ROLES):
        return None
    return Session.objects.visible_to(user).select_related("activity__office").filter(pk=pk).first()


def attendance_of(session: Session) -> dict[int, bool]:
    return dict(Attendance.objects.filter(session=session).values_list("participant_id", "present"))


def participant_get(user: User, pk: int) -> Participant:
    if not has_role(user, ACTIVITY_READ_ROLES):
        raise Http404
    rows = Participant.objects.select_related(
        "activity__office", "activity__province", "activity__district", "person", "consent"
    )
    return get_visible_or_404(rows, user, pk=pk)


def person_participations(user: User, person) -> QuerySet[Participant]:
    return (
        Participant.objects.visible_to(user)
        .filter(person=person)
        .select_related("activity", "activity__office")
        .order_by("-activity__starts_on")
    )


def trained_trainers(user: User, office_id: int) -> QuerySet[Participant]:
    """Participants who completed an activity of the office: who may facilitate a later one (training of trainers)."""
    return (
        Participant.objects.visible_to(user)
        .filter(office_id=office_id, completed=True)
        .select_related("activity")
        .order_by("name")
    )


def equipment_for(user: User) -> QuerySet[EquipmentHandover]:
    if not has_role(user, ACTIVITY_READ_ROLES | EQUIPMENT_ROLES):
        return EquipmentHandover.objects.none()
    return EquipmentHandover.objects.visible_to(user).select_related("office", "activity")


# --- counts for reporting ---------------------------------------------------------------------------------------


def count_offices(user: User) -> list[int] | None:
    """The offices whose counts the user reads (None: every office)."""
    if user.is_superuser:
        return None
    grants = [grant for grant in user.grants if grant.role in COUNTS_ROLES]
    if any(grant.office_id is None for grant in grants):
        return None
    return sorted({grant.office_id for grant in grants})


#: In the order of the rollup's reading index: the groups come out of it sorted.
DIMENSIONS = ("month", "activity_type", "province", "sex", "age_group", "population_group")


class PublishedRows(Sequence):
    """The published cells in the order the query gives them (month, type, province id, …), each labelled (type,
    province, sex, age and group names; "<k" for a hidden cell) when it is read: a page of the table labels its 200
    rows, not the tens of thousands of cells behind it."""

    def __init__(self, values: dict[tuple, int], hidden: set, provinces: dict[int, str], mark: str):
        self._keys = list(values)
        self._values, self._hidden, self._provinces, self._mark = values, hidden, provinces, mark
        # The labels in the active language, as text once (not a lazy translation per cell).
        self._labels = [
            {value: str(label) for value, label in choices.choices}
            for choices in (ActivityType, Sex, AgeGroup, PopulationGroup)
        ]

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(key) for key in self._keys[index]]
        return self._row(self._keys[index])

    def __iter__(self):
        return map(self._row, self._keys)

    def _row(self, key: tuple) -> dict:
        month, activity_type, province, sex, age_group, group = key
        types, sexes, ages, groups = self._labels
        return {
            "month": f"{month // 100}-{month % 100:02d}",
            "activity_type": types.get(activity_type, activity_type),
            "province": self._provinces.get(province, ""),
            "sex": sexes.get(sex, sex),
            "age_group": ages.get(age_group, age_group),
            "population_group": groups.get(group, group),
            "people": self._mark if key in self._hidden else self._values[key],
        }


@dataclass
class Counts:
    """People reached (participants first present in the month) by type × province × month × sex × age × group."""

    rows: PublishedRows
    total: int
    hidden: int
    k: int


def people_reached(user: User, **filters) -> list[tuple]:
    """The raw cells (dimension values…, people), from the rollup the attendance services keep (`ReachCount`): one
    grouped query over its cells, whatever the number of attendance rows behind them. People are distinct across
    activities: each person once per type, province and month (see `liman.activities.reach`). MHPSS groups are
    counted (counts name no one); every cell below k is hidden when published (`counts`)."""
    return list(people_reached_query(user, **filters))


def people_reached_query(
    user: User,
    *,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    type: str = "",
    office_ids: list[int] | None = None,
):
    from django.db.models import Sum

    from .models import ReachCount, ReachTotal

    if not has_role(user, COUNTS_ROLES):
        return ReachCount.objects.none().values_list("pk")
    offices = count_offices(user) if office_ids is None else office_ids
    # Every office: the totals as stored, one row per cell; some offices: their cells, added up.
    rows = ReachTotal.objects.all() if offices is None else ReachCount.objects.filter(office_id__in=offices)
    if since:
        rows = rows.filter(month__gte=since.year * 100 + since.month)
    if until:
        rows = rows.filter(month__lte=until.year * 100 + until.month)
    if type:
        rows = rows.filter(activity_type=type)
    columns = [f"{name}_id" if name == "province" else name for name in DIMENSIONS]
    if offices is None:
        return rows.values_list(*columns, "people").order_by(*columns)
    return rows.values_list(*columns).annotate(n=Sum("people")).order_by(*columns)


def counts(user: User, **filters) -> Counts:
    """The published table: each cell with its labels, cells from 1 to k-1 shown as "<k" (and one more hidden when
    the total would give a single hidden cell away)."""
    from liman.core.disclosure import min_cell, suppress, suppressed_mark

    raw = people_reached(user, **filters)
    k = min_cell()
    values = {cell[:-1]: cell[-1] for cell in raw}
    hidden = suppress(values, k)
    provinces = dict(AdminArea.objects.filter(pk__in={key[2] for key in values}).values_list("pk", "name_tr"))
    rows = PublishedRows(values, hidden, provinces, suppressed_mark(k))
    return Counts(rows=rows, total=sum(values.values()), hidden=len(hidden), k=k)


def offices_of(user: User) -> QuerySet[Office]:
    from liman.core.selectors import offices_for

    return offices_for(user)
