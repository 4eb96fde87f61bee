"""Choices of the feedback app: channels, categories (three of them go to the protected channel), priorities,
states, and the days to respond by priority."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline call")
    DESK = "desk", _("Help desk")
    EMAIL = "email", _("Email")
    BOX = "box", _("Feedback box")
    SMS = "sms", _("SMS")
    PARTNER = "partner", _("Through a partner")
    FIELD_VISIT = "field_visit", _("Field visit")


class Category(models.TextChoices):
    INFORMATION = "information", _("Information request")
    ASSISTANCE_NOT_RECEIVED = "not_received", _("Assistance not received")
    QUALITY = "quality", _("Quality of assistance or service")
    PAYMENT = "payment", _("Payment problem")
    STAFF_CONDUCT = "staff_conduct", _("Staff conduct")
    SEA = "sea", _("Sexual exploitation and abuse")
    FRAUD = "fraud", _("Fraud or corruption")
    OTHER = "other", _("Other")


#: Categories that go to the protected channel: only PSEA focal points read them.
PROTECTED_CATEGORIES = frozenset({Category.SEA, Category.FRAUD, Category.STAFF_CONDUCT})


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


#: Days to respond to the person, by priority ...
PRIORITY_DAYS = {Priority.URGENT: 1, Priority.HIGH: 3, Priority.NORMAL: 7, Priority.LOW: 14}
#: ... and at most this many for some categories (a missed distribution or payment is answered within days).
CATEGORY_MAX_DAYS = {
    Category.SEA: 1,
    Category.FRAUD: 3,
    Category.STAFF_CONDUCT: 3,
    Category.ASSISTANCE_NOT_RECEIVED: 5,
    Category.PAYMENT: 5,
}


class FeedbackState(models.TextChoices):
    RECEIVED = "received", _("Received")
    TRIAGED = "triaged", _("Triaged")
    ASSIGNED = "assigned", _("Assigned")
    RESOLVED = "resolved", _("Resolved")
    REFERRED = "referred", _("Referred")
    RESPONDED = "responded", _("Responded to the person")
    CLOSED = "closed", _("Closed")


OPEN_STATES = frozenset(set(FeedbackState.values) - {FeedbackState.RESPONDED, FeedbackState.CLOSED})
