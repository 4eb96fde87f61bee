"""Residence permits for victims of trafficking: each period at most 6 months, 3 years in total.

docs/domain.md ("People"): a permit for victims of trafficking runs at most 6 months a period, 3 years in total
(Law 6458 on Foreigners and International Protection, article 48). A permit and each extension is one
`LegalStatus` period of the status `residence_permit_trafficking_victim`; consecutive periods (one starting at the
latest the day after the other ends) add up to the total. The limits are settings, since the law may change:
LIMAN_VICTIM_PERMIT_MAX_MONTHS (6) and LIMAN_VICTIM_PERMIT_TOTAL_MONTHS (36).

A period of "6 months" from 1 January runs until 30 June: the last day is the day before the same date 6 months
later (on a shorter month, the day before its last day).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import LegalStatusType

if TYPE_CHECKING:
    from liman.core.models import User
    from liman.registry.models import Person

VICTIM_PERMIT = LegalStatusType.RESIDENCE_PERMIT_TRAFFICKING_VICTIM.value
_ONE_DAY = datetime.timedelta(days=1)


def max_period_months() -> int:
    return settings.LIMAN_VICTIM_PERMIT_MAX_MONTHS


def max_total_months() -> int:
    return settings.LIMAN_VICTIM_PERMIT_TOTAL_MONTHS


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same date `months` later; on a shorter month, its last day (31 August + 6 months: 28 February)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def last_day(started_on: datetime.date, months: int) -> datetime.date:
    """The last day of a period of `months` months starting on `started_on`."""
    return add_months(started_on, months) - _ONE_DAY


@dataclass(frozen=True)
class Period:
    """One permit or extension: from, until (None: not recorded)."""

    started_on: datetime.date
    ended_on: datetime.date | None


def _day(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


def period_problem(started_on: datetime.date | None, ended_on: datetime.date | None) -> str:
    """Why one period cannot be a victim's residence permit ("" when it can)."""
    if ended_on is None:
        return ""
    if started_on is None:
        return _("Give the date the residence permit for victims of trafficking started, not only its end.")
    months = max_period_months()
    latest = last_day(started_on, months)
    if ended_on > latest:
        return ngettext(
            "A residence permit for victims of trafficking is given or extended for at most %(months)d month at a "
            "time: from %(start)s it can run until %(latest)s at the latest, not %(end)s.",
            "A residence permit for victims of trafficking is given or extended for at most %(months)d months at a "
            "time: from %(start)s it can run until %(latest)s at the latest, not %(end)s.",
            months,
        ) % {"months": months, "start": _day(started_on), "latest": _day(latest), "end": _day(ended_on)}
    return ""


def chain(periods: Iterable[Period], of: Period) -> list[Period]:
    """The consecutive periods `of` belongs to (each starting at the latest the day after the previous ends),
    in order. A period whose end is not recorded may still run: the periods after it continue it."""
    ordered = sorted({*periods, of}, key=lambda period: (period.started_on, period.ended_on or datetime.date.max))
    chains: list[list[Period]] = []
    for period in ordered:
        if chains:
            last_end = max((p.ended_on or datetime.date.max for p in chains[-1]), default=datetime.date.max)
            if last_end == datetime.date.max or period.started_on <= last_end + _ONE_DAY:
                chains[-1].append(period)
                continue
        chains.append([period])
    return next(found for found in chains if of in found)


def total_limit(periods: list[Period]) -> datetime.date:
    """The last day the consecutive `periods` may reach in total."""
    return last_day(periods[0].started_on, max_total_months())


def total_problem(periods: Iterable[Period], new: Period) -> str:
    """Why `new`, added to a person's earlier victim permits, would take them over the total ("" if it would not)."""
    consecutive = chain(periods, new)
    limit = total_limit(consecutive)
    reaches = max((period.ended_on or period.started_on for period in consecutive), default=new.started_on)
    if reaches <= limit:
        return ""
    months = max_total_months()
    return ngettext(
        "Residence permits for victims of trafficking add up to at most %(months)d month in a row: the permits "
        "since %(start)s can run until %(limit)s at the latest, and this one runs until %(end)s.",
        "Residence permits for victims of trafficking add up to at most %(months)d months in a row: the permits "
        "since %(start)s can run until %(limit)s at the latest, and this one runs until %(end)s.",
        months,
    ) % {"months": months, "start": _day(consecutive[0].started_on), "limit": _day(limit), "end": _day(reaches)}


@dataclass(frozen=True)
class PermitStanding:
    """Where a person's victim residence permits stand: the latest period, and what is left of the total."""

    started_on: datetime.date
    ends_on: datetime.date | None
    #: When the first of the consecutive permits started, and the last day they may reach in total.
    first_started_on: datetime.date
    total_limit_on: datetime.date
    today: datetime.date

    @property
    def days_left(self) -> int | None:
        """Days the current permit still runs (0: it has ended); None when its end is not recorded."""
        if self.ends_on is None:
            return None
        return max(0, (self.ends_on - self.today).days + 1)

    @property
    def total_days_left(self) -> int | None:
        """Days of the total left after the current permit: what extensions may still add."""
        if self.ends_on is None:
            return None
        return max(0, (self.total_limit_on - self.ends_on).days)

    @property
    def total_months(self) -> int:
        return max_total_months()


def standing(periods: Iterable[Period], today: datetime.date) -> PermitStanding | None:
    """The standing of a person's victim permits (their latest chain), or None if they never had one."""
    periods = list(periods)
    if not periods:
        return None
    latest = max(periods, key=lambda period: (period.started_on, period.ended_on or datetime.date.max))
    consecutive = chain(periods, latest)
    return PermitStanding(
        started_on=latest.started_on,
        ends_on=latest.ended_on,
        first_started_on=consecutive[0].started_on,
        total_limit_on=total_limit(consecutive),
        today=today,
    )


def victim_permit_standing(user: User, person: Person) -> PermitStanding | None:
    """The standing of the victim permits of `person` among the legal statuses `user` may see (the read of the
    counter-trafficking case page)."""
    from liman.registry.models import LegalStatus

    periods = [
        Period(started, ended)
        for started, ended in LegalStatus.objects.visible_to(user)
        .filter(person=person, status=VICTIM_PERMIT, started_on__isnull=False)
        .values_list("started_on", "ended_on")
    ]
    return standing(periods, timezone.localdate())
