"""Every write in the registry: in a transaction, validated, audited."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core.models import AdminArea, Office, User
from liman.core.services import new_reference, record_create, record_update

from . import permits
from .checks import person_changed
from .choices import ConsentPurpose, DatePrecision, IdentifierType, Relationship
from .identifiers import normalise_phone, ykn_problems
from .models import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES,
    Attachment,
    Consent,
    DisabilityAssessment,
    Household,
    HouseholdMember,
    Identifier,
    LegalStatus,
    Person,
    Vulnerability,
)
from .search import refresh_search_keys


@dataclass
class IdentifierInput:
    type: str
    value: str
    issuing_country: str = ""
    valid_until: datetime.date | None = None


@dataclass
class PersonInput:
    first_name: str
    family_name: str
    sex: str
    nationality: str
    father_name: str = ""
    original_name: str = ""
    birth_date: datetime.date | None = None
    birth_date_precision: str = DatePrecision.DAY
    phone: str = ""
    languages: list[str] = field(default_factory=list)
    legal_status: str = ""
    legal_status_since: datetime.date | None = None
    identifiers: list[IdentifierInput] = field(default_factory=list)


def person_register(*, office: Office, data: PersonInput, by: User | None) -> Person:
    """Register one person with their first legal status and identifiers."""
    with transaction.atomic():
        phone = normalise_phone(data.phone) if data.phone else ""
        person = record_create(
            Person(
                office=office,
                reference=new_reference(office.code, Person),
                first_name=data.first_name.strip(),
                father_name=data.father_name.strip(),
                family_name=data.family_name.strip(),
                original_name=data.original_name.strip(),
                sex=data.sex,
                birth_date=data.birth_date,
                birth_date_precision=data.birth_date_precision,
                nationality=data.nationality.upper(),
                languages=data.languages,
                phone=phone,
                created_by=by,
            ),
            by=by,
        )
        if data.legal_status:
            legal_status_add(person=person, status=data.legal_status, started_on=data.legal_status_since, by=by)
        for identifier in data.identifiers:
            identifier_add(person=person, data=identifier, by=by)
        refresh_search_keys(person)
    return person


def person_update(*, person: Person, changes: dict, by: User, reason: str = "") -> Person:
    if changes.get("phone"):
        changes = {**changes, "phone": normalise_phone(changes["phone"])}
    with transaction.atomic():
        person = record_update(person, by=by, changes=changes, reason=reason)
        refresh_search_keys(person)
        # Later apps (duplicate detection) hear of the change: see `checks.on_person_changed`.
        person_changed(person=person, by=by)
    return person


def identifier_add(*, person: Person, data: IdentifierInput, by: User | None) -> Identifier:
    value = data.value.strip()
    warning = ""
    if data.type == IdentifierType.FOREIGNER_ID:
        errors, warnings = ykn_problems(value)
        if errors:
            raise ValidationError({"value": errors})
        warning = " ".join(warnings)
    return record_create(
        Identifier(
            person=person,
            type=data.type,
            value=value,
            issuing_country=data.issuing_country.upper(),
            valid_until=data.valid_until,
            warning=warning,
        ),
        by=by,
    )


def legal_status_add(
    *,
    person: Person,
    status: str,
    started_on: datetime.date | None,
    by: User | None,
    note: str = "",
    ended_on: datetime.date | None = None,
) -> LegalStatus:
    """A new status ends the current one the day before it starts.

    A residence permit for victims of trafficking (or its extension) runs at most 6 months, and consecutive ones
    at most 3 years in total (`permits`): a period past either is refused, saying until when it may run.
    """
    with transaction.atomic():
        start = started_on or timezone.localdate()
        day_before = start - datetime.timedelta(days=1)
        for current in person.legal_statuses.filter(ended_on__isnull=True):
            # Never end a status before it started: a status that began the same day ends that day.
            end = max(day_before, current.started_on) if current.started_on else day_before
            record_update(current, by=by, changes={"ended_on": end}, reason="superseded by a new status")
        if status == permits.VICTIM_PERMIT:
            _refuse_victim_permit_past_the_total(person, permits.Period(start, ended_on))
        return record_create(
            LegalStatus(person=person, status=status, started_on=started_on, ended_on=ended_on, note=note), by=by
        )


def _refuse_victim_permit_past_the_total(person: Person, new: permits.Period) -> None:
    earlier = [
        permits.Period(started, ended)
        for started, ended in person.legal_statuses.filter(
            status=permits.VICTIM_PERMIT, started_on__isnull=False
        ).values_list("started_on", "ended_on")
    ]
    problem = permits.total_problem(earlier, new)
    if problem:
        raise ValidationError({"ended_on" if new.ended_on else "started_on": problem})


def household_create(*, office: Office, head: Person, by: User | None, district=None, address: str = "") -> Household:
    with transaction.atomic():
        household = record_create(
            Household(
                office=office,
                reference=new_reference(f"{office.code}-H", Household),
                district=district,
                address=address,
            ),
            by=by,
        )
        household_add_member(household=household, person=head, relationship=Relationship.HEAD, by=by)
    return household


def household_place(*, household: Household, district: AdminArea | None, address: str, by: User) -> Household:
    """Record where a household lives: its district (an ilçe: what the map counts it by) and its address. The
    address is encrypted, so the audit event says only that it changed."""
    if district is not None and district.level != AdminArea.Level.DISTRICT:
        raise ValidationError({"district": _("A household lives in a district, not a whole province.")})
    changes = {"district": district, "address": address.strip()}
    changes = {name: value for name, value in changes.items() if getattr(household, name) != value}
    if not changes:
        return household
    return record_update(household, by=by, changes=changes, reason="household placed")


def household_add_member(*, household: Household, person: Person, relationship: str, by: User | None):
    """Add a person to a household; a household has exactly one head."""
    with transaction.atomic():
        if HouseholdMember.objects.filter(person=person).exists():
            raise ValidationError(
                {"person": _("%(name)s already belongs to a household.") % {"name": person.full_name}}
            )
        if relationship == Relationship.HEAD:
            if household.members.filter(relationship=Relationship.HEAD).exists():
                raise ValidationError({"relationship": _("This household already has a head.")})
        member = record_create(HouseholdMember(household=household, person=person, relationship=relationship), by=by)
        if relationship == Relationship.HEAD:
            record_update(household, by=by, changes={"head": person})
    return member


def disability_assess(*, person: Person, answers: dict[str, int], by: User | None) -> DisabilityAssessment:
    return record_create(DisabilityAssessment(person=person, assessed_by=by, **answers), by=by)


def vulnerability_add(*, person: Person, type: str, by: User | None, note: str = "") -> Vulnerability:
    return record_create(Vulnerability(person=person, type=type, note=note), by=by)


def consent_record(
    *,
    person: Person,
    purpose: str,
    legal_basis: str,
    by: User | None,
    given_on: datetime.date | None = None,
    note: str = "",
) -> Consent:
    consent = Consent(person=person, purpose=purpose, legal_basis=legal_basis, taken_by=by, note=note[:300])
    if given_on:
        consent.given_on = given_on
    return record_create(consent, by=by)


def consent_withdraw(*, consent: Consent, by: User, on: datetime.date | None = None) -> Consent:
    return record_update(consent, by=by, changes={"withdrawn_on": on or timezone.localdate()}, reason="withdrawn")


def attachment_add(*, person: Person, kind: str, upload, by: User) -> Attachment:
    """Store an uploaded document; only PDF, JPEG and PNG up to 10 MB, checked by content, not by name."""
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type not in ATTACHMENT_TYPES:
        raise ValidationError({"file": _("Upload a PDF, JPEG or PNG file.")})
    if upload.size > ATTACHMENT_MAX_BYTES:
        megabytes = f"{math.ceil(upload.size * 10 / 1024 / 1024) / 10:.1f}"  # rounded up: 10.01 MB is not "10.0"
        raise ValidationError({"file": _("The file is %(size)s MB; the limit is 10 MB.") % {"size": megabytes}})
    attachment = Attachment(
        person=person,
        kind=kind,
        original_name=upload.name[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
    )
    attachment.file.save(upload.name, upload, save=False)
    return record_create(attachment, by=by)


def sniff_content_type(head: bytes) -> str:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return ""


def person_enrol(
    *,
    office: Office,
    data: PersonInput,
    legal_basis: str,
    by: User | None,
    start_household: bool = False,
    household: Household | None = None,
    relationship: str = "",
    district: AdminArea | None = None,
    address: str = "",
) -> Person:
    """Registration at the desk, all or nothing: the person, their place in a household (a new one they head,
    placed in `district` at `address`, or an existing one) and the legal basis for registering them (their consent,
    or another basis)."""
    from . import rules

    problem = rules.consent_problems(ConsentPurpose.REGISTRATION, legal_basis).get("legal_basis")
    if problem:
        raise ValidationError({"legal_basis": problem})
    with transaction.atomic():
        person = person_register(office=office, data=data, by=by)
        if start_household:
            household_create(office=office, head=person, by=by, district=district, address=address.strip())
        elif household is not None:
            if relationship == Relationship.HEAD:
                raise ValidationError({"relationship": _("A person joins a household as a member, not its head.")})
            household_add_member(household=household, person=person, relationship=relationship, by=by)
        consent_record(person=person, purpose=ConsentPurpose.REGISTRATION, legal_basis=legal_basis, by=by)
    return person


def vulnerability_end(*, vulnerability: Vulnerability, by: User, on: datetime.date | None = None) -> Vulnerability:
    """The flag no longer applies from `on` (today when not given); the record stays, for history."""
    return record_update(vulnerability, by=by, changes={"ended_on": on or timezone.localdate()}, reason="ended")


def household_member_update(*, member: HouseholdMember, relationship: str, by: User) -> HouseholdMember:
    """Change a member's relationship to the head; the head itself changes through `household_change_head`."""
    if relationship == Relationship.HEAD or member.relationship == Relationship.HEAD:
        raise ValidationError({"relationship": _("Change the head of household with “Change the head”.")})
    return record_update(member, by=by, changes={"relationship": relationship})


def household_change_head(
    *, household: Household, person: Person, former_head_relationship: str, by: User
) -> Household:
    """Make a member the head; the former head stays a member with the relationship given. Exactly one head."""
    if former_head_relationship == Relationship.HEAD or former_head_relationship not in Relationship.values:
        raise ValidationError({"former_head_relationship": _("Say how the former head is related to the new one.")})
    with transaction.atomic():
        members = list(HouseholdMember.objects.select_for_update().filter(household=household))
        new_head = next((member for member in members if member.person_id == person.pk), None)
        if new_head is None:
            raise ValidationError({"person": _("%(name)s is not a member of this household.") % {"name": person}})
        if new_head.relationship == Relationship.HEAD:
            return household
        for member in members:
            if member.relationship == Relationship.HEAD:
                record_update(member, by=by, changes={"relationship": former_head_relationship}, reason="new head")
        record_update(new_head, by=by, changes={"relationship": Relationship.HEAD}, reason="new head")
        record_update(household, by=by, changes={"head": person}, reason="new head")
        if household.members.filter(relationship=Relationship.HEAD).count() != 1:
            raise ValidationError(_("A household has exactly one head."))
    return household


# --- in bulk: the people import -------------------------------------------------------------------------------


@dataclass
class PersonEnrolment:
    """One person registered in bulk, as `person_enrol` registers one: their details, first legal status, foreigner
    ID, place in a household of the batch (`household`: a label the members share; exactly one is its head), the
    legal basis of registering them, and the consents they gave at entry for other purposes (`other_consents`:
    (purpose, legal basis) each). Registration is always one of the purposes: `consent_purpose` or one of
    `other_consents`."""

    person: PersonInput
    household: str
    relationship: str
    consent_purpose: str
    legal_basis: str
    legal_status_until: datetime.date | None = None
    foreigner_id: str = ""
    foreigner_id_warning: str = ""
    other_consents: tuple[tuple[str, str], ...] = ()

    @property
    def consents(self) -> list[tuple[str, str]]:
        """(purpose, legal basis) of each consent to record, each purpose once (the first named wins)."""
        found: dict[str, str] = {}
        for purpose, basis in ((self.consent_purpose, self.legal_basis), *self.other_consents):
            found.setdefault(purpose, basis)
        return list(found.items())


@dataclass
class PeopleEnrolled:
    """What `people_enrol_bulk` wrote: the people's keys in the order given, and the counts by kind of record."""

    person_ids: list[int]
    counts: dict[str, int]


def enrolment_problems(enrolment: PersonEnrolment, *, today: datetime.date | None = None) -> dict[str, str]:
    """Every rule one enrolment must meet (field → why): the same functions as the model's `clean()`, the form and
    `person_enrol` apply (`rules`)."""
    from . import rules

    data = enrolment.person
    problems = rules.person_problems(
        {
            "first_name": data.first_name,
            "father_name": data.father_name,
            "family_name": data.family_name,
            "original_name": data.original_name,
            "sex": data.sex,
            "nationality": data.nationality,
            "birth_date": data.birth_date,
        },
        today=today,
    )
    if data.birth_date is None:
        problems["birth_date"] = _("A value is required.")
    if data.phone:
        try:
            normalise_phone(data.phone)
        except ValueError:
            problems["phone"] = _("“%(value)s” is not a phone number.") % {"value": data.phone}
    if enrolment.foreigner_id and (errors := ykn_problems(enrolment.foreigner_id)[0]):
        problems["foreigner_id"] = " ".join(errors)
    if problem := rules.field_problem(LegalStatus, "status", data.legal_status):
        problems["legal_status"] = problem
    field_name, problem = rules.legal_status_problem(
        data.legal_status, data.legal_status_since, enrolment.legal_status_until
    )
    if problem:
        problems["legal_status_until" if field_name == "ended_on" else "legal_status_from"] = problem
    if problem := rules.field_problem(HouseholdMember, "relationship", enrolment.relationship):
        problems["relationship"] = problem
    for purpose, basis in enrolment.consents:
        for name, problem in rules.consent_problems(purpose, basis).items():
            problems.setdefault("consent_purpose" if name == "purpose" else "legal_basis", problem)
    if ConsentPurpose.REGISTRATION not in dict(enrolment.consents):
        problems.setdefault(
            "legal_basis", _("No legal basis for registering the person: registration is not among the purposes.")
        )
    return problems


def people_enrol_bulk(
    *, office: Office, enrolments: Sequence[PersonEnrolment], by: User | None, reason: str = ""
) -> PeopleEnrolled:
    """Register many people at once (an import), all or nothing: the bulk form of `person_enrol`.

    Each enrolment is checked by `enrolment_problems` (the rules every path applies) and each household of the
    batch must have exactly one head; a ValidationError lists every problem as `row N, field: why` (N counting
    from 1). The records go in with one statement per kind, and each kind gets one audit event listing the ids
    it created. The people are findable by the search when it returns.
    """
    from liman.core import audit
    from liman.core.bulk import insert_many
    from liman.core.choices import AuditAction, Sensitivity
    from liman.core.staging import new_references

    from . import search

    today = timezone.localdate()
    problems = [
        f"row {number}, {name}: {problem}"
        for number, enrolment in enumerate(enrolments, start=1)
        for name, problem in enrolment_problems(enrolment, today=today).items()
    ]
    heads: dict[str, list[int]] = {}
    for number, enrolment in enumerate(enrolments, start=1):
        heads.setdefault(enrolment.household, [])
        if enrolment.relationship == Relationship.HEAD:
            heads[enrolment.household].append(number)
    problems += [
        _("Household “%(household)s” has %(count)d heads; it must have exactly one.")
        % {"household": household, "count": len(rows)}
        for household, rows in heads.items()
        if len(rows) != 1
    ]
    if problems:
        raise ValidationError(problems)
    by_id = by.pk if by is not None else None
    now = timezone.now()
    with transaction.atomic():
        people = [
            {
                "office_id": office.pk,
                "reference": reference,
                "first_name": enrolment.person.first_name,
                "father_name": enrolment.person.father_name,
                "family_name": enrolment.person.family_name,
                "original_name": enrolment.person.original_name,
                "sex": enrolment.person.sex,
                "birth_date": enrolment.person.birth_date,
                "birth_date_precision": enrolment.person.birth_date_precision,
                "nationality": enrolment.person.nationality,
                "languages": enrolment.person.languages,
                "phone": enrolment.person.phone,
                "created_by_id": by_id,
                "created_at": now,
            }
            for enrolment, reference in zip(
                enrolments, new_references(office.code, Person, len(enrolments)), strict=True
            )
        ]
        before = _last_key(Person)
        insert_many(Person, people)
        person_ids = _ids_by_reference(Person, [person["reference"] for person in people], after=before)
        ids = [person_ids[person["reference"]] for person in people]
        identifiers = [
            {
                "person_id": person_id,
                "type": IdentifierType.FOREIGNER_ID.value,
                "value": enrolment.foreigner_id,
                "warning": enrolment.foreigner_id_warning[:200],
                "created_at": now,
            }
            for enrolment, person_id in zip(enrolments, ids, strict=True)
            if enrolment.foreigner_id
        ]
        insert_many(Identifier, identifiers)
        statuses = [
            {
                "person_id": person_id,
                "status": enrolment.person.legal_status,
                "started_on": enrolment.person.legal_status_since,
                "ended_on": enrolment.legal_status_until,
            }
            for enrolment, person_id in zip(enrolments, ids, strict=True)
        ]
        insert_many(LegalStatus, statuses)
        consents = [
            {
                "person_id": person_id,
                "purpose": purpose,
                "legal_basis": legal_basis,
                "given_on": today,
                "taken_by_id": by_id,
            }
            for enrolment, person_id in zip(enrolments, ids, strict=True)
            for purpose, legal_basis in enrolment.consents
        ]
        insert_many(Consent, consents)
        head_of = {
            enrolment.household: person_id
            for enrolment, person_id in zip(enrolments, ids, strict=True)
            if enrolment.relationship == Relationship.HEAD
        }
        households = [
            {"office_id": office.pk, "reference": reference, "head_id": head_id, "created_at": now}
            for head_id, reference in zip(
                head_of.values(), new_references(f"{office.code}-H", Household, len(head_of)), strict=True
            )
        ]
        before = _last_key(Household)
        insert_many(Household, households)
        household_ids = _ids_by_reference(Household, [household["reference"] for household in households], after=before)
        household_of = {
            label: household_ids[household["reference"]] for label, household in zip(head_of, households, strict=True)
        }
        insert_many(
            HouseholdMember,
            [
                {
                    "household_id": household_of[enrolment.household],
                    "person_id": person_id,
                    "relationship": enrolment.relationship,
                    "joined_on": today,
                }
                for enrolment, person_id in zip(enrolments, ids, strict=True)
            ],
        )
        # One event per kind of record, listing what was created (audit.record's chain, written once per kind).
        for model, created in (
            (Person, ids),
            (Household, list(household_of.values())),
            (Identifier, len(identifiers)),
            (LegalStatus, len(statuses)),
            (Consent, len(consents)),
        ):
            if not created:
                continue
            audit.record(
                AuditAction.CREATE,
                actor=by,
                office=office,
                object_type=model._meta.label_lower,
                object_repr=f"{count if isinstance((count := created), int) else len(count)} "
                f"{model._meta.verbose_name_plural}",
                changes={"id": [None, created]} if isinstance(created, list) else {"count": [None, created]},
                reason=reason,
            )
        # What the search finds a person by, written now: a person must be findable as soon as the import commits.
        search.write_search_keys(
            search.KeySource(
                person_id,
                office.pk,
                Sensitivity.NORMAL.value,
                person["first_name"],
                person["father_name"],
                person["family_name"],
                person["original_name"],
                person["birth_date"],
                person["birth_date_precision"],
            )
            for person, person_id in zip(people, ids, strict=True)
        )
    return PeopleEnrolled(
        person_ids=ids,
        counts={
            "people": len(people),
            "households": len(households),
            "identifiers": len(identifiers),
            "legal_statuses": len(statuses),
            "consents": len(consents),
        },
    )


def _last_key(model) -> int:
    from django.db.models import Max

    return model._base_manager.aggregate(last=Max("pk"))["last"] or 0


def _ids_by_reference(model, references: list[str], *, after: int) -> dict[str, int]:
    """The keys of records `insert_many` has just inserted, by their unique reference. Keys only grow: each one is
    above `after`, the largest before the insert, so one range of the primary key holds them all (with any record
    someone else added meanwhile, which has another reference)."""
    wanted = set(references)
    inserted = model._base_manager.filter(pk__gt=after).values_list("reference", "pk")
    found = {reference: pk for reference, pk in inserted.iterator(chunk_size=5000) if reference in wanted}
    if len(found) != len(wanted):
        raise RuntimeError(f"{len(wanted) - len(found)} new {model.__name__} records were not found by reference.")
    return found


def family_enrol(
    *,
    office: Office,
    head: PersonInput,
    members: Sequence[tuple[PersonInput, str]],
    legal_basis: str,
    by: User | None,
    district: AdminArea | None = None,
    address: str = "",
) -> Household:
    """A family registered at the desk at once, all or nothing: the head starts a household placed in `district` at
    `address`, and each member (their details, their relationship to the head) joins it; each is registered as
    `person_enrol` registers one person, with the same legal basis."""
    with transaction.atomic():
        head_person = person_enrol(
            office=office,
            data=head,
            legal_basis=legal_basis,
            start_household=True,
            district=district,
            address=address,
            by=by,
        )
        household = Household.objects.get(members__person=head_person)
        for data, relationship in members:
            if relationship == Relationship.HEAD or relationship not in Relationship.values:
                raise ValidationError({"relationship": _("Say how each member is related to the head.")})
            person_enrol(
                office=office,
                data=data,
                legal_basis=legal_basis,
                household=household,
                relationship=relationship,
                by=by,
            )
    return household
