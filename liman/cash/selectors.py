"""Every read of the cash pages and API, scoped to the user: a programme, run, cycle or payment outside the user's
offices (or read by a role that does not read cash) is not found."""

from __future__ import annotations

import decimal

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When

from liman.core.access import get_visible_or_404
from liman.core.models import Office, User

from . import permissions
from .choices import OFF_LIST, PaymentStatus
from .models import CashProgramme, Enrolment, Payment, PaymentCycle, RuleVersion, TargetingResult, TargetingRun


def programmes_for(user: User) -> QuerySet[CashProgramme]:
    return CashProgramme.objects.visible_to(user).prefetch_related("offices").order_by("code")


def programme_for(user: User, pk: int) -> CashProgramme:
    return get_visible_or_404(CashProgramme.objects.prefetch_related("offices"), user, pk=pk)


def rule_versions_for(user: User, programme: CashProgramme) -> QuerySet[RuleVersion]:
    return (
        RuleVersion.objects.visible_to(user)
        .filter(programme=programme)
        .select_related("created_by")
        .order_by("-number")
    )


def enrolment_counts(user: User, programme: CashProgramme) -> list[dict]:
    """Per office the user sees: households enrolled now, and enrolments ended."""
    return list(
        Enrolment.objects.visible_to(user)
        .filter(programme=programme)
        .values("office__code", "office__name")
        .annotate(
            active=Count("id", filter=Q(ended_on__isnull=True)), ended=Count("id", filter=Q(ended_on__isnull=False))
        )
        .order_by("office__code")
    )


def offices_to_prepare(user: User, programme: CashProgramme | None = None) -> QuerySet[Office]:
    """The offices where `user` prepares cash work (of the programme's offices, when one is given)."""
    offices = programme.offices.all() if programme is not None else Office.objects.filter(is_active=True)
    return offices.filter(pk__in=[o.pk for o in offices if permissions.may_prepare(user, o)]).order_by("code")


# --- targeting ----------------------------------------------------------------------------------------------


def runs_for(user: User, *, programme: CashProgramme | None = None) -> QuerySet[TargetingRun]:
    runs = TargetingRun.objects.visible_to(user).select_related("programme", "office", "rules", "started_by")
    return runs.filter(programme=programme) if programme is not None else runs


def run_for(user: User, pk: int) -> TargetingRun:
    return get_visible_or_404(
        TargetingRun.objects.select_related("programme", "office", "rules", "started_by", "progress"), user, pk=pk
    )


def results_for(user: User, run: TargetingRun, *, eligible: bool | None = None) -> QuerySet[TargetingResult]:
    """The run's results, eligible households first; `eligible` narrows to one side."""
    results = TargetingResult.objects.visible_to(user).filter(run=run).select_related("household")
    if eligible is not None:
        results = results.filter(eligible=eligible)
    return results.order_by("-eligible", "household__reference")


def enrolled_households(programme: CashProgramme, household_ids) -> set[int]:
    """Of `household_ids` (already read through a scoped selector), those enrolled in the programme now."""
    return set(
        Enrolment.objects.filter(programme=programme, household_id__in=list(household_ids), ended_on__isnull=True)
        .values_list("household_id", flat=True)
    )  # fmt: skip


# --- cycles and payments ------------------------------------------------------------------------------------


def cycles_for(
    user: User, *, state: str = "", programme: CashProgramme | None = None, office: str = ""
) -> QuerySet[PaymentCycle]:
    cycles = PaymentCycle.objects.visible_to(user).select_related("programme", "office", "prepared_by", "approved_by")
    if state:
        cycles = cycles.filter(state=state)
    if programme is not None:
        cycles = cycles.filter(programme=programme)
    if office:
        cycles = cycles.filter(office__code=office.upper())
    return cycles.order_by("-created_at", "-id")


def cycle_for(user: User, pk: int) -> PaymentCycle:
    return get_visible_or_404(
        PaymentCycle.objects.select_related("programme", "office", "prepared_by", "approved_by"), user, pk=pk
    )


def payments_for(user: User, cycle: PaymentCycle, *, status: str = "", q: str = "") -> QuerySet[Payment]:
    """The cycle's payments, those off the list first (held: they wait for a decision; held back for want of
    consent), then by household reference."""
    payments = Payment.objects.visible_to(user).filter(cycle=cycle).select_related("household", "rules")
    if status:
        payments = payments.filter(status=status)
    if q.strip():
        payments = payments.filter(household__reference__icontains=q.strip())
    held_first = Case(When(status__in=OFF_LIST, then=Value(0)), default=Value(1))
    return payments.order_by(held_first, "household__reference")


def payment_for(user: User, cycle: PaymentCycle, pk: int) -> Payment:
    return get_visible_or_404(Payment.objects.filter(cycle=cycle).select_related("household", "cycle"), user, pk=pk)


def payment_summary(cycle: PaymentCycle) -> dict:
    """Households and amounts by status, and whether paid + failed + uncollected make the list total."""
    rows = cycle.payments.values("status").annotate(n=Count("id"), amount=Sum("amount"))
    by_status = {row["status"]: (row["n"], row["amount"] or decimal.Decimal(0)) for row in rows}
    zero = (0, decimal.Decimal(0))
    lines = [(status, label, *by_status.get(status, zero)) for status, label in PaymentStatus.choices]
    outcomes = [by_status.get(status, zero) for status in (PaymentStatus.PAID, PaymentStatus.FAILED,
                                                           PaymentStatus.UNCOLLECTED)]  # fmt: skip
    listed = [by_status.get(status, zero) for status in PaymentStatus.values if status not in OFF_LIST]
    reported_n, reported_amount = sum(n for n, _a in outcomes), sum((a for _n, a in outcomes), decimal.Decimal(0))
    listed_n, listed_amount = sum(n for n, _a in listed), sum((a for _n, a in listed), decimal.Decimal(0))
    return {
        "lines": lines,
        "listed": (listed_n, listed_amount),
        "reported": (reported_n, reported_amount),
        "to_report": by_status.get(PaymentStatus.LISTED, zero),
        "adds_up": listed_n > 0 and reported_n == listed_n and reported_amount == listed_amount,
    }


def visible_heads(user: User, households) -> dict[int, str]:
    """household id -> its head's name, for the heads `user` may see (a protection-tier head stays unnamed)."""
    from liman.assistance.selectors import visible_heads as heads_of

    return heads_of(user, households)


# --- a household's cash -------------------------------------------------------------------------------------


def household_enrolments(user: User, household_ids) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.visible_to(user)
        .filter(household_id__in=list(household_ids))
        .select_related("programme", "office", "rules")
        .order_by("-enrolled_on", "-id")
    )


def household_payments(user: User, household_ids) -> QuerySet[Payment]:
    return (
        Payment.objects.visible_to(user)
        .filter(household_id__in=list(household_ids))
        .select_related("cycle", "cycle__programme", "rules")
        .order_by("-cycle__created_at", "-id")
    )
