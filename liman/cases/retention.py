"""How long closed cases keep what was written in them (core.retention)."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Kind, Purge

from .models import (
    Assessment,
    Case,
    CaseAssignment,
    CaseNote,
    FollowUp,
    PlannedService,
    Referral,
    ServiceDelivery,
    ServicePlan,
)


def closed_cases_due(cutoff: date):
    return Case.objects.filter(closed_on__lt=cutoff)


def cases_anonymise(cases, work: Purge) -> None:
    work.blank(CaseNote.objects.filter(case__in=cases), "text")
    work.blank(Assessment.objects.filter(case__in=cases), "findings")
    work.blank(ServicePlan.objects.filter(case__in=cases), "goals")
    work.blank(PlannedService.objects.filter(plan__case__in=cases), "description")
    work.blank(ServiceDelivery.objects.filter(case__in=cases), "note")
    work.blank(FollowUp.objects.filter(case__in=cases), "outcome", "purpose")
    work.blank(CaseAssignment.objects.filter(case__in=cases), "reason")
    work.blank(Referral.objects.filter(case__in=cases), "summary", "shared_data", "response_reason")
    work.blank(cases, "trafficking_details")


retention.register(
    Kind(
        "cases.closed_case",
        _("Closed protection, counter-trafficking and return cases"),
        _("the case was closed"),
        (
            "cases.case",
            "cases.casenote",
            "cases.assessment",
            "cases.serviceplan",
            "cases.plannedservice",
            "cases.servicedelivery",
            "cases.followup",
            "cases.caseassignment",
            "cases.referral",
        ),
        due=closed_cases_due,
        anonymise=cases_anonymise,
        default_days=365 * 5,
        keeps=_(
            "type, office, programme, states and dates, closure reason, victim status, kinds of exploitation, "
            "services by type and date; notes, findings, goals, outcomes and referral messages go"
        ),
    )
)
retention.declare_no_personal_data(_("the directory of partner organisations"), "cases.partnerorganisation")
