"""A payment provider's report on grant tranches, through staging (the same columns, outcome words and checks as the
cash part's reports: liman.cash.importers.PaymentReportImporter): each row is checked against the tranches approved
for payment before anything is marked; a refused row says which reference and why; the report is taken whole or not
at all."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.cash.importers import PaymentReportImporter
from liman.core.staging import Column, Problem, StagedValues, register

from .choices import TrancheStatus
from .permissions import GRANT_PAY_ROLES


@register
class TrancheReportImporter(PaymentReportImporter):
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
    missing_reference = gettext_lazy("Give the tranche's payment reference.")
    reported_twice = gettext_lazy("%(ref)s is reported twice (rows %(first)d and %(row)d).")
    amount_differs = gettext_lazy("%(ref)s: %(amount)s reported, %(listed)s approved.")

    def outcome(self, text: str) -> str | None:
        """In any provider's words (they do not contradict each other)."""
        from liman.cash.providers import PROVIDERS

        for provider in PROVIDERS.values():
            outcome = provider().outcome(text)
            if outcome is not None:
                return str(outcome)
        return None

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
            reference = row.values.get("reference", "")
            tranche = tranches.get(reference)
            if tranche is None:
                problems.append(Problem("reference", _("%(ref)s is not a grant payment of this office.")
                                        % {"ref": reference}, row=row.row))  # fmt: skip
                continue
            if twice := self.check_once(row, seen):
                problems.append(twice)
                continue
            if tranche.status != TrancheStatus.PAYABLE:
                problems.append(Problem("reference", _("%(ref)s is not waiting for the provider's outcome (it is "
                                        "%(status)s).") % {"ref": reference, "status": tranche.get_status_display()},
                                        row=row.row))  # fmt: skip
            if differs := self.check_amount(row, tranche.amount):
                problems.append(differs)
        return problems

    def commit(self, rows: Sequence[StagedValues], batch, by) -> dict[str, int]:
        from .services import tranche_reconcile_rows

        return tranche_reconcile_rows(office=self.office, rows=[row.values for row in rows], by=by)
