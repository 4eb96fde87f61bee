"""A small scoped model with encrypted fields, standing in for the records later apps add."""

from django.db import models

from liman.core.access import Scope, ScopedQuerySet
from liman.core.choices import Sensitivity
from liman.core.fields import BlindIndexField, EncryptedTextField


class Secret(models.Model):
    """A record of an office, in a programme, at a sensitivity tier, with an encrypted identifier."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT)
    programme = models.ForeignKey("core.Programme", null=True, blank=True, on_delete=models.PROTECT)
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL)
    title = models.CharField(max_length=100)
    note = EncryptedTextField(blank=True)
    passport = EncryptedTextField(blank=True)
    passport_index = BlindIndexField(source="passport")

    scope = Scope(office="office", programme="programme", sensitivity="sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        app_label = "vault"

    def __str__(self):
        return self.title
