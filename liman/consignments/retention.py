"""Consignments hold no refugee's details (core.retention)."""

from django.utils.translation import gettext_lazy as _

from liman.core import retention

retention.declare_no_personal_data(
    _("goods, trucks and aggregate distribution reports (no refugee)"),
    "consignments.consignment",
    "consignments.truckline",
    "consignments.crossingcheck",
    "consignments.handoverline",
    "consignments.transitloss",
    "consignments.distributionreport",
    "consignments.reportline",
    "consignments.reportpeople",
    "consignments.reportitem",
    "consignments.reportupload",
)
retention.declare_kept(
    _("drivers and receivers named on delivery documents: kept with the consignment's accounts"),
    "consignments.truck",
    "consignments.handover",
)
