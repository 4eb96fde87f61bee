"""The panel's arithmetic: who still has to score, and the weighted score (0–100) of an application."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def scorers(application) -> list:
    """The panel members who score the application: every member but those who declared a conflict."""
    conflicted = set(application.conflicts.values_list("member_id", flat=True))
    return [row.member for row in application.call.panel.select_related("member") if row.member_id not in conflicted]


def missing_scores(application) -> list[str] | None:
    """Names of the members who have not scored every criterion (None: no member is left to score)."""
    members = scorers(application)
    if not members:
        return None
    criteria = set(application.call.criteria.values_list("pk", flat=True))
    done: dict[int, set[int]] = {}
    for member_id, criterion_id in application.scores.values_list("member_id", "criterion_id"):
        done.setdefault(member_id, set()).add(criterion_id)
    return [member.display_name for member in members if done.get(member.pk, set()) != criteria]


def weighted_score(application) -> Decimal | None:
    """Σ over criteria of weight × (mean score of the scorers ÷ highest score), on 100."""
    members = {member.pk for member in scorers(application)}
    criteria = list(application.call.criteria.all())
    if not members or not criteria:
        return None
    values: dict[int, list[int]] = {}
    for criterion_id, member_id, value in application.scores.values_list("criterion_id", "member_id", "value"):
        if member_id in members:
            values.setdefault(criterion_id, []).append(value)
    total = Decimal(0)
    for criterion in criteria:
        given = values.get(criterion.pk)
        if not given:
            return None
        mean = Decimal(sum(given)) / len(given)
        total += Decimal(criterion.weight) * mean / criterion.max_score
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
