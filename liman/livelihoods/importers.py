"""A payment provider's report on grant tranches, through staging (the same columns and outcome words as the cash
part's reports): each row is checked against the tranches approved for payment before anything is marked; a
refused row says which reference and why; the report is taken whole or not at all."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core.staging import Column, Importer, Problem, StagedValues, register

from .choices import TrancheStatus
from .permissions import GRANT_PAY_ROLES


def _outcome(text: str) -> str | None:
    """The outcome a report's word means, in any provider's words (they do not contradict each other)."""
    from liman.cash.providers import PROVIDERS

    for provider in PROVIDERS.values():
        outcome = provider().outcome(text)
        if outcome is not None:
            return str(outcome)
    return None


@register
class TrancheReportImporter(Importer):
    kind = "grant_tranche_report"
    label = gettext_lazy("Payment provider report (grant tranches)")
    roles = GRANT_PAY_ROLES
    columns = (
        Column("reference", help=gettext_lazy("The tranche's payment reference on the payment file.")),
        Column("amount", help=gettext_lazy("The amount paid or due, as on the payment file.")),
        Column("status", help=gettext_lazy("paid, failed or uncollected (or the provider's own words).")),
        Column("date", required=False, help=gettext_lazy("Date of payment, YYYY-MM-DD.")),
        Column("transaction_id", required=False, help=gettext_lazy("The provider's transaction number.")),
    )
    created_labels = {"paid": gettext_lazy("paid"), "failed": gettext_lazy("failed"),
                      "uncollected": gettext_lazy("uncollected")}  # fmt: skip

    def clean_row(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []
        values: dict[str, Any] = {"reference": raw.get("reference", "").strip().upper()}
        if not values["reference"]:
            problems.append(Problem("reference", _("Give the tranche's payment reference.")))
        try:
            values["amount"] = str(decimal.Decimal(raw.get("amount", "").strip().replace(",", ".")))
        except decimal.InvalidOperation:
            problems.append(Problem("amount", _("“%(value)s” is not an amount.") % {"value": raw.get("amount", "")}))
        status = _outcome(raw.get("status", ""))
        if status is None:
            problems.append(Problem("status", _("“%(value)s” is not paid, failed or uncollected.")
                                    % {"value": raw.get("status", "")}))  # fmt: skip
        values["status"] = status or ""
        date = raw.get("date", "").strip()
        if date:
            try:
                values["date"] = datetime.date.fromisoformat(date).isoformat()
            except ValueError:
                problems.append(Problem("date", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": date}))
        elif status == "paid":
            problems.append(Problem("date", _("A payment made has a date.")))
        values["transaction_id"] = raw.get("transaction_id", "").strip()[:64]
        return values, problems

    def check_batch(self, rows: Sequence[StagedValues]) -> list[Problem]:
        from .models import Tranche

        references = [row.values.get("reference", "") for row in rows]
        tranches = {
            t.payment_reference: t
            for t in Tranche.objects.filter(
                agreement__application__office=self.office, payment_reference__in=references
            ).only("payment_reference", "status", "amount")
        }  # fmt: skip
        problems, seen = [], {}
        for row in rows:
            reference, amount = row.values.get("reference", ""), row.values.get("amount")
            tranche = tranches.get(reference)
            if tranche is None:
                problems.append(Problem("reference", _("%(ref)s is not a grant payment of this office.")
                                        % {"ref": reference}, row=row.row))  # fmt: skip
                continue
            if reference in seen:
                problems.append(Problem("reference", _("%(ref)s is reported twice (rows %(first)d and %(row)d).")
                                        % {"ref": reference, "first": seen[reference], "row": row.row},
                                        row=row.row))  # fmt: skip
                continue
            seen[reference] = row.row
            if tranche.status != TrancheStatus.PAYABLE:
                problems.append(Problem("reference", _("%(ref)s is not waiting for the provider's outcome (it is "
                                        "%(status)s).") % {"ref": reference, "status": tranche.get_status_display()},
                                        row=row.row))  # fmt: skip
            if amount is not None and decimal.Decimal(amount) != tranche.amount:
                problems.append(Problem("amount", _("%(ref)s: %(amount)s reported, %(listed)s approved.")
                                        % {"ref": reference, "amount": amount, "listed": tranche.amount},
                                        row=row.row))  # fmt: skip
        return problems

    def commit(self, rows: Sequence[StagedValues], batch, by) -> dict[str, int]:
        from .services import tranche_reconcile_rows

        return tranche_reconcile_rows(office=self.office, rows=[row.values for row in rows], by=by)
