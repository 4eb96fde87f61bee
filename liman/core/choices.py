"""Choices used across core: roles, sensitivity tiers, office types, audit actions."""

from functools import cache

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    HEALTH = "health", _("Health staff")
    PROGRAMME_OFFICER = "programme_officer", _("Programme officer")
    CASH_APPROVER = "cash_approver", _("Cash approver")
    DTM_OFFICER = "dtm_officer", _("DTM officer")
    REPORTING_OFFICER = "reporting_officer", _("Reporting officer")
    WAREHOUSE = "warehouse", _("Warehouse staff")
    MOBILE_TEAM = "mobile_team", _("Mobile team member")
    DISTRIBUTION = "distribution", _("Distribution staff")
    PARTNER = "partner", _("Partner")
    PSEA_FOCAL_POINT = "psea_focal_point", _("PSEA focal point")
    #: Data protection: breaches, people's requests, sharing agreements, retention, who read what; no case contents.
    DATA_PROTECTION_FOCAL_POINT = "data_protection_focal_point", _("Data protection focal point")
    ADMINISTRATOR = "administrator", _("Administrator")


class Sensitivity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    PROTECTION = "protection", _("Protection-sensitive")
    MEDICAL = "medical", _("Medical")
    #: The protected channel: complaints of sexual exploitation and abuse, fraud and staff misconduct, read only by
    #: PSEA focal points.
    PSEA = "psea", _("Protected channel (PSEA)")


class OfficeType(models.TextChoices):
    COUNTRY = "country", _("Country office")
    SUB = "sub", _("Sub-office")
    FIELD = "field", _("Field office")
    MOBILE = "mobile", _("Mobile team base")


class ProgrammeArea(models.TextChoices):
    PROTECTION = "protection", _("Protection")
    COUNTER_TRAFFICKING = "counter_trafficking", _("Counter-trafficking")
    AVRR = "avrr", _("Assisted voluntary return and reintegration")
    RESETTLEMENT = "resettlement", _("Resettlement and movement")
    HEALTH = "health", _("Migration health")
    ASSISTANCE = "assistance", _("In-kind and cash assistance")
    LIVELIHOODS = "livelihoods", _("Livelihoods")
    DTM = "dtm", _("Displacement tracking (DTM / MPM)")
    MOBILE_TEAMS = "mobile_teams", _("Border mobile teams")


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    VIEW = "view", _("View of a sensitive record")
    EXPORT = "export", _("Export")
    TRANSITION = "transition", _("State transition")
    KEY_ROTATION = "key_rotation", _("Key rotation")
    PURGE = "purge", _("Purge under a retention schedule")


class TaskState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


@cache
def _labels_of(field) -> dict:
    """A field's choices as a table of value → label (the labels stay lazy: translated when shown)."""
    return {make_hashable(value): label for value, label in field.flatchoices}


class ChoiceLabels:
    """A model mixin: `get_FOO_display` reads the label from a table built once per field. Django's builds a table of
    every choice on each call and hashes each lazy label on the way (a translation lookup each): the 60 labels of a
    search page's twenty rows were a tenth of its time."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        if not isinstance(field.choices, list | tuple):
            return super()._get_FIELD_display(field)
        return force_str(_labels_of(field).get(make_hashable(value), value), strings_only=True)
