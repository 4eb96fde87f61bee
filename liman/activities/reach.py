"""The rollup behind the counts of people reached: `PersonReach` (each person once per activity type, province and
month: the first participant present), `ReachCount` (the people of each published cell, by office) and `ReachTotal`
(the same cells over every office, for readers of every office).

"People reached" is distinct across activities: someone at two trainings in İstanbul in March counts once in March's
İstanbul training cells. The cells are therefore kept from the person reaches, not from the participants: the
attendance services (`participants_refresh`) tell `reach_refresh` which (person, type, province, month) keys their
changes touch; those keys are decided again from the participants, and the cells they touch are counted again from
the person reaches. Nothing is incremented blindly, so a cell is always what its person reaches add up to.
`reach_rebuild` recomputes everything (after a bulk load).

A registered person counts as the record that survives their merges in the registry (`Person.merged_into`, followed
to its end): someone enrolled twice under two records counts once. A merge and its undoing decide that person's keys
again in the merge's own transaction (`people_refresh`, on the registry's `people_merged` signal).

Two attendance lists taken at once may touch the same keys and cells. Each refresh locks the rows it will change
before it reads what they are counted from, so the second waits for the first and counts what it committed; when
both create the same new row, the second's insert fails on the unique constraint and its refresh runs again in a
savepoint, now seeing (and locking) the row the first created.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

#: A reach key: (person key, activity type, province id, month number).
Key = tuple[int, str, int, int]
CELL_FIELDS = ("office_id", "month", "activity_type", "province_id", "sex", "age_group", "population_group")
KEY_FIELDS = ("person_key", "activity_type", "province_id", "month")
#: How many times a refresh runs when concurrent refreshes keep creating its rows first (one retry is the rule).
ATTEMPTS = 5


def person_key(person_id: int | None, participant_id: int) -> int:
    """A registered person is their person id (their surviving record's); a light participant, its own id negated."""
    return person_id if person_id is not None else -participant_id


def survivors(person_ids: Iterable[int]) -> dict[int, int]:
    """Each person's surviving record: itself, or the record its merges end at (an alias of an alias goes on)."""
    from liman.registry.models import Person

    found = {pk: pk for pk in person_ids}
    ends = set(found)
    while ends:
        links = dict(
            Person._base_manager.filter(pk__in=ends, merged_into__isnull=False).values_list("pk", "merged_into")
        )
        if not links:
            break
        found = {pk: links.get(end, end) for pk, end in found.items()}
        ends = set(links.values())
    return found


def _end_of(links: dict[int, int], pk: int) -> int:
    while pk in links:
        pk = links[pk]
    return pk


def records_of(person_ids: Collection[int]) -> set[int]:
    """The person records that count as one of `person_ids`: themselves and the records merged into them."""
    from liman.registry.models import Person

    found, frontier = set(person_ids), set(person_ids)
    while frontier:
        frontier = set(Person._base_manager.filter(merged_into__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def keys_of(rows: Iterable[tuple[int | None, int, str, int, int | None]]) -> set[Key]:
    """The reach keys of participants given as (person id, participant id, type, province id, month)."""
    rows = [row for row in rows if row[4] is not None]
    roots = survivors({row[0] for row in rows if row[0] is not None})
    return {
        (person_key(roots.get(person_id), pk), kind, province_id, month)
        for person_id, pk, kind, province_id, month in rows
    }


def _cell(row) -> tuple:
    return tuple(getattr(row, name) for name in CELL_FIELDS)


def _again_on_conflict(step, *args) -> None:
    """Run `step` in a savepoint; when a concurrent transaction created one of the rows it creates first, run it
    again (it locks and reads afresh, so it now finds that row)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                step(*args)
            return
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise


def reach_refresh(keys: set[Key]) -> None:
    """Decide the given reach keys again from the participants (the first present wins), and count again every cell
    whose person reaches changed."""
    if keys:
        _again_on_conflict(_reach_refresh, keys)


def _reach_refresh(keys: set[Key]) -> None:
    from .models import Participant, PersonReach

    people = {key[0] for key in keys if key[0] > 0}
    lights = {-key[0] for key in keys if key[0] < 0}
    months = {key[3] for key in keys}
    # The rows to change, locked first: a concurrent refresh of the same keys waits here, then reads what it wrote.
    existing = {
        (row.person_key, row.activity_type, row.province_id, row.month): row
        for row in PersonReach.objects.select_for_update()
        .filter(person_key__in={key[0] for key in keys}, month__in=months)
        .order_by(*KEY_FIELDS)
    }
    records = records_of(people)
    roots = survivors(records)
    candidates = (
        Participant.objects.filter(Q(person_id__in=records) | Q(pk__in=lights, person__isnull=True))
        .filter(reached_month__in=months)
        .only("pk", "person_id", "activity_type", "province_id", "reached_month", "reached_on", "office_id", "sex",
              "age_group", "population_group")
    )  # fmt: skip
    winners: dict[Key, object] = {}
    for participant in candidates:
        key = (person_key(roots.get(participant.person_id), participant.pk), participant.activity_type,
               participant.province_id, participant.reached_month)  # fmt: skip
        if key not in keys:
            continue
        best = winners.get(key)
        if best is None or (participant.reached_on, participant.pk) < (best.reached_on, best.pk):
            winners[key] = participant
    touched: set[tuple] = set()
    stale = [row for key, row in existing.items() if key in keys and key not in winners]
    created, updated = [], []
    for key, participant in sorted(winners.items()):
        values = {"participant_id": participant.pk, "office_id": participant.office_id, "sex": participant.sex,
                  "age_group": participant.age_group, "population_group": participant.population_group}  # fmt: skip
        row = existing.get(key)
        if row is None:
            row = PersonReach(person_key=key[0], activity_type=key[1], province_id=key[2], month=key[3], **values)
            created.append(row)
            touched.add(_cell(row))
        elif any(getattr(row, name) != value for name, value in values.items()):
            touched.add(_cell(row))
            for name, value in values.items():
                setattr(row, name, value)
            updated.append(row)
            touched.add(_cell(row))
    for row in stale:
        touched.add(_cell(row))
    if stale:
        PersonReach.objects.filter(pk__in=[row.pk for row in stale]).delete()
    PersonReach.objects.bulk_create(created, batch_size=1000)
    PersonReach.objects.bulk_update(
        updated, ["participant_id", "office_id", "sex", "age_group", "population_group"], batch_size=1000
    )
    cells_refresh(touched)


def people_refresh(person_ids: Collection[int]) -> None:
    """Decide again every reach of these people and of the records merged into them (after a merge, or its undoing:
    the keys they had and the keys they have now)."""
    from .models import Participant, PersonReach

    records = records_of(set(survivors(person_ids).values()) | set(person_ids))
    keys = keys_of(
        Participant.objects.filter(person_id__in=records, reached_month__isnull=False).values_list(
            "person_id", "pk", "activity_type", "province_id", "reached_month"
        )
    )
    keys |= set(PersonReach.objects.filter(person_key__in=records).values_list(*KEY_FIELDS))
    reach_refresh(keys)


def merge_refresh(sender, *, merge, **kwargs) -> None:
    """The registry merged two people, or undid it (`liman.registry.signals.people_merged`)."""
    people_refresh({merge.survivor_id, merge.merged_id})


def cells_refresh(cells: set[tuple]) -> None:
    """Count the given cells (office, month, type, province, sex, age group, population group) again from the
    person reaches, then the same cells over every office."""
    from .models import ReachCount, ReachTotal

    _recount(ReachCount, CELL_FIELDS, cells)
    _recount(ReachTotal, CELL_FIELDS[1:], {cell[1:] for cell in cells})


def _recount(model, fields: tuple[str, ...], cells: set[tuple]) -> None:
    """The stored cells in the smallest box around `cells` locked, then one grouped query over the person reaches
    in that box, then the cells of `model` that changed written: created, updated, or deleted when nobody is left in
    them."""
    from .models import PersonReach

    if not cells:
        return
    box = {name: {cell[index] for cell in cells} for index, name in enumerate(fields)}
    in_box = {f"{name}__in": values for name, values in box.items()}
    # Locked before counting: a concurrent recount of these cells has committed its person reaches when this one
    # counts them.
    stored = {
        tuple(getattr(row, name) for name in fields): row
        for row in model.objects.select_for_update().filter(**in_box).order_by(*fields)
    }
    counted = {
        tuple(row[:-1]): row[-1]
        for row in PersonReach.objects.filter(**in_box).values_list(*fields).annotate(n=Count("id")).order_by()
    }
    created, updated, gone = [], [], []
    for cell in sorted(cells):
        people, row = counted.get(cell, 0), stored.get(cell)
        if row is None and people:
            created.append(model(**dict(zip(fields, cell, strict=True)), people=people))
        elif row is not None and not people:
            gone.append(row.pk)
        elif row is not None and row.people != people:
            row.people = people
            updated.append(row)
    if gone:
        model.objects.filter(pk__in=gone).delete()
    model.objects.bulk_create(created, batch_size=1000)
    model.objects.bulk_update(updated, ["people"], batch_size=1000)


def reach_rebuild(
    *, participant_model=None, reach_model=None, count_model=None, total_model=None, batch: int = 5000
) -> dict[str, int]:
    """Recompute every person reach and every cell from the participants (a migration passes its historical
    models). Reads the participants once, in the order that makes the first present come first."""
    if participant_model is None:
        from .models import Participant as participant_model
        from .models import PersonReach as reach_model
        from .models import ReachCount as count_model
        from .models import ReachTotal as total_model

    person_model = participant_model._meta.get_field("person").related_model
    with transaction.atomic():
        # The merged records (few beside the registry): each registered participant counts as its surviving record.
        links = dict(person_model._base_manager.filter(merged_into__isnull=False).values_list("pk", "merged_into"))
        roots = {pk: _end_of(links, pk) for pk in links}
        total_model.objects.all().delete()
        count_model.objects.all().delete()
        reach_model.objects.all().delete()
        seen: set[Key] = set()
        pending = []
        cells: dict[tuple, int] = {}
        rows = (
            participant_model.objects.filter(reached_month__isnull=False)
            .order_by("reached_on", "pk")
            .values_list("pk", "person_id", "activity_type", "province_id", "reached_month", "office_id", "sex",
                         "age_group", "population_group")
        )  # fmt: skip
        for pk, person_id, kind, province_id, month, office_id, sex, age, group in rows.iterator(chunk_size=batch):
            key = (person_key(roots.get(person_id, person_id), pk), kind, province_id, month)
            if key in seen:
                continue
            seen.add(key)
            pending.append(
                reach_model(person_key=key[0], activity_type=kind, province_id=province_id, month=month,
                            participant_id=pk, office_id=office_id, sex=sex, age_group=age, population_group=group)
            )  # fmt: skip
            cell = (office_id, month, kind, province_id, sex, age, group)
            cells[cell] = cells.get(cell, 0) + 1
            if len(pending) >= batch:
                reach_model.objects.bulk_create(pending)
                pending = []
        reach_model.objects.bulk_create(pending)
        count_model.objects.bulk_create(
            [count_model(**dict(zip(CELL_FIELDS, cell, strict=True)), people=people) for cell, people in cells.items()],
            batch_size=batch,
        )
        totals: dict[tuple, int] = {}
        for cell, people in cells.items():
            totals[cell[1:]] = totals.get(cell[1:], 0) + people
        total_model.objects.bulk_create(
            [total_model(**dict(zip(CELL_FIELDS[1:], cell, strict=True)), people=people)
             for cell, people in totals.items()],
            batch_size=batch,
        )  # fmt: skip
    return {"reached": len(seen), "cells": len(cells)}
