"""factory_boy factories. `SCOPED_FACTORIES` builds one record of every scoped model in a given office,
so the generic access walk covers every model; a scoped model without an entry fails that test."""

from __future__ import annotations

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from liman.core import audit
from liman.core.choices import OfficeType, Role
from liman.core.models import (
    AdminArea,
    AuditEvent,
    ImportBatch,
    Office,
    Programme,
    RoleGrant,
    StagedRow,
    StateChange,
    TaskProgress,
    User,
)
from liman.registry.choices import WG_DOMAINS
from liman.registry.models import (
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
from tests.vault.models import Secret


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"O{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Office {o.code}")
    type = OfficeType.FIELD
    province = factory.LazyFunction(lambda: AdminArea.objects.get(pcode="TUR034"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def grant(user: User, role: str, office: Office | None, programme: str | None = None) -> RoleGrant:
    programme_obj = Programme.objects.get(code=programme) if programme else None
    made = RoleGrant.objects.create(user=user, role=role, office=office, programme=programme_obj)
    user.__dict__.pop("_liman_grants", None)
    return made


def staff(role: str, office: Office | None, programme: str | None = None, username: str | None = None) -> User:
    user = UserFactory(username=username or f"{role}.{office.code.lower() if office else 'all'}")
    grant(user, role, office, programme)
    return user


def secret(office: Office, *, title: str, sensitivity: str = "normal", programme: str | None = None, **kwargs):
    programme_obj = Programme.objects.get(code=programme) if programme else None
    return Secret.objects.create(office=office, title=title, sensitivity=sensitivity, programme=programme_obj, **kwargs)


def _scoped_world(office: Office, marker: str) -> list:
    """One record of every scoped model, in `office`, each carrying `marker` where it has text."""
    member = staff(Role.CASEWORKER, office, username=f"{marker.lower()}-member")
    records = [
        office,
        member,
        RoleGrant.objects.get(user=member),
        TaskProgress.objects.create(name=f"{marker} task", owner=member, office=office, updated_at=timezone.now()),
        Secret.objects.create(office=office, title=f"{marker} normal secret"),
        Secret.objects.create(office=office, title=f"{marker} protection secret", sensitivity="protection"),
        Secret.objects.create(office=office, title=f"{marker} medical secret", sensitivity="medical"),
    ]
    records.append(audit.record("update", obj=records[-1], reason=f"{marker} audit reason"))
    records.append(
        StateChange.objects.create(
            office=office,
            content_type=ContentType.objects.get_for_model(Secret),
            object_id=str(records[4].pk),
            workflow="vault",
            from_state="open",
            to_state="closed",
            reason=f"{marker} closing reason",
        )
    )
    batch = ImportBatch.objects.create(office=office, kind="people", file_name=f"{marker}-people.csv")
    records += [batch, StagedRow.objects.create(batch=batch, row_number=2, data=f'{{"first_name": "{marker}"}}')]
    return records


def _registry_world(office: Office, marker: str) -> list:
    """A household of two with every kind of registry record, in `office`."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from liman.registry import services as registry
    from liman.registry.choices import IdentifierType, LegalStatusType, Relationship

    head = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=f"{marker}head",
            family_name=f"{marker}family",
            sex="M",
            nationality="SYR",
            phone="+905321112233",
            legal_status=LegalStatusType.TEMPORARY_PROTECTION,
            identifiers=[registry.IdentifierInput(IdentifierType.PASSPORT, f"{marker}PASS1")],
        ),
        by=None,
    )
    spouse = registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name=f"{marker}spouse", family_name=f"{marker}family", sex="F", nationality="SYR"
        ),
        by=None,
    )
    household = registry.household_create(office=office, head=head, by=None)
    member = registry.household_add_member(
        household=household, person=spouse, relationship=Relationship.SPOUSE, by=None
    )
    pdf = SimpleUploadedFile(f"{marker}-id.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    return [
        head,
        spouse,
        household,
        member,
        head.legal_statuses.get(),
        head.identifiers.get(),
        registry.disability_assess(person=head, answers=dict.fromkeys(WG_DOMAINS, 1), by=None),
        registry.vulnerability_add(person=spouse, type="single_parent", note=f"{marker} vulnerability note", by=None),
        registry.consent_record(person=head, purpose="registration", legal_basis="consent", by=None),
        registry.attachment_add(person=head, kind="identity_document", upload=pdf, by=None),
    ]


#: model -> how to build records of it in an office (see `_scoped_world`).
SCOPED_FACTORIES = {model: _scoped_world for model in (Office, User, RoleGrant, TaskProgress, Secret, AuditEvent)}
SCOPED_FACTORIES.update({model: _scoped_world for model in (StateChange, ImportBatch, StagedRow)})
SCOPED_FACTORIES.update(
    {
        model: _registry_world
        for model in (
            Person,
            Household,
            HouseholdMember,
            LegalStatus,
            Identifier,
            DisabilityAssessment,
            Vulnerability,
            Consent,
            Attachment,
        )
    }  # fmt: skip
)
