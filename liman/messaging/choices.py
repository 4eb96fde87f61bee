"""Choices of messaging: where a message is in its life, channels, and how consent and opt-outs were given."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from liman.core.messages import LANGUAGE_NAMES, LANGUAGES

#: The languages a message is written in (core's registry), as choices.
LANGUAGE_CHOICES = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


class MessageState(models.TextChoices):
    #: Waiting to be handed to the gateway (also while a sender holds it, and between retries).
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    #: Never handed over: consent withdrawn, the person or the number opted out, the number changed, or a person
    #: of staff cancelled it.
    CANCELLED = "cancelled", _("Not sent")


#: States a message does not leave by itself (a person may queue a failed one again).
FINAL_STATES = frozenset({MessageState.DELIVERED, MessageState.FAILED, MessageState.CANCELLED})


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class ConsentHow(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("On a phone call")
    FORM = "form", _("On a signed form")


class OptOutHow(models.TextChoices):
    STOP_REPLY = "stop_reply", _("Replied STOP to a message")
    CALL = "call", _("Asked on a phone call")
    DESK = "desk", _("Asked at a desk")
    FIELD = "field", _("Asked during a visit")


class InboundOutcome(models.TextChoices):
    OPT_OUT = "opt_out", _("Opt-out")
    HANDLED = "handled", _("Handed to the apps (feedback)")
    UNHANDLED = "unhandled", _("No app took it")
