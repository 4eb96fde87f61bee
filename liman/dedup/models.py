"""Duplicate detection: pairs of records that may be one person, the runs that find them, and each office's
thresholds for the bands (auto-link, review, distinct)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.choices import Role, TaskState

from .choices import DECISIONS, FoundBy, MatchBand, MatchStatus

#: Roles that review pairs, decide them and start runs.
REVIEW_ROLES = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})
#: Roles that see pairs at all: reviewers, and caseworkers (the possible duplicates on a person page).
PAIR_ROLES = REVIEW_ROLES | {Role.CASEWORKER}
#: Roles that set an office's thresholds.
THRESHOLD_ROLES = frozenset({Role.ADMINISTRATOR})


def default_auto_link() -> float:
    return settings.LIMAN_DEDUP_AUTO_LINK


def default_review() -> float:
    return settings.LIMAN_DEDUP_REVIEW


def check_thresholds(auto_link: float | None, review: float | None) -> None:
    """0 < review ≤ auto-link ≤ 1, said in the words of the thresholds page."""
    if auto_link is None or review is None:
        return
    errors = {}
    if not 0 < review <= 1:
        errors["review"] = _("The review threshold is a probability above 0 and at most 1.")
    if not 0 < auto_link <= 1:
        errors["auto_link"] = _("The auto-link threshold is a probability above 0 and at most 1.")
    if not errors and review > auto_link:
        errors["review"] = _("The review threshold cannot be above the auto-link threshold.")
    if errors:
        raise ValidationError(errors)


class OfficeThresholds(models.Model):
    """One office's thresholds: from which match probability a pair is reviewed, and from which it is likely
    the same person (pre-marked for the reviewer; never merged without one)."""

    office = models.OneToOneField(
        "core.Office", on_delete=models.CASCADE, related_name="dedup_thresholds", verbose_name=_("office")
    )
    auto_link = models.FloatField(_("likely the same person from"), default=default_auto_link)
    review = models.FloatField(_("review from"), default=default_review)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    scope = Scope(office="office", roles=REVIEW_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["office__code"]
        verbose_name = _("duplicate thresholds")
        verbose_name_plural = _("duplicate thresholds")

    def __str__(self) -> str:
        return f"{self.office.code}: {self.review:.2f} / {self.auto_link:.2f}"

    def clean(self):
        check_thresholds(self.auto_link, self.review)


class DedupRun(models.Model):
    """One run of the matcher over the registry of an office (or of every office), in the background."""

    office = models.ForeignKey(
        "core.Office",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("office"),
        help_text=_("Blank: every office."),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=TaskState.choices, default=TaskState.QUEUED)
    progress = models.ForeignKey(
        "core.TaskProgress", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_version = models.CharField(_("model version"), max_length=32, blank=True)
    people = models.PositiveIntegerField(_("people compared"), default=0)
    pairs_found = models.PositiveIntegerField(_("pairs found"), default=0)
    pairs_new = models.PositiveIntegerField(_("new pairs"), default=0)
    pairs_auto_link = models.PositiveIntegerField(_("likely the same person"), default=0)
    pairs_already_decided = models.PositiveIntegerField(_("already decided"), default=0)
    pairs_closed = models.PositiveIntegerField(_("no longer matching"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    scope = Scope(office="office", roles=REVIEW_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("duplicate run")

    def __str__(self) -> str:
        where = self.office.code if self.office_id else _("all offices")
        return f"{_('Duplicate run')} #{self.pk} ({where})"

    @property
    def is_finished(self) -> bool:
        return self.status in (TaskState.SUCCEEDED, TaskState.FAILED)


class MatchPairQuerySet(ScopedQuerySet):
    def involving(self, person_id: int):
        return self.filter(Q(person_l_id=person_id) | Q(person_r_id=person_id))

    def open(self):
        return self.filter(status=MatchStatus.OPEN)


class MatchPair(models.Model):
    """Two records that may be one person: how likely, what the reviewer decided, and who and when.

    `person_l` is always the record with the smaller key, so a pair exists once whichever side found it. A decision
    (same person, different people) is final: later runs never ask it again; only undoing the merge a "same
    person" decision made opens the pair again.
    """

    person_l = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("first record")
    )
    person_r = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("second record")
    )
    match_probability = models.FloatField(_("match probability"))
    band = models.CharField(_("band"), max_length=16, choices=MatchBand.choices)
    model_version = models.CharField(_("model version"), max_length=32)
    status = models.CharField(_("status"), max_length=20, choices=MatchStatus.choices, default=MatchStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    survivor = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("record kept"),
    )
    reason = models.TextField(_("reason"), blank=True)
    found_by = models.CharField(_("found by"), max_length=16, choices=FoundBy.choices, default=FoundBy.RUN)
    run = models.ForeignKey(DedupRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairs")
    created_at = models.DateTimeField(_("found at"), default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    # The pair carries the first record's office and tier; selectors add that the user must see the second one
    # too (`selectors.match_pairs_for`), so a pair is seen only by who sees both people.
    scope = Scope(office="person_l__office", sensitivity="person_l__sensitivity", roles=PAIR_ROLES)
    objects = MatchPairQuerySet.as_manager()
    #: Read by `liman.registry.merge`: a merge moves every reference to the merged record, except these.
    stays_with_alias_because = "a pair names the two records as they were compared and decided"

    class Meta:
        ordering = ["-match_probability", "id"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["person_l", "person_r"], name="dedup_matchpair_once"),
            models.CheckConstraint(condition=Q(person_l__lt=F("person_r")), name="dedup_matchpair_ordered"),
        ]
        indexes = [
            models.Index(fields=["status", "band", "match_probability"], name="dedup_pair_queue"),
            models.Index(fields=["person_r", "status"], name="dedup_pair_right"),
        ]

    def __str__(self) -> str:
        return f"{_('Possible duplicate')} #{self.pk}"

    def clean(self):
        if self.person_l_id and self.person_r_id and self.person_l_id >= self.person_r_id:
            raise ValidationError(_("A pair names two different records, the one with the smaller key first."))
        if not 0 <= self.match_probability <= 1:
            raise ValidationError({"match_probability": _("A probability is between 0 and 1.")})
        if self.status in DECISIONS and not self.decided_at:
            raise ValidationError(_("A decision says when it was taken."))
        if self.survivor_id and self.survivor_id not in (self.person_l_id, self.person_r_id):
            raise ValidationError({"survivor": _("The record kept is one of the two records of the pair.")})

    @property
    def is_open(self) -> bool:
        return self.status == MatchStatus.OPEN

    @property
    def is_decided(self) -> bool:
        return self.status in DECISIONS

    @property
    def older_record(self):
        """The record registered first: kept by default when the two records are one person."""
        return min((self.person_l, self.person_r), key=lambda person: (person.created_at, person.pk))

    @property
    def is_likely_same(self) -> bool:
        return self.band == MatchBand.AUTO_LINK

    def other(self, person_id: int):
        return self.person_r if person_id == self.person_l_id else self.person_l
