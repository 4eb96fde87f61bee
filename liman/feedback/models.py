"""Feedback and complaints from the people the mission serves.

A complaint of sexual exploitation and abuse, fraud or staff misconduct goes to the protected channel: its
sensitivity tier is `psea`, so only PSEA focal points read it (lists, pages, API, exports and the audit log all go
through the tier), whoever recorded it. What people said, how to reach them, the resolution and the response are
encrypted. Anonymous feedback has no link to a person, a household or a contact, hidden or not.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.choices import Sensitivity
from liman.core.fields import EncryptedTextField

from .choices import PROTECTED_CATEGORIES, Category, Channel, FeedbackState, Priority
from .permissions import FEEDBACK_READ_ROLES


class Feedback(models.Model):
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    sensitivity = models.CharField(
        max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL, editable=False, db_index=True
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    state = models.CharField(
        _("state"), max_length=16, choices=FeedbackState.choices, default=FeedbackState.RECEIVED, db_index=True
    )
    # Who it is from: a registered person, a household, someone who left a contact, or no one (anonymous).
    anonymous = models.BooleanField(_("anonymous"), default=False)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = EncryptedTextField(_("how to reach them"), blank=True)
    summary = EncryptedTextField(_("what they said"))
    # What it is about: any record (a case, a distribution, a payment, an incident …), and a staff member it names.
    about_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    about_id = models.CharField(max_length=40, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    about_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff member it names"),
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("respond by"), db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    resolution = EncryptedTextField(_("what was done"), blank=True)
    referred_to = models.ForeignKey(
        "cases.PartnerOrganisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("referred to"),
    )
    response = EncryptedTextField(_("the answer given to the person"), blank=True)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    scope = Scope(office="office", sensitivity="sensitivity", roles=FEEDBACK_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [models.Index(fields=["office", "state", "due_on"], name="feedback_office_open_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(person__isnull=True, household__isnull=True),
                name="feedback_anonymous_has_no_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_category_display()}"

    def save(self, *args, **kwargs):
        # The tier follows the category: a complaint is protected from the moment it is written down.
        self.sensitivity = Sensitivity.PSEA if self.category in PROTECTED_CATEGORIES else Sensitivity.NORMAL
        super().save(*args, **kwargs)

    @property
    def workflow(self):
        from .workflows import FEEDBACK_WORKFLOW

        return FEEDBACK_WORKFLOW

    @property
    def is_protected(self) -> bool:
        return self.category in PROTECTED_CATEGORIES

    @property
    def is_overdue(self) -> bool:
        from .choices import OPEN_STATES

        return self.state in OPEN_STATES and self.due_on < timezone.localdate()

    def clean(self):
        errors = {}
        if self.anonymous and (self.person_id or self.household_id or (self.contact or "").strip()):
            errors["anonymous"] = _("Anonymous feedback keeps no person, household or contact.")
        if not (self.summary or "").strip():
            errors["summary"] = _("Write down what the person said.")
        if self.assigned_to_id and self.assigned_to_id == self.about_staff_id:
            errors["assigned_to"] = _("Feedback is never assigned to the staff member it is about.")
        if errors:
            raise ValidationError(errors)
