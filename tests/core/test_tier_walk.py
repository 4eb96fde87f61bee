"""Walks every URL pattern and API route as users of the SAME office who lack a sensitivity tier: nothing of that
tier may reach them, on any page, API answer, export or audit event.

Every scoped model's factory (`tests.factories.SCOPED_FACTORIES`) builds its records in a canary office; each
free-text field of every protection- or medical-tier record then gets a canary value of its tier, written through
the audited `record_update` (so the audit log holds it too). For each sensitive tier, one user holds every role of
the office that does not read that tier (administrators, viewers, partners …) and walks every route, with every
record's key in every parameter. A new model or route joins the walk by having a factory; a new tier-less role
joins by its `ROLE_TIERS` entry.
"""

from __future__ import annotations

import io
import json
import zipfile
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.test import override_settings

from liman.core.access import record_tier
from liman.core.choices import Role, Sensitivity
from liman.core.fields import BlindIndexField
from liman.core.models import AuditEvent, StateChange
from liman.core.roles import ROLE_TIERS
from liman.core.services import record_update
from tests.conftest import world_for_the_module
from tests.core.test_access_walk import urls_to_walk
from tests.factories import SCOPED_FACTORIES, OfficeFactory, UserFactory, grant
from tests.movements.pdf import pdf_text

#: Every tier but normal: a new tier joins the walk by being a `Sensitivity`.
SENSITIVE_TIERS = tuple(tier for tier in Sensitivity.values if tier != Sensitivity.NORMAL)
#: Fields whose value is a key or a state, not a fact: they stay as the factory made them.
KEY_FIELDS = {"reference", "sensitivity", "state", "status", "username", "password", "code", "kind", "key_id"}


def _text_fields(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not isinstance(field, BlindIndexField)
        and not field.choices
        and not field.unique
        and not field.primary_key
        and field.name not in KEY_FIELDS
        and (field.max_length is None or field.max_length >= 16)
    ]


def _holds_structured_data(value) -> bool:
    """A text column that holds JSON (a snapshot of shared fields) is data, not free text."""
    if not isinstance(value, str) or value[:1] not in ("{", "["):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def plant_canaries(records) -> dict[str, set[str]]:
    """A canary value of its tier in every free-text field of every sensitive record, each written audited."""
    planted: dict[str, set[str]] = {tier: set() for tier in SENSITIVE_TIERS}
    count = 0
    for record in records:
        if not isinstance(record, models.Model) or isinstance(record, AuditEvent | StateChange):
            continue
        tier = record_tier(record)
        if tier not in planted:
            continue
        for field in _text_fields(type(record)):
            if _holds_structured_data(getattr(record, field.name)):
                continue
            count += 1
            value = f"Tier{tier[:4].title()}{count:04d}q"
            try:
                record_update(record, by=None, changes={field.name: value}, reason=f"canary {value}")
            except (ValidationError, ValueError, TypeError):
                record.refresh_from_db()
                continue
            planted[tier].add(value)
    return planted


def _readable(response) -> str:
    """The text a response carries, whatever its format (HTML, JSON, CSV, XLSX, PDF)."""
    content = response.content if not response.streaming else b"".join(response.streaming_content)
    if content.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
        except zipfile.BadZipFile:
            pass
    if content.startswith(b"%PDF-"):
        return pdf_text(content)
    return content.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def _tiered_world(django_db_setup, django_db_blocker):
    """One of every scoped model in a canary office, canaries planted: built once for the module."""
    with world_for_the_module(django_db_blocker):
        office = OfficeFactory(code="CNY", name="Canary Office Kuşadası")
        records = []
        for build in dict.fromkeys(SCOPED_FACTORIES.values()):
            records += build(office, "Canary")
        planted = plant_canaries(records)
        yield office, records, planted


@pytest.fixture
def tiered_world(_tiered_world, db):
    return _tiered_world


def reader_without(tier: str, office) -> UserFactory:
    """One user holding, in `office`, every role that does not read `tier`."""
    user = UserFactory(username=f"without-{tier}")
    for role in Role.values:
        if tier not in ROLE_TIERS.get(role, frozenset()):
            grant(user, role, office)
    return user


def walk_without_tier(client, world, tier: str) -> int:
    office, records, planted = world
    marks = planted[tier]
    assert marks, f"no {tier}-tier record got a canary: the walk would prove nothing"
    events = list(AuditEvent.objects.filter(office=office))
    assert any(set(marks) & set(str(event.changes).split("'")) for event in events), "the audit log holds no canary"
    client.force_login(reader_without(tier, office))
    checked = 0
    # Audit events are reached by their number: they fill the `seq` of the audit routes, not every `pk` route.
    by_number = [SimpleNamespace(seq=event.seq) for event in events]
    for url, _names_a_record in urls_to_walk([*records, *by_number, *StateChange.objects.filter(office=office)]):
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        body = _readable(response).replace(url, "")
        leaked = sorted(mark for mark in marks if mark in body)
        assert not leaked, f"{url} shows {tier}-tier values {leaked[:3]} to a reader without that tier"
        checked += 1
    return checked


@pytest.mark.parametrize("tier", SENSITIVE_TIERS)
@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_no_route_shows_a_tier_to_a_reader_of_the_same_office_without_it(client, tiered_world, tier):
    assert walk_without_tier(client, tiered_world, tier) > 50, "the walk reached too few routes to mean anything"


def test_the_tier_walk_catches_an_audit_log_that_shows_values(client, tiered_world, monkeypatch, settings):
    """The walk must be able to fail: an audit log that shows every value to its administrators is caught."""
    from liman.core import audit

    settings.LIMAN_SECOND_FACTOR_ROLES = []
    monkeypatch.setattr(audit, "present", lambda events, user: list(events))
    with pytest.raises(AssertionError, match="audit"):
        walk_without_tier(client, tiered_world, "protection")
