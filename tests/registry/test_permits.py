"""Residence permits for victims of trafficking: at most 6 months a period, 3 years in total across consecutive
periods (docs/domain.md; Law 6458, art. 48). Refused with a message saying until when a permit may run; imports too."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from liman.registry import permits
from liman.registry import services as registry
from liman.registry.models import LegalStatus
from tests.cases.builders import register
from tests.registry.test_import_people import blocking, csv_data, person, stage

VICTIM = "residence_permit_trafficking_victim"
D = datetime.date


@pytest.mark.parametrize(
    ("start", "months", "last"),
    [
        (D(2026, 1, 1), 6, D(2026, 6, 30)),
        (D(2026, 3, 15), 6, D(2026, 9, 14)),
        (D(2026, 8, 31), 6, D(2027, 2, 27)),  # 31 August + 6 months is 28 February
        (D(2026, 1, 1), 36, D(2028, 12, 31)),
        (D(2024, 2, 29), 36, D(2027, 2, 27)),
    ],
)
def test_the_last_day_of_a_period(start, months, last):
    assert permits.last_day(start, months) == last


@given(start=st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)))
def test_a_period_of_exactly_six_months_is_a_permit_and_a_day_more_is_not(start):
    last = permits.last_day(start, 6)
    assert permits.period_problem(start, last) == ""
    assert permits.period_problem(start, last + datetime.timedelta(days=1)) != ""


def test_the_message_says_until_when_the_permit_may_run():
    assert permits.period_problem(D(2026, 1, 1), D(2026, 7, 31)) == (
        "A residence permit for victims of trafficking is given or extended for at most 6 months at a time: from "
        "2026-01-01 it can run until 2026-06-30 at the latest, not 2026-07-31."
    )


def test_consecutive_periods_make_one_chain_and_a_gap_starts_another():
    first = permits.Period(D(2026, 1, 1), D(2026, 6, 30))
    second = permits.Period(D(2026, 7, 1), D(2026, 12, 31))
    after_a_gap = permits.Period(D(2027, 3, 1), D(2027, 8, 31))
    assert permits.chain([first, after_a_gap], second) == [first, second]
    assert permits.chain([first, second], after_a_gap) == [after_a_gap]


# --- the registry's records ----------------------------------------------------------------------------------

needs_db = pytest.mark.django_db


def six_monthly_permits(person, count):
    start = D(2020, 1, 1)
    for _n in range(count):
        ends = permits.last_day(start, 6)
        registry.legal_status_add(person=person, status=VICTIM, started_on=start, ended_on=ends, by=None)
        start = ends + datetime.timedelta(days=1)
    return start


@needs_db
def test_a_permit_of_more_than_six_months_is_refused(istanbul):
    victim = register(istanbul)
    with pytest.raises(ValidationError) as caught:
        registry.legal_status_add(
            person=victim, status=VICTIM, started_on=D(2026, 1, 1), ended_on=D(2026, 7, 1), by=None
        )
    assert "can run until 2026-06-30 at the latest" in caught.value.message_dict["ended_on"][0]
    assert not victim.legal_statuses.filter(status=VICTIM).exists()


@needs_db
def test_six_extensions_of_six_months_make_three_years_and_a_seventh_is_refused(istanbul):
    victim = register(istanbul)
    next_start = six_monthly_permits(victim, 6)
    assert victim.legal_statuses.filter(status=VICTIM).count() == 6
    with pytest.raises(ValidationError) as caught:
        registry.legal_status_add(person=victim, status=VICTIM, started_on=next_start, ended_on=D(2023, 1, 31), by=None)
    assert caught.value.message_dict["ended_on"] == [
        "Residence permits for victims of trafficking add up to at most 36 months in a row: the permits since "
        "2020-01-01 can run until 2022-12-31 at the latest, and this one runs until 2023-01-31."
    ]
    assert victim.legal_statuses.filter(status=VICTIM).count() == 6


@needs_db
def test_a_permit_after_a_gap_starts_a_new_total(istanbul):
    victim = register(istanbul)
    six_monthly_permits(victim, 6)
    registry.legal_status_add(person=victim, status=VICTIM, started_on=D(2024, 1, 1), ended_on=D(2024, 6, 30), by=None)
    assert victim.legal_statuses.filter(status=VICTIM).count() == 7


@needs_db
def test_an_open_ended_permit_superseded_after_more_than_six_months_is_refused(istanbul):
    victim = register(istanbul)
    registry.legal_status_add(person=victim, status=VICTIM, started_on=D(2026, 1, 1), by=None)
    with pytest.raises(ValidationError, match="can run until 2026-06-30 at the latest, not 2026-09-30"):
        registry.legal_status_add(person=victim, status="refugee", started_on=D(2026, 10, 1), by=None)


@needs_db
def test_the_model_refuses_a_long_permit_however_it_is_saved(istanbul):
    status = LegalStatus(person=register(istanbul), status=VICTIM, started_on=D(2026, 1, 1), ended_on=D(2026, 12, 31))
    with pytest.raises(ValidationError, match="at most 6 months at a time"):
        status.full_clean()


@needs_db
def test_the_limits_are_settings(istanbul, settings):
    settings.LIMAN_VICTIM_PERMIT_MAX_MONTHS = 3
    victim = register(istanbul)
    with pytest.raises(ValidationError, match="at most 3 months at a time"):
        registry.legal_status_add(
            person=victim, status=VICTIM, started_on=D(2026, 1, 1), ended_on=D(2026, 4, 30), by=None
        )


@needs_db
def test_other_residence_permits_may_run_longer(istanbul):
    other = register(istanbul)
    registry.legal_status_add(
        person=other, status="residence_permit_long_term", started_on=D(2020, 1, 1), ended_on=D(2029, 1, 1), by=None
    )
    assert other.legal_statuses.get().ended_on == D(2029, 1, 1)


# --- imports -------------------------------------------------------------------------------------------------


def victim_row(start: str, end: str) -> dict:
    return person(legal_status=VICTIM, legal_status_from=start, legal_status_until=end)


@needs_db
def test_an_imported_permit_of_more_than_six_months_blocks_its_row(istanbul):
    batch = stage(istanbul, csv_data([victim_row("2026-01-01", "2026-08-01")]))
    assert blocking(batch) == [
        (
            2,
            "legal_status_until",
            "A residence permit for victims of trafficking is given or extended for at most 6 months at a time: "
            "from 2026-01-01 it can run until 2026-06-30 at the latest, not 2026-08-01.",
        )
    ]


@needs_db
def test_an_imported_permit_of_six_months_is_stored_with_its_dates(istanbul):
    from liman.core.staging import import_commit

    import_commit(batch=stage(istanbul, csv_data([victim_row("2026-01-01", "2026-06-30")])), by=None)
    status = LegalStatus.objects.get()
    assert (status.status, status.started_on, status.ended_on) == (VICTIM, D(2026, 1, 1), D(2026, 6, 30))


@needs_db
@pytest.mark.parametrize(
    ("start", "end", "column", "message"),
    [
        ("2026-13-01", "", "legal_status_from", "Write the date as YYYY-MM-DD (this says “2026-13-01”)."),
        ("", "31.12.2026", "legal_status_until", "Write the date as YYYY-MM-DD (this says “31.12.2026”)."),
        ("2026-05-01", "2026-04-01", "legal_status_until", "A status cannot end before it starts."),
    ],
)
def test_bad_status_dates_block_with_the_column_and_the_rule(istanbul, start, end, column, message):
    row = person(legal_status="refugee", legal_status_from=start, legal_status_until=end)
    assert blocking(stage(istanbul, csv_data([row]))) == [(2, column, message)]


def test_the_import_template_offers_the_status_dates():
    from liman.registry.importers import PeopleImporter

    names = PeopleImporter.column_names()
    assert names.index("legal_status") < names.index("legal_status_from") < names.index("legal_status_until")
    assert not any(column.required for column in PeopleImporter.columns if column.name.startswith("legal_status_"))
