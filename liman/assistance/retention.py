"""What assistance holds about a person, anonymised with them (core.retention)."""

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Purge

from .models import Entitlement


def entitlements_of_people(people, work: Purge) -> None:
    work.blank(Entitlement.objects.filter(received_by_person__in=people), "received_by_name")


retention.register_part(
    "registry.person", ("assistance.entitlement", "assistance.entitlementline"), entitlements_of_people
)
retention.declare_no_personal_data(
    _("stock, plans and aggregate incident counts (no person)"),
    "assistance.item",
    "assistance.stocklocation",
    "assistance.stocklot",
    "assistance.stockbalance",
    "assistance.transfer",
    "assistance.loss",
    "assistance.stockcount",
    "assistance.ledgerentry",
    "assistance.incidentgroupcount",
    "assistance.incidentservicegiven",
    "assistance.distributionplan",
    "assistance.planitem",
)
retention.declare_kept(
    _("field incidents: kept with the response they account for (notes name no one by rule; reviewed by hand)"),
    "assistance.fieldincident",
)
