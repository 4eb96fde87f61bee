"""A payment provider's report, through staging: each row checked against the cycle's frozen list before anything
is marked; a refused row says which reference and why. `PaymentReportImporter` reads and checks what every
provider report has (grant tranches are paid through the same providers: liman.livelihoods.importers)."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Sequence
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core.staging import Column, Importer, Problem, StagedValues, register

from .choices import PaymentStatus
from .models import PaymentCycle
from .permissions import CASH_PREPARE_ROLES

TOTAL_ROW = "TOTAL"


class PaymentReportImporter(Importer):
    """A provider's report on payments: on each row a payment reference, the amount, the outcome (in the provider's
    words), the date paid and the provider's transaction number. Subclasses say what a word means (`outcome`),
    which row is a total, and how their messages name a payment."""

    created_labels = {"paid": gettext_lazy("paid"), "failed": gettext_lazy("failed"),
                      "uncollected": gettext_lazy("uncollected")}  # fmt: skip
    #: What a row without a reference is told.
    missing_reference: ClassVar[str | Promise]
    #: `%(ref)s`, `%(first)d`, `%(row)d`: a reference on two rows.
    reported_twice: ClassVar[str | Promise]
    #: `%(ref)s`, `%(amount)s`, `%(listed)s`: an amount other than the one to pay.
    amount_differs: ClassVar[str | Promise]

    def outcome(self, text: str) -> str | None:
        """The outcome (paid, failed, uncollected) the report's word means; None: a word the provider does not use."""
        raise NotImplementedError

    def is_total(self, values: dict[str, Any]) -> bool:
        """A row that totals the others: only its amount is read."""
        return False

    def clean_row(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []
        values: dict[str, Any] = {"reference": raw.get("reference", "").strip().upper()}
        if not values["reference"]:
            problems.append(Problem("reference", str(self.missing_reference)))
        try:
            values["amount"] = str(decimal.Decimal(raw.get("amount", "").strip().replace(",", ".")))
        except decimal.InvalidOperation:
            problems.append(Problem("amount", _("“%(value)s” is not an amount.") % {"value": raw.get("amount", "")}))
        if self.is_total(values):
            return values, problems
        status = self.outcome(raw.get("status", ""))
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
        elif status == PaymentStatus.PAID:
            problems.append(Problem("date", _("A payment made has a date.")))
        values["transaction_id"] = raw.get("transaction_id", "").strip()[:64]
        return values, problems

    def check_once(self, row: StagedValues, seen: dict[str, int]) -> Problem | None:
        """A reference reported on an earlier row too (`seen`: each reference's first row, filled here)."""
        reference = row.values.get("reference", "")
        if reference in seen:
            return Problem("reference", self.reported_twice % {"ref": reference, "first": seen[reference],
                                                               "row": row.row}, row=row.row)  # fmt: skip
        seen[reference] = row.row
        return None

    def check_amount(self, row: StagedValues, due) -> Problem | None:
        """A reported amount other than `due`, the amount to pay."""
        reference, amount = row.values.get("reference", ""), row.values.get("amount")
        if amount is None or decimal.Decimal(amount) == decimal.Decimal(due):
            return None
        return Problem("amount", self.amount_differs % {"ref": reference, "amount": amount, "listed": due},
                       row=row.row)  # fmt: skip


@register
class ProviderReportImporter(PaymentReportImporter):
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
    missing_reference = gettext_lazy("Give the household reference.")
    reported_twice = gettext_lazy(
        "%(ref)s is reported twice (rows %(first)d and %(row)d): a household is paid once per cycle."
    )
    amount_differs = gettext_lazy("%(ref)s: %(amount)s reported, %(listed)s on the approved list.")

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

    def outcome(self, text: str) -> str | None:
        from .providers import provider_for

        return provider_for(self.cycle.provider).outcome(text) if self.cycle else None

    def is_total(self, values: dict[str, Any]) -> bool:
        return values["reference"] == TOTAL_ROW

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
            if twice := self.check_once(row, seen):
                problems.append(twice)
                continue
            if reference in done:
                problems.append(Problem("reference", _("%(ref)s was already reconciled as %(status)s.")
                                        % {"ref": reference, "status": done[reference]}, row=row.row))  # fmt: skip
            if differs := self.check_amount(row, frozen[reference]["amount"]):
                problems.append(differs)
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
