"""What cash offers to reporting (liman.core.measures): households paid in a cash cycle and the people in them.
Registered in CashConfig.ready()."""

from __future__ import annotations

import datetime

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from liman.core import measures

from .choices import PaymentStatus

HOUSEHOLDS_PAID = "cash.households_paid"
PEOPLE_PAID = "cash.people_in_households_paid"


def households_paid(start: datetime.date, end: datetime.date, offices=None):
    """Households with a payment paid in [start, end), each once, described by its head (sex, age, population
    group) at the household's district."""
    from liman.registry.models import DisabilityAssessment, LegalStatus

    from .models import Payment

    payments = Payment.objects.filter(
        measures.day_range("paid_on", start, end), measures.offices_filter("cycle__office", offices),
        status=PaymentStatus.PAID,
    ).annotate(
        **measures.person_annotations("household__head", legal_status_model=LegalStatus,
                                      disability_model=DisabilityAssessment, since=start)
    ).annotate(m_household=F("household_id"))  # fmt: skip
    return measures.person_rows(
        payments, on="paid_on", office="cycle__office", district="household__district__pcode", key="m_household"
    )


def people_in_households_paid(start: datetime.date, end: datetime.date, offices=None):
    """Each member of a household paid in [start, end) (a person merged into another counts as the survivor)."""
    from liman.registry.models import DisabilityAssessment, LegalStatus, Person

    path = "membership__household__cash_payments"
    people = Person.objects.filter(
        measures.day_range(f"{path}__paid_on", start, end), measures.offices_filter(f"{path}__cycle__office", offices),
        **{f"{path}__status": PaymentStatus.PAID},
    ).annotate(
        **measures.person_annotations("", legal_status_model=LegalStatus, disability_model=DisabilityAssessment,
                                      since=start)
    )  # fmt: skip
    return measures.person_rows(
        people,
        on=f"{path}__paid_on",
        office=f"{path}__cycle__office",
        district="membership__household__district__pcode",
    )


def _households():
    from .models import Payment

    return Payment.objects.annotate(m_household=F("household_id"))


def _household_keys(keys):
    return Q(household_id__in=list(keys))


def _people():
    from liman.registry.models import Person

    return measures.person_base(Person)


def register() -> None:
    measures.register(
        measures.Measure(
            key=HOUSEHOLDS_PAID,
            label=_("Households paid in a cash cycle"),
            unit=measures.Unit.HOUSEHOLDS,
            rows=households_paid,
            app="cash",
            order=30,
            tagged="cash.PaymentCycle",
            tagged_path="cycle",
            reach=measures.Reach(
                base=_households,
                keys=_household_keys,
                # The household's head describes it: a new head is a change of the household.
                sources={"cash.payment": "", "cash.paymentcycle": "cycle", "registry.household": "household"},
            ),
        )
    )
    measures.register(
        measures.Measure(
            key=PEOPLE_PAID,
            label=_("People in households paid in a cash cycle"),
            unit=measures.Unit.PEOPLE,
            rows=people_in_households_paid,
            app="cash",
            order=31,
            tagged="cash.PaymentCycle",
            tagged_path="membership__household__cash_payments__cycle",
            reach=measures.Reach(
                base=_people,
                keys=measures.person_keys,
                sources={
                    **measures.PERSON_SOURCES,
                    "cash.payment": "membership__household__cash_payments",
                    "cash.paymentcycle": "membership__household__cash_payments__cycle",
                },
            ),
        )
    )
