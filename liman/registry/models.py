"""The registry: each person once, their household, legal status, identifiers, vulnerability and consent."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.choices import ChoiceLabels, Sensitivity
from liman.core.fields import BlindIndexField, EncryptedTextField

from .choices import (
    VULNERABILITY_TIERS,
    WG_DOMAINS,
    AttachmentKind,
    ConsentPurpose,
    DatePrecision,
    IdentifierType,
    LegalBasis,
    LegalStatusType,
    Relationship,
    Sex,
    VulnerabilityType,
    WGAnswer,
)

ISO_ALPHA3 = RegexValidator(r"^[A-Z]{3}$", _("Use the three-letter ISO 3166 code, e.g. SYR."))
#: Records that hang off a person are seen by whoever sees the person.
PERSON_SCOPE = Scope(office="person__office", sensitivity="person__sensitivity")


def normalise_phone_key(value: str) -> str:
    if value[1:].isdigit() and value[:1] == "+":  # E.164, as phones are stored
        return value[1:]
    return "".join(ch for ch in value if ch.isdigit())


class PersonQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(merged_into__isnull=True)


class Person(ChoiceLabels, models.Model):
    """A person the mission serves, registered once whatever programmes serve them."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="people")
    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    first_name = models.CharField(_("first name"), max_length=100)
    father_name = models.CharField(_("father's name"), max_length=100, blank=True)
    family_name = models.CharField(_("family name"), max_length=100)
    original_name = models.CharField(
        _("name in original script"), max_length=200, blank=True, help_text=_("Arabic, Persian or Pashto script.")
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_date_precision = models.CharField(
        _("date of birth known to"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    nationality = models.CharField(_("nationality"), max_length=3, validators=[ISO_ALPHA3])
    languages = models.JSONField(_("languages"), default=list, blank=True, help_text=_("ISO 639 codes, e.g. ar, ku."))
    phone = EncryptedTextField(_("phone"), blank=True, help_text=_("E.164, e.g. +905321234567."))
    phone_index = BlindIndexField(source="phone", normalise=normalise_phone_key)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="aliases", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    scope = Scope(office="office", sensitivity="sensitivity")
    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "first_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [models.Index(fields=["office", "family_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.reference})"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.father_name, self.family_name) if part)

    def clean(self):
        from .rules import birth_date_problem, nationality_problem  # each rule defined once: rules.py

        if problem := birth_date_problem(self.birth_date):
            raise ValidationError({"birth_date": problem})
        if self.nationality and (problem := nationality_problem(self.nationality)):
            raise ValidationError({"nationality": problem})
        if self.birth_date is None and self.birth_date_precision != DatePrecision.DAY:
            raise ValidationError({"birth_date": _("Give at least the year of birth, or leave the precision exact.")})

    def age_on(self, day) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    @property
    def birth_date_display(self) -> str:
        if self.birth_date is None:
            return ""
        if self.birth_date_precision == DatePrecision.YEAR:
            return str(self.birth_date.year)
        if self.birth_date_precision == DatePrecision.MONTH:
            return self.birth_date.strftime("%Y-%m")
        return self.birth_date.isoformat()


class Household(models.Model):
    """People who live and eat together, with one head."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="households")
    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    head = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="headed_households")
    district = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, limit_choices_to={"level": 2}
    )
    address = EncryptedTextField(_("address"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name = _("household")

    def __str__(self) -> str:
        return self.reference


class HouseholdMember(ChoiceLabels, models.Model):
    """A person's place in a household: their relationship to its head."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="membership")
    relationship = models.CharField(_("relationship to head"), max_length=16, choices=Relationship.choices)
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)

    scope = PERSON_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["household", "id"]
        verbose_name = _("household member")

    def __str__(self) -> str:
        return f"{self.person} · {self.get_relationship_display()}"


class LegalStatus(ChoiceLabels, models.Model):
    """One period of a legal status in Türkiye; a status ends (leaving ends temporary protection)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="legal_statuses")
    status = models.CharField(_("legal status"), max_length=40, choices=LegalStatusType.choices)
    started_on = models.DateField(_("from"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope = PERSON_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["person", "-started_on", "-id"]
        verbose_name = _("legal status")
        verbose_name_plural = _("legal statuses")

    def __str__(self) -> str:
        return self.get_status_display()

    def clean(self):
        # The 3-year total of victim permits is the service's check (it reads the person's other periods).
        from .rules import legal_status_problem

        field, problem = legal_status_problem(self.status, self.started_on, self.ended_on)
        if problem:
            raise ValidationError({field: problem})

    @property
    def is_current(self) -> bool:
        return self.ended_on is None or self.ended_on >= timezone.localdate()


class Identifier(models.Model):
    """An identity number or document of a person, stored encrypted; found by its blind index."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    type = models.CharField(_("type"), max_length=24, choices=IdentifierType.choices)
    value = EncryptedTextField(_("number"))
    value_index = BlindIndexField(source="value")
    issuing_country = models.CharField(_("issued by"), max_length=3, blank=True, validators=[ISO_ALPHA3])
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    warning = models.CharField(_("warning"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = PERSON_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["person", "type"]
        verbose_name = _("identifier")

    def __str__(self) -> str:
        return f"{self.get_type_display()} ···{self.value[-3:]}" if self.value else self.get_type_display()


class DisabilityAssessment(models.Model):
    """Washington Group Short Set answers; disability = any domain answered 3 or 4. Raw answers are kept."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="wg_assessments")
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    seeing = models.PositiveSmallIntegerField(_("seeing, even with glasses"), choices=WGAnswer.choices)
    hearing = models.PositiveSmallIntegerField(_("hearing, even with a hearing aid"), choices=WGAnswer.choices)
    walking = models.PositiveSmallIntegerField(_("walking or climbing steps"), choices=WGAnswer.choices)
    remembering = models.PositiveSmallIntegerField(_("remembering or concentrating"), choices=WGAnswer.choices)
    self_care = models.PositiveSmallIntegerField(_("self-care"), choices=WGAnswer.choices)
    communicating = models.PositiveSmallIntegerField(_("communicating"), choices=WGAnswer.choices)
    has_disability = models.BooleanField(_("has a disability"), editable=False, default=False)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = PERSON_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["person", "-assessed_on"]
        verbose_name = _("Washington Group assessment")

    def __str__(self) -> str:
        return f"WG-SS {self.assessed_on}"

    def save(self, *args, **kwargs):
        self.has_disability = derive_disability({domain: getattr(self, domain) for domain in WG_DOMAINS})
        super().save(*args, **kwargs)


def derive_disability(answers: dict[str, int]) -> bool:
    """Washington Group cut-off: at least one domain answered "a lot of difficulty" or "cannot do at all"."""
    return any(answers.get(domain) in (WGAnswer.A_LOT_OF_DIFFICULTY, WGAnswer.CANNOT_DO) for domain in WG_DOMAINS)


class Vulnerability(models.Model):
    """A vulnerability flag other than disability (unaccompanied child, survivor of violence, …)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="vulnerabilities")
    type = models.CharField(_("vulnerability"), max_length=32, choices=VulnerabilityType.choices)
    #: Set from the type (`VULNERABILITY_TIERS`): a victim of trafficking is a protection fact, whoever the person.
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL, editable=False
    )
    noted_on = models.DateField(_("noted on"), default=timezone.localdate)
    ended_on = models.DateField(_("no longer applies from"), null=True, blank=True)
    note = EncryptedTextField(_("note"), max_length=300, blank=True)

    #: As sensitive as its own kind and as the person it belongs to.
    scope = Scope(office="person__office", sensitivity=("person__sensitivity", "sensitivity"))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["person", "type"]
        verbose_name = _("vulnerability")
        verbose_name_plural = _("vulnerabilities")

    def __str__(self) -> str:
        return self.get_type_display()

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)

    def clean(self):
        self.sensitivity = VULNERABILITY_TIERS.get(self.type, Sensitivity.NORMAL)


class Consent(models.Model):
    """A person's consent (or another legal basis) for one purpose; sharing needs a current one."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=32, choices=ConsentPurpose.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices)
    given_on = models.DateField(_("given on"), default=timezone.localdate)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope = PERSON_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["person", "-given_on"]
        verbose_name = _("consent")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.get_legal_basis_display()})"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_on is None or self.withdrawn_on > timezone.localdate()


ATTACHMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def attachment_path(instance, filename: str) -> str:
    extension = ATTACHMENT_TYPES.get(instance.content_type, "")
    return f"registry/{instance.person.office_id}/{instance.person_id}/{timezone.now():%Y%m%d%H%M%S%f}{extension}"


class Attachment(models.Model):
    """A scanned document or photo of a person (PDF, JPEG or PNG, at most 10 MB)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=24, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = PERSON_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["person", "-uploaded_at"]
        verbose_name = _("attachment")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class NameKeyKind(models.TextChoices):
    """What a search key holds (see liman.registry.names)."""

    WORD_PAIR = "w", _("two name words")
    PAIR = "p", _("skeletons of two name words")
    BIRTH = "b", _("date of birth")


class PersonNameKey(models.Model):
    """A key the person search finds a person by (a name word, its skeleton, a pair of them, a date of birth).

    Derived from the person's names and date of birth by `liman.registry.search.refresh_search_keys` on every
    registration and change; never edited by hand. It carries the person's office and sensitivity, so that a
    search narrows keys to what the user may see inside the index, without reading a million people's rows
    (a join through the person made each key lookup some 100 times slower at a million people). A service that
    moves a person to another office or changes their sensitivity calls `refresh_search_keys` (`person_update`
    does). Until it does, the search errs on the safe side: every candidate is read again through
    `Person.objects.visible_to(user)`, so a stale key can only hide a person, never show one.
    """

    # The unique constraint's index (person, kind, key) serves the per-person lookups: no separate FK index. No
    # foreign key constraints in the database either: the rows are derived, deleted with the person by the ORM,
    # and a stale one cannot show anyone (see above), while checking a person and an office for each of the
    # million keys an import writes took a third of its time.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="search_keys", db_index=False, db_constraint=False
    )
    office = models.ForeignKey(
        "core.Office", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL)
    kind = models.CharField(max_length=1, choices=NameKeyKind.choices)
    #: Compared byte by byte (on PostgreSQL the column has the "C" collation, SQLite's is binary): the keys that
    #: start with a word are one range of the index whatever the database's language.
    key = models.CharField(max_length=64)

    scope = Scope(office="office", sensitivity="sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("person search key")
        indexes = [
            models.Index(fields=["kind", "key", "office", "sensitivity", "person"], name="registry_namekey_lookup")
        ]
        constraints = [models.UniqueConstraint(fields=["person", "kind", "key"], name="registry_namekey_once")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class NameSkeleton(models.Model):
    """A name skeleton that occurs in the registry, filed under each of its one-letter deletions, so that a search
    finds the skeletons one typo away from the one typed (symmetric-delete spelling correction)."""

    deletion = models.CharField(max_length=64)
    skeleton = models.CharField(max_length=64)

    unscoped_because = (
        "holds consonant skeletons of name words (such as 'mhmt'), linked to no person and never shown: "
        "it only widens a search to the spellings one typo away"
    )

    class Meta:
        verbose_name = _("name skeleton")
        constraints = [models.UniqueConstraint(fields=["deletion", "skeleton"], name="registry_nameskeleton_once")]

    def __str__(self) -> str:
        return f"{self.deletion} → {self.skeleton}"


class PersonMergeQuerySet(ScopedQuerySet):
    def in_force(self):
        """Merges not undone."""
        return self.filter(unmerged_at__isnull=True)


class PersonMerge(models.Model):
    """One person record merged into another (a duplicate): which rows moved to the survivor, which stayed with the
    merged record (now an alias), and the alias's values at the time, so that `person_unmerge` can undo it exactly.

    Written only by `liman.registry.merge`; the alias's encrypted values are kept encrypted (`sealed_values`), never
    in the JSON columns.
    """

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("kept record"))
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges", verbose_name=_("merged record"))
    reason = models.TextField(_("reason"), blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now, editable=False)
    #: The merged record's own values at the merge (encrypted fields and their blind indexes left out).
    person_values = models.JSONField(default=dict, blank=True, editable=False)
    #: The merged record's encrypted values at the merge, as JSON, stored encrypted (and rotated with the keys).
    sealed_values = EncryptedTextField(blank=True, editable=False)
    #: Each reference moved to the survivor: {"model", "pk", "field", "old", "new"} (field is the column's attname).
    moved = models.JSONField(default=list, blank=True, editable=False)
    #: Each reference left on the merged record, and why: {"model", "pk", "field", "why"}.
    kept = models.JSONField(default=list, blank=True, editable=False)
    #: The survivor's values the merge changed, {field: [before, after]} (its sensitivity tier, raised to the
    #: stricter of the two so that nothing moved becomes visible to someone who could not see it).
    survivor_changes = models.JSONField(default=dict, blank=True, editable=False)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unmerged_at = models.DateTimeField(_("undone at"), null=True, blank=True, editable=False)

    scope = Scope(office="merged__office", sensitivity="merged__sensitivity")
    objects = PersonMergeQuerySet.as_manager()

    class Meta:
        ordering = ["-merged_at", "-id"]
        verbose_name = _("person merge")
        verbose_name_plural = _("person merges")
        constraints = [
            models.UniqueConstraint(
                fields=["merged"], condition=models.Q(unmerged_at__isnull=True), name="registry_personmerge_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merged.reference} → {self.survivor.reference}"

    @property
    def is_in_force(self) -> bool:
        return self.unmerged_at is None
