"""The rollup behind the counts of people reached: `PersonReach` (each person once per activity type, province and
month: the first participant present), `ReachCount` (the people of each published cell, by office) and `ReachTotal`
(the same cells over every office, for readers of every office).

"People reached" is distinct across activities: someone at two trainings in İstanbul in March counts once in March's
İstanbul training cells. The cells are therefore kept from the person reaches, not from the participants: the
attendance services (`participants_refresh`) tell `reach_refresh` which (person, type, province, month) keys their
changes touch; those keys are decided again from the participants, and the cells they touch are counted again from
the person reaches. Nothing is incremented blindly, so a cell is always what its person reaches add up to.
`reach_rebuild` recomputes everything (after a bulk load, or when people were merged in the registry).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q

#: A reach key: (person key, activity type, province id, month number).
Key = tuple[int, str, int, int]
CELL_FIELDS = ("office_id", "month", "activity_type", "province_id", "sex", "age_group", "population_group")


def person_key(person_id: int | None, participant_id: int) -> int:
    """A registered person is their person id; a light participant, its own id negated."""
    return person_id if person_id is not None else -participant_id


def keys_of(rows: Iterable[tuple[int | None, int, str, int, int | None]]) -> set[Key]:
    """The reach keys of participants given as (person id, participant id, type, province id, month)."""
    return {
        (person_key(person_id, pk), kind, province_id, month)
        for person_id, pk, kind, province_id, month in rows
        if month is not None
    }


def _cell(row) -> tuple:
    return tuple(getattr(row, name) for name in CELL_FIELDS)


def reach_refresh(keys: set[Key]) -> None:
    """Decide the given reach keys again from the participants (the first present wins), and count again every cell
    whose person reaches changed."""
    from .models import Participant, PersonReach

    if not keys:
        return
    people = {key[0] for key in keys if key[0] > 0}
    lights = {-key[0] for key in keys if key[0] < 0}
    months = {key[3] for key in keys}
    with transaction.atomic():
        candidates = (
            Participant.objects.filter(Q(person_id__in=people) | Q(pk__in=lights, person__isnull=True))
            .filter(reached_month__in=months)
            .only("pk", "person_id", "activity_type", "province_id", "reached_month", "reached_on", "office_id", "sex",
                  "age_group", "population_group")
        )  # fmt: skip
        winners: dict[Key, object] = {}
        for participant in candidates:
            key = (person_key(participant.person_id, participant.pk), participant.activity_type,
                   participant.province_id, participant.reached_month)  # fmt: skip
            if key not in keys:
                continue
            best = winners.get(key)
            if best is None or (participant.reached_on, participant.pk) < (best.reached_on, best.pk):
                winners[key] = participant
        existing = {
            (row.person_key, row.activity_type, row.province_id, row.month): row
            for row in PersonReach.objects.select_for_update().filter(
                person_key__in={key[0] for key in keys}, month__in=months
            )
        }
        touched: set[tuple] = set()
        stale = [row for key, row in existing.items() if key in keys and key not in winners]
        created, updated = [], []
        for key, participant in winners.items():
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


def cells_refresh(cells: set[tuple]) -> None:
    """Count the given cells (office, month, type, province, sex, age group, population group) again from the
    person reaches, then the same cells over every office."""
    from .models import ReachCount, ReachTotal

    _recount(ReachCount, CELL_FIELDS, cells)
    _recount(ReachTotal, CELL_FIELDS[1:], {cell[1:] for cell in cells})


def _recount(model, fields: tuple[str, ...], cells: set[tuple]) -> None:
    """One grouped query over the person reaches in the smallest box around `cells`, then the cells of `model` that
    changed written: created, updated, or deleted when nobody is left in them."""
    from .models import PersonReach

    if not cells:
        return
    box = {name: {cell[index] for cell in cells} for index, name in enumerate(fields)}
    in_box = {f"{name}__in": values for name, values in box.items()}
    counted = {
        tuple(row[:-1]): row[-1]
        for row in PersonReach.objects.filter(**in_box).values_list(*fields).annotate(n=Count("id")).order_by()
    }
    stored = {
        tuple(getattr(row, name) for name in fields): row for row in model.objects.select_for_update().filter(**in_box)
    }
    created, updated, gone = [], [], []
    for cell in cells:
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

    with transaction.atomic():
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
            key = (person_key(person_id, pk), kind, province_id, month)
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
