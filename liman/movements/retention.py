"""What movements hold about a person, anonymised with them (core.retention)."""

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Purge

from .models import Booking, ExitPermission, ResettlementCase, ReunificationCase, Visa


def movements_of_people(people, work: Purge) -> None:
    work.blank(Visa.objects.filter(person__in=people), "number")
    work.blank(ExitPermission.objects.filter(person__in=people), "authority_reference")
    work.blank(Booking.objects.filter(person__in=people), "escort_name", "cancel_reason")
    work.blank(ReunificationCase.objects.filter(person__in=people), "sponsor_name")
    work.blank(ResettlementCase.objects.filter(principal__in=people), "unhcr_reference", "country_case_id")


retention.register_part(
    "registry.person",
    (
        "movements.visa",
        "movements.exitpermission",
        "movements.booking",
        "movements.reunificationcase",
        "movements.resettlementcase",
        "movements.casemember",
        "movements.orientationattendance",
        "movements.promissorynote",
    ),
    movements_of_people,
)
retention.declare_no_personal_data(
    _("partners, missions, sessions, flights and approvals: staff and places, no refugee's details"),
    "movements.processingpartner",
    "movements.casesteppartner",
    "movements.selectionmission",
    "movements.interviewslot",
    "movements.orientationcourse",
    "movements.orientationsession",
    "movements.sponsorshipassurance",
    "movements.flight",
    "movements.flightleg",
    "movements.familysplitapproval",
)
