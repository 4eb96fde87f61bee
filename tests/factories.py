"""factory_boy factories. `SCOPED_FACTORIES` builds one record of every scoped model in a given office,
so the generic access walk covers every model; a scoped model without an entry fails that test."""

from __future__ import annotations

import factory
from django.utils import timezone

from liman.core import audit
from liman.core.choices import OfficeType, Role
from liman.core.models import AdminArea, AuditEvent, Office, Programme, RoleGrant, TaskProgress, User
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
    return records


#: model -> how to build records of it in an office (see `_scoped_world`).
SCOPED_FACTORIES = {model: _scoped_world for model in (Office, User, RoleGrant, TaskProgress, Secret, AuditEvent)}
