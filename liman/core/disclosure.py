"""The minimum cell rule of every published figure, shared by the apps that publish (DTM tables, border incidents).

No published cell counts between 1 and k-1 people (`LIMAN_DTM_MIN_CELL`, default 11, as the CTDC standard does for
trafficking data). A hidden cell shows "<11"; totals are true totals (they include the hidden values), so when a
total covers a single hidden cell a second one is hidden too (complementary suppression), or the total would give
the hidden one away. Views that give such a download are marked `publishes`, so tests find every one of them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

#: HXL hashtags of counts of people (https://hxlstandard.org/standard/dictionary/): published from k up only.
PEOPLE_COUNT_TAGS = ("#affected", "#population", "#inneed", "#targeted", "#reached")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def min_cell() -> int:
    return settings.LIMAN_DTM_MIN_CELL


def neutralise(value):
    """A text cell starting like a formula is prefixed with an apostrophe (CSV/XLSX injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def publishes(model: type | None, **variants: list[str]) -> Callable:
    """Marks a view as a download of published figures: the URL's `pk` is one `model` (None: the URL takes no
    argument), the query takes one of each of `variants` (`table=…`, `fmt=…`). Tests walk the URL conf for these and
    check every download they give."""

    def mark(view: Callable) -> Callable:
        view.publishes = (model, variants)
        return view

    return mark


def suppressed_mark(k: int | None = None) -> str:
    """How a hidden cell reads in every table and figure: "<11"."""
    return f"<{min_cell() if k is None else k}"


def suppress(values: dict, k: int, *, total_published: bool = True, hidden: set | None = None) -> set:
    """The keys of `values` (counts of people) to hide so that no published count is between 1 and k-1.

    Every count from 1 to k-1 is hidden (with those already `hidden` for another reason). When a published
    total covers these counts (a row's total, a province's, a chart's sum) and exactly one is hidden, the
    smallest other non-zero count is hidden too: otherwise the total minus the counts shown gives it back.
    This is the one rule every export and figure of field data applies.
    """
    if k <= 1:
        return set(hidden or ())
    hidden = {key for key in hidden or () if key in values}
    hidden |= {key for key, value in values.items() if value and 0 < value < k}
    if total_published and len([key for key in hidden if values[key]]) == 1:
        others = sorted(((value, str(key)), key) for key, value in values.items() if key not in hidden and value)
        if others:
            hidden.add(others[0][1])
    return hidden
