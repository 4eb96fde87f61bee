"""Choices of livelihoods: small-business grants (calls, applications, agreements, tranches)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    AGRICULTURE = "agriculture", _("Agriculture and food processing")
    MANUFACTURING = "manufacturing", _("Manufacturing and textiles")
    TRADE = "trade", _("Retail and trade")
    FOOD_SERVICE = "food_service", _("Restaurants and food service")
    SERVICES = "services", _("Personal and repair services")
    CONSTRUCTION = "construction", _("Construction")
    DIGITAL = "digital", _("Digital and creative")
    OTHER = "other", _("Other")


class Registration(models.TextChoices):
    FORMAL = "formal", _("Registered (tax office and chamber)")
    IN_PROCESS = "in_process", _("Registration under way")
    INFORMAL = "informal", _("Not registered")


class TaxKind(models.TextChoices):
    COMPANY = "vkn", _("Company tax number (VKN, 10 digits)")
    SOLE_PROPRIETOR = "tckn", _("Sole proprietor's identity number (11 digits)")


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    SCORING = "scoring", _("With the panel")
    SCORED = "scored", _("Scored")
    APPROVED = "approved", _("Approved by the committee")
    REJECTED = "rejected", _("Rejected")
    CONTRACTED = "contracted", _("Grant agreement signed")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TrancheStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DUE = "due", _("Milestone met: due")
    PAYABLE = "payable", _("Payable: sent through the payment provider")
    PAID = "paid", _("Paid")


class YesNo(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


#: Jobs at a grantee business by nationality group and sex (the application's and the visit's breakdown).
JOB_GROUPS = tuple(f"{group}_{sex}" for group in ("syrian", "other", "turkish") for sex in ("f", "m"))
#: Shipped XLSForm of the grants' monitoring visits (liman/dtm/data/forms/liman_msme_visit.xlsx).
MSME_VISIT_FORM_ID = "liman_msme_visit"


class ReferralStatus(models.TextChoices):
    REFERRED = "referred", _("Referred to the employer")
    PLACED = "placed", _("Placed")
    NOT_HIRED = "not_hired", _("Not hired")


class PermitKind(models.TextChoices):
    PERMIT = "permit", _("Work permit")
    SEASONAL_EXEMPTION = "seasonal_exemption", _("Seasonal agriculture or livestock exemption")


class PermitState(models.TextChoices):
    PREPARED = "prepared", _("Prepared with the employer")
    SUBMITTED = "submitted", _("Submitted by the employer")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


#: Share of a workplace's Turkish employees that people under temporary protection may reach (regulation of 2016).
TP_QUOTA_SHARE = 0.10
#: Months under temporary protection before a work permit may be applied for.
TP_MONTHS_BEFORE_PERMIT = 6
