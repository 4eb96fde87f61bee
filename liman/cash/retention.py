"""How long cash payments keep the payee's details (core.retention)."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Kind, Purge

from .models import Payment, PdmVisit


def payments_due(cutoff: date):
    return Payment.objects.filter(cycle__reconciled_at__date__lt=cutoff).exclude(transaction_id="", hold_reason="")


def payments_anonymise(payments, work: Purge) -> None:
    work.blank(payments, "snapshot", "transaction_id", "hold_reason")


def visits_of_households(people, work: Purge) -> None:
    work.blank(PdmVisit.objects.filter(household__head__in=people), "note")


retention.register(
    Kind(
        "cash.payment",
        _("Cash payments"),
        _("the payment cycle was reconciled (audited)"),
        ("cash.payment", "cash.enrolment", "cash.targetingresult"),
        due=payments_due,
        anonymise=payments_anonymise,
        default_days=365 * 7,
        keeps=_("household, amount, status and dates (every total of the cycle); the payee's details go"),
    )
)
retention.register_part("registry.person", ("cash.pdmvisit",), visits_of_households)
retention.declare_no_personal_data(
    _("programmes, rules, runs, cycles and samples (no person's details)"),
    "cash.cashprogramme",
    "cash.ruleversion",
    "cash.targetingrun",
    "cash.paymentcycle",
    "cash.pdmsample",
)
