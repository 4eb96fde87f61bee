"""Each office's thresholds for the bands, and how two offices' thresholds combine for a pair across them."""

from __future__ import annotations

from collections.abc import Iterable

from .engine import Band, Thresholds
from .models import OfficeThresholds, default_auto_link, default_review


def default_thresholds() -> Thresholds:
    """From the settings `LIMAN_DEDUP_AUTO_LINK` and `LIMAN_DEDUP_REVIEW`."""
    return Thresholds(auto_link=default_auto_link(), review=default_review())


def thresholds_by_office(office_ids: Iterable[int]) -> dict[int, Thresholds]:
    """Every office asked for, with its own thresholds or the defaults (one query)."""
    ids = {office_id for office_id in office_ids if office_id is not None}
    default = default_thresholds()
    found = {office_id: default for office_id in ids}
    for office_id, auto_link, review in OfficeThresholds.objects.filter(office_id__in=ids).values_list(
        "office_id", "auto_link", "review"
    ):
        found[office_id] = Thresholds(auto_link=auto_link, review=review)
    return found


def stricter(a: Thresholds, b: Thresholds) -> Thresholds:
    """For a pair across two offices: both offices' bars must be met."""
    return Thresholds(auto_link=max(a.auto_link, b.auto_link), review=max(a.review, b.review))


def loosest(thresholds: Iterable[Thresholds]) -> Thresholds:
    """What the matcher is asked for, so that no office's pairs are left out; each pair is banded afterwards."""
    chosen = list(thresholds) or [default_thresholds()]
    return Thresholds(auto_link=min(item.auto_link for item in chosen), review=min(item.review for item in chosen))


class PairBands:
    """Bands a pair by the stricter thresholds of its two people's offices."""

    def __init__(self, office_of: dict[int, int], by_office: dict[int, Thresholds], default: Thresholds | None = None):
        self.office_of = office_of
        self.by_office = by_office
        #: For a person whose office is not in `office_of` (or an office without thresholds of its own).
        self.default = default or default_thresholds()

    def thresholds(self, left: int, right: int) -> Thresholds:
        a = self.by_office.get(self.office_of.get(left), self.default)
        b = self.by_office.get(self.office_of.get(right), self.default)
        return a if a == b else stricter(a, b)

    def band(self, left: int, right: int, probability: float) -> Band:
        return self.thresholds(left, right).band(probability)
