"""A payment provider's report, through staging: each row checked against the cycle's frozen list before anything
is marked; a refused row says which reference and why."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core.staging import Column, Importer, Problem, StagedValues, register

from .choices import PaymentStatus
from .models import PaymentCycle
from .permissions import CASH_PREPARE_ROLES

TOTAL_ROW = "TOTAL"


@register
class ProviderReportImporter(Importer):
    kind = "cash_provider_report"
    label = gettext_lazy("Payment provider report (cash)")
    roles = CASH_PREPARE_ROLES
    columns = (
        Column("reference", help=gettext_lazy("The household reference on the payment file; TOTAL for a total row.")),
        Column("amount", help=gettext_lazy("The amount paid or due, as on the payment file.")),
        Column("status", required=False, help=gettext_lazy("paid, failed or uncollected.")),
        Column("date", required=False, help=gettext_lazy("Date of payment, YYYY-MM-DD.")),
        Column("transaction_id", required=False, help=gettext_lazy("The provider's transaction number.")),
    )
    batch_options = (Column("cycle", label=gettext_lazy("Payment cycle"), help=gettext_lazy("Its reference.")),)
    created_labels = {"paid": gettext_lazy("paid"), "failed": gettext_lazy("failed"),
                      "uncollected": gettext_lazy("uncollected")}  # fmt: skip

    def __init__(self, *, office):
        super().__init__(office=office)
        self._cycle: PaymentCycle | None = None
        self._provider = None

    @property
    def cycle(self) -> PaymentCycle | None:
        if self._cycle is None and self.declared.get("cycle"):
            self._cycle = (
                PaymentCycle.objects.filter(reference=self.declared["cycle"].strip().upper(), office=self.office)
                .select_related("programme")
                .first()
            )
        return self._cycle

    def clean_row(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
        from .providers import provider_for

        problems: list[Problem] = []
        values: dict[str, Any] = {"reference": raw.get("reference", "").strip().upper()}
        if not values["reference"]:
            problems.append(Problem("reference", _("Give the household reference.")))
        try:
            values["amount"] = str(decimal.Decimal(raw.get("amount", "").strip().replace(",", ".")))
        except decimal.InvalidOperation:
            problems.append(Problem("amount", _("“%(value)s” is not an amount.") % {"value": raw.get("amount", "")}))
        if values["reference"] == TOTAL_ROW:
            return values, problems
        provider = provider_for(self.cycle.provider) if self.cycle else None
        status = provider.outcome(raw.get("status", "")) if provider else None
        if status is None:
            problems.append(
                Problem(
                    "status", _("“%(value)s” is not paid, failed or uncollected.") % {"value": raw.get("status", "")}
                )
            )
        values["status"] = status or ""
        date = raw.get("date", "").strip()
        if date:
            try:
                values["date"] = datetime.date.fromisoformat(date).isoformat()
            except ValueError:
                problems.append(Problem("date", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": date}))
        elif status == PaymentStatus.PAID:
            problems.append(Problem("date", _("A payment made has a date.")))
        values["transaction_id"] = raw.get("transaction_id", "").strip()[:64]
        return values, problems

    def check_state(self):
        """What `check_batch` reads of the stored records (the cycle's state and approved hash, the outcomes already
        marked): when the same at commit as at staging, the commit does not check 100,000 rows a second time."""
        from django.db.models import Count

        cycle = self.cycle
        if cycle is None:
            return None
        done = dict(
            cycle.payments.exclude(status__in=[PaymentStatus.LISTED, PaymentStatus.HELD])
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {"cycle": cycle.pk, "state": cycle.state, "hash": cycle.list_hash, "done": done}

    def check_batch(self, rows: Sequence[StagedValues]) -> list[Problem]:
        from .services import ListChanged, cycle_check_frozen

        cycle = self.cycle
        first = rows[0].row if rows else 0
        if cycle is None:
            message = _("There is no payment cycle %(cycle)s in this office.") % {"cycle": self.declared.get("cycle")}
            return [Problem("", message, row=first)]
        if cycle.state != "sent":
            message = _("%(cycle)s is not waiting for a provider report (it is %(state)s).") % {
                "cycle": cycle.reference,
                "state": cycle.get_state_display(),
            }
            return [Problem("", message, row=first)]
        try:
            frozen = {line["reference"]: line for line in cycle_check_frozen(cycle)}
        except ListChanged as exc:
            return [Problem("", exc.messages[0], row=first)]
        done = dict(
            cycle.payments.exclude(status__in=[PaymentStatus.LISTED, PaymentStatus.HELD]).values_list(
                "household__reference", "status"
            )
        )
        problems, seen, total = [], {}, decimal.Decimal(0)
        for row in rows:
            reference, amount = row.values.get("reference", ""), row.values.get("amount")
            if reference == TOTAL_ROW:
                continue
            if amount is not None:
                total += decimal.Decimal(amount)
            if reference not in frozen:
                problems.append(Problem("reference", _("%(ref)s is not on the list of %(cycle)s.")
                                        % {"ref": reference, "cycle": cycle.reference}, row=row.row))  # fmt: skip
                continue
            if reference in seen:
                problems.append(Problem("reference", _("%(ref)s is reported twice (rows %(first)d and %(row)d): a "
                                        "household is paid once per cycle.")
                                        % {"ref": reference, "first": seen[reference], "row": row.row},
                                        row=row.row))  # fmt: skip
                continue
            seen[reference] = row.row
            if reference in done:
                problems.append(Problem("reference", _("%(ref)s was already reconciled as %(status)s.")
                                        % {"ref": reference, "status": done[reference]}, row=row.row))  # fmt: skip
            if amount is not None and decimal.Decimal(amount) != decimal.Decimal(frozen[reference]["amount"]):
                problems.append(Problem("amount", _("%(ref)s: %(amount)s reported, %(listed)s on the approved list.")
                                        % {"ref": reference, "amount": amount,
                                           "listed": frozen[reference]["amount"]}, row=row.row))  # fmt: skip
        for row in rows:
            if row.values.get("reference") == TOTAL_ROW and row.values.get("amount") is not None:
                if decimal.Decimal(row.values["amount"]) != total:
                    problems.append(Problem("amount", _("The total row says %(said)s; the rows add up to %(sum)s.")
                                            % {"said": row.values["amount"], "sum": total}, row=row.row))  # fmt: skip
        return problems

    def commit(self, rows: Sequence[StagedValues], batch, by) -> dict[str, int]:
        from .services import reconcile_rows

        accepted = [row.values for row in rows if row.values.get("reference") != TOTAL_ROW]
        return reconcile_rows(cycle=self.cycle, rows=accepted, by=by)
