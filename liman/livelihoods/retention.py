"""What livelihoods hold about a person, anonymised with them (core.retention)."""

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Purge

from .models import GrantApplication, JobSeeker, PlacementFollowUp, WorkPermitApplication


def livelihoods_of_people(people, work: Purge) -> None:
    work.blank(GrantApplication.objects.filter(owner__in=people), "owner_name", "tax_number", "plan")
    work.blank(JobSeeker.objects.filter(person__in=people), "skills")
    work.blank(WorkPermitApplication.objects.filter(person__in=people), "decision_reference")
    work.blank(PlacementFollowUp.objects.filter(placement__referral__seeker__person__in=people), "note")


retention.register_part(
    "registry.person",
    (
        "livelihoods.grantapplication",
        "livelihoods.jobseeker",
        "livelihoods.workpermitapplication",
        "livelihoods.placementfollowup",
        "livelihoods.placement",
        "livelihoods.referral",
        "livelihoods.tranche",
        "livelihoods.grantagreement",
        "livelihoods.monitoringvisit",
        "livelihoods.score",
    ),
    livelihoods_of_people,
)
retention.declare_no_personal_data(
    _("calls, criteria, panels, employers (businesses) and vacancies"),
    "livelihoods.grantcall",
    "livelihoods.criterion",
    "livelihoods.panelmember",
    "livelihoods.conflictdeclaration",
    "livelihoods.employer",
    "livelihoods.vacancy",
)
