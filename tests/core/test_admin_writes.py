"""The Django admin writes nothing without an audit event: a walk over every model the project registers.

As a superuser, the walk posts the add form, the change form, the delete confirmation and the "delete selected"
action of each registered model. A post that changes any table of the project's models without adding an
audit event is a violation. The last test shows the walk catches an admin that writes.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import include, path, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from liman.cases import services as cases_services
from liman.core.choices import Role
from liman.core.models import AuditEvent, Office
from liman.core.services import api_token_issue
from tests.factories import UserFactory, staff

pytestmark = pytest.mark.django_db

PROJECT = "liman."


def project_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if model.__module__.startswith(PROJECT)]


def _snapshot() -> dict[str, list]:
    """Every row of every project table except the audit log itself."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in project_models()
        if model is not AuditEvent
    }


def _form_data(model_admin, user, obj, suffix: str) -> dict:
    """What the admin's form for `obj` holds, with every text changed, as a browser would post it."""
    request = RequestFactory().get("/")
    request.user = user
    form = model_admin.get_form(request, obj, change=True)(instance=obj)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, (list, tuple)):
            data[name] = [str(item) for item in value]
        elif isinstance(value, str) and name not in ("password",) and not getattr(field, "choices", None):
            data[name] = (value + suffix)[: getattr(field, "max_length", None) or None]
        else:
            data[name] = str(value)
    return data


def admin_writes_without_audit(client, user, site: admin.AdminSite) -> list[str]:
    """Each (model, operation) of `site` whose post changed the project's tables and wrote no audit event."""
    violations = []
    for model, model_admin in site._registry.items():
        if not model.__module__.startswith(PROJECT):
            continue
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"The admin walk needs one {model.__name__}: create one in the fixture."
        opts = model._meta
        name = f"{site.name}:{opts.app_label}_{opts.model_name}"
        attempts = {
            "add": (reverse(f"{name}_add"), _form_data(model_admin, user, obj, "Z")),
            "change": (reverse(f"{name}_change", args=[obj.pk]), _form_data(model_admin, user, obj, "Y")),
            "delete": (reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"}),
            "delete selected": (
                reverse(f"{name}_changelist"),
                {"action": "delete_selected", "_selected_action": [str(obj.pk)], "post": "yes"},
            ),
        }
        for operation, (url, data) in attempts.items():
            before, events = _snapshot(), AuditEvent.objects.count()
            response = client.post(url, data)
            assert response.status_code < 500, f"{model.__name__} {operation}: {response.status_code}"
            if _snapshot() != before and AuditEvent.objects.count() == events:
                violations.append(f"{model.__name__}: {operation}")
    return violations


@pytest.fixture
def superuser_client(client, istanbul):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    # One record of every model the admin shows, made through the services where one exists.
    member = staff(Role.CASEWORKER, istanbul, username="member.ist")
    api_token_issue(user=member, by=member)
    partner = staff(Role.PARTNER, istanbul, username="partner.ist")
    organisation = cases_services.partner_organisation_create(name="Legal Aid", kind="ngo", by=user)
    cases_services.partner_member_add(organisation=organisation, user=partner, by=user)
    client.force_login(user)
    # A superuser confirms a second factor like any administrator: sign the session in with a TOTP device.
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(reverse("admin:index")).status_code == 200
    return client, user


def test_every_registered_admin_model_is_walked():
    registered = [model for model in admin.site._registry if model.__module__.startswith(PROJECT)]
    assert len(registered) >= 7


def test_the_admin_writes_nothing_without_an_audit_event(superuser_client):
    client, user = superuser_client

    assert admin_writes_without_audit(client, user, admin.site) == []


def test_the_admin_still_shows_records(superuser_client, istanbul):
    client, _user = superuser_client

    response = client.get(reverse("admin:core_office_change", args=[istanbul.pk]))

    assert response.status_code == 200 and istanbul.name in response.content.decode()


# A deliberately writable admin, on a site of its own, to show the walk fails on it.
writable_site = admin.AdminSite(name="writable-admin")
writable_site.register(Office, admin.ModelAdmin)
urlpatterns = [path("writable-admin/", writable_site.urls), path("", include("liman.urls"))]


@pytest.mark.urls(__name__)
def test_the_walk_catches_an_admin_that_writes_without_an_audit_event(superuser_client):
    client, user = superuser_client

    violations = admin_writes_without_audit(client, user, writable_site)

    assert "Office: add" in violations and "Office: change" in violations
