"""Messages to people: how each person wants to be reached (and whether they may be), the texts, and the outbox.

A message is as sensitive as the person it is about (and as its kind, when the kind says so): its scope reads the
person's office and tier, so a message to a protection-tier person reaches only those who read that person. What a
message says and the number it went to are encrypted; the number has a blind index, so a STOP reply or a delivery
report finds its messages without the number ever being stored in clear.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.choices import Sensitivity
from liman.core.fields import BlindIndexField, EncryptedTextField
from liman.registry.models import normalise_phone_key

from .choices import LANGUAGE_CHOICES, Channel, InboundOutcome, MessageState, OptOutHow
from .permissions import MESSAGE_READ_ROLES


class MessageTemplate(models.Model):
    """The wording of one kind of message in one language, as edited (without one, the kind's default is used)."""

    kind = models.CharField(_("message"), max_length=48)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    body = models.TextField(_("text"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    unscoped_because = "the wording of a kind of message in one language, the same for every office: no one's data"

    class Meta:
        ordering = ["kind", "language"]
        verbose_name = _("message text")
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="messaging_template_once")]

    def __str__(self) -> str:
        return f"{self.kind} · {self.language}"

    def clean(self):
        from liman.core.messages import message_kind, template_problems

        kind = message_kind(self.kind)
        if kind is None:
            raise ValidationError({"kind": _("No app offers a message called “%(kind)s”.") % {"kind": self.kind}})
        problems = template_problems(self.body or "", kind.placeholders)
        if problems:
            raise ValidationError({"body": problems})


class ContactPreference(models.Model):
    """How a person wants to be reached (language, channel), and whether they asked to stop (when and how: a STOP
    reply, a call). Whether they agreed to be contacted is the registry's consent for contact
    (`registry.consent`, purpose "contact"), which every check reads: withdrawing it there stops the messages."""

    person = models.OneToOneField(
        "registry.Person", on_delete=models.CASCADE, related_name="contact_preference", verbose_name=_("person")
    )
    language = models.CharField(_("preferred language"), max_length=8, choices=LANGUAGE_CHOICES)
    channel = models.CharField(_("preferred channel"), max_length=16, choices=Channel.choices, default=Channel.SMS)
    opted_out_at = models.DateTimeField(_("asked to stop on"), null=True, blank=True)
    opt_out_how = models.CharField(_("how they asked to stop"), max_length=16, choices=OptOutHow.choices, blank=True)
    opt_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opt-out recorded by"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    scope = Scope(office="person__office", sensitivity="person__sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact preference")

    def __str__(self) -> str:
        return f"{self.get_language_display()} · {self.get_channel_display()}"

    @property
    def office_id(self):
        return self.person.office_id

    def clean(self):
        if self.opted_out_at and not self.opt_out_how:
            raise ValidationError({"opt_out_how": _("Say how the person asked to stop.")})


class MessageQuerySet(ScopedQuerySet):
    def claimable(self, now):
        """Queued and due: never claimed, waiting for its retry, or held by a sender whose claim ran out."""
        return self.filter(state=MessageState.QUEUED, next_attempt_at__lte=now)


class Message(models.Model):
    """One text to one person, from the queue to the gateway's delivery report; sent at most once per
    idempotency key (the gateway is given the key, and drops a second hand-over of the same key)."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="messages", verbose_name=_("person")
    )
    kind = models.CharField(_("message"), max_length=48, db_index=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.SMS)
    body = EncryptedTextField(_("text"))
    phone = EncryptedTextField(_("number"))
    phone_index = BlindIndexField(source="phone", normalise=normalise_phone_key)
    #: The kind's own tier (most kinds: normal); the person's tier counts too (see `scope`).
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True, editable=False)
    #: What it is about, in words a reader knows (a distribution plan's or a booking's reference).
    source = models.CharField(_("about"), max_length=80, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=MessageState.choices, default=MessageState.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("hand-overs"), default=0)
    #: Not before: when queued, the time of its next retry; while a sender holds it, when that claim runs out.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    #: Set while a sender holds the message; a sender records an outcome only under its own token.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    backend = models.CharField(_("gateway"), max_length=32, blank=True)
    provider_message_id = models.CharField(_("gateway's message id"), max_length=100, blank=True, db_index=True)
    error = models.CharField(_("why"), max_length=300, blank=True)
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)

    scope = Scope(office="person__office", sensitivity=("person__sensitivity", "sensitivity"), roles=MESSAGE_READ_ROLES)
    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("message")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="messaging_message_due")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def office_id(self):
        return self.person.office_id

    @property
    def is_right_to_left(self) -> bool:
        from liman.core.messages import RIGHT_TO_LEFT

        return self.language in RIGHT_TO_LEFT

    @property
    def is_being_sent(self) -> bool:
        return self.state == MessageState.QUEUED and bool(self.claim_token)

    @property
    def kind_label(self) -> str:
        from liman.core.messages import message_kind

        kind = message_kind(self.kind)
        return str(kind.label) if kind is not None else self.kind


class PhoneOptOut(models.Model):
    """A number that replied STOP: nothing is sent to it again, whoever it belongs to, until the person agrees again."""

    #: The number's keyed hash, as `Message.phone_index` computes it (never the number).
    phone_index = models.CharField(max_length=64, unique=True, editable=False)
    opted_out_at = models.DateTimeField(_("asked to stop on"), default=timezone.now)
    how = models.CharField(_("how"), max_length=16, choices=OptOutHow.choices, default=OptOutHow.STOP_REPLY)

    unscoped_because = "a keyed hash of a number that asked to stop, linked to no person and never shown"

    class Meta:
        verbose_name = _("number that opted out")

    def __str__(self) -> str:
        return f"opt-out {self.opted_out_at:%Y-%m-%d}"


class InboundReceipt(models.Model):
    """An inbound text already handled (by the gateway's id), so a gateway that posts it again changes nothing."""

    backend = models.CharField(max_length=32)
    provider_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=InboundOutcome.choices)

    unscoped_because = "which inbound texts were handled (the gateway's id and the outcome): no text, no number"

    class Meta:
        verbose_name = _("inbound text handled")
        constraints = [models.UniqueConstraint(fields=["backend", "provider_id"], name="messaging_inbound_once")]

    def __str__(self) -> str:
        return f"{self.backend}:{self.provider_id}"


def phone_key(number: str) -> str | None:
    """The blind index of a number as messages and the opt-out register store it."""
    return Message._meta.get_field("phone_index").get_prep_value(number)
