"""Walks every URL pattern and API route as a user of another office: nothing of the first office may leak.

New models are covered by adding an entry to `tests.factories.SCOPED_FACTORIES`; a scoped
model without one fails `test_every_scoped_model_has_a_factory`; a model that is neither
scoped nor says why (`unscoped_because`) fails `test_every_model_is_scoped_or_says_why`.
"""

from __future__ import annotations

import itertools

import pytest
from django.apps import apps
from django.test import override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from liman.cases.views import CASE_FORMS
from liman.core.access import is_scoped
from liman.core.choices import Role
from liman.core.models import Office
from liman.registry.views import CHANGE_FORMS
from tests.conftest import world_for_the_module
from tests.factories import SCOPED_FACTORIES, OfficeFactory, UserFactory, grant

PROJECT_APPS = ("liman.", "tests.")
# The Django admin is for superusers, who see everything by design; others are sent to its login.
SKIPPED_NAMESPACES = {"admin"}
#: Route parameters that no record holds (the form a page fetches when a section opens): each value the route
#: accepts, with each record that fills the route's other parameters.
ROUTE_VALUES = {
    "registry:person-change-form": {"kind": sorted(CHANGE_FORMS)},
    "cases:case-form": {"kind": sorted(CASE_FORMS)},
}


def project_models():
    return [m for m in apps.get_models() if m.__module__.startswith(PROJECT_APPS)]


def test_every_model_is_scoped_or_says_why():
    unexplained = [m.__name__ for m in project_models() if not is_scoped(m) and not getattr(m, "unscoped_because", "")]
    assert unexplained == []


def test_every_scoped_model_has_a_factory():
    missing = [m.__name__ for m in project_models() if is_scoped(m) and m not in SCOPED_FACTORIES]
    assert missing == []


def walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in SKIPPED_NAMESPACES:
                continue
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), f"{ns}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern):
            name = entry.name
            if name and isinstance(namespace, str) and namespace.endswith(":"):
                name = namespace + name
            params = set(entry.pattern.regex.groupindex)
            yield prefix + str(entry.pattern), name, params


def candidate_values(obj, param: str):
    if param == "format":
        return "json"
    if param in ("pk", "id"):
        return getattr(obj, "pk", None)
    return getattr(obj, param, None)


def canaries(records, marker: str = "Canary") -> set[str]:
    """Strings that only the canary office's records carry: texts with the marker, references, user names."""
    found = set()
    for record in records:
        for text in (
            str(record),
            getattr(record, "title", ""),
            getattr(record, "reason", ""),
            getattr(record, "name", ""),
        ):
            if text and marker.lower() in str(text).lower():
                found.add(str(text))
        for key in (getattr(record, "reference", ""), getattr(record, "username", "")):
            if key:
                found.add(str(key))
    return found


def assert_no_canary(response, marks: set[str], url: str):
    # The page may echo its own address (the language switch returns there): that is not a leak.
    body = response.content.decode("utf-8", "replace").replace(url, "")
    leaked = [mark for mark in marks if mark in body]
    assert not leaked, f"{url} shows {leaked} to a user of another office"


@pytest.fixture(scope="module")
def _two_worlds(django_db_setup, django_db_blocker):
    """Office CNY full of records (one of every scoped model); office OTH with a user holding every role. Built once
    for the module (see `world_for_the_module`)."""
    with world_for_the_module(django_db_blocker):
        canary_office = OfficeFactory(code="CNY", name="Canary Office Kuşadası")
        records = []
        for build in dict.fromkeys(SCOPED_FACTORIES.values()):
            records += build(canary_office, "Canary")
        other_office = OfficeFactory(code="OTH", name="Other Office")
        outsider = UserFactory(username="outsider")
        for role in Role.values:
            grant(outsider, role, other_office)
        yield canary_office, records, outsider


@pytest.fixture
def two_worlds(_two_worlds, db):
    return _two_worlds


def walk_as_outsider(client, records, outsider) -> int:
    """GET every route as `outsider`; fails on any status or body that reveals `records`. Returns routes checked."""
    marks = canaries(records)
    client.force_login(outsider)
    checked = 0
    for url, has_record in urls_to_walk(records):
        response = client.get(url)
        if has_record:
            assert response.status_code in (404, 405), f"{url} answered {response.status_code} to an outsider"
        else:
            assert response.status_code in (200, 302, 404, 405), f"{url}: {response.status_code}"
        assert_no_canary(response, marks, url)
        checked += 1
    return checked


def urls_to_walk(records) -> list[tuple[str, bool]]:
    """Every route in order: once as it is when it takes no record, else once for each distinct set of parameters
    that some record fills (many records share a primary key value: each address is asked once). With each URL,
    whether it names a record."""
    urls: dict[str, bool] = {}
    for _route, name, params in walk(get_resolver().url_patterns):
        if not name:
            continue
        if not params - {"format"}:
            urls.setdefault(reverse(name, kwargs={"format": "json"} if params else None), False)
            continue
        given = ROUTE_VALUES.get(name, {})
        for record in records:
            kwargs = {param: candidate_values(record, param) for param in params - set(given)}
            if any(value is None for value in kwargs.values()):
                continue
            for values in itertools.product(*given.values()):
                try:
                    urls.setdefault(reverse(name, kwargs={**kwargs, **dict(zip(given, values, strict=True))}), True)
                except NoReverseMatch:
                    continue  # the value does not fit this route's converter
    return list(urls.items())


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_no_route_shows_another_offices_records(client, two_worlds):
    _, records, outsider = two_worlds
    assert walk_as_outsider(client, records, outsider) > 20, "the walk reached too few routes to mean anything"


def leaky_detail(request, pk):
    from django.http import HttpResponse
    from django.shortcuts import get_object_or_404

    from tests.vault.models import Secret

    return HttpResponse(get_object_or_404(Secret, pk=pk).title)


def test_the_walk_catches_an_unscoped_view(client, two_worlds, settings):
    """The walk must be able to fail: a detail view that forgets visible_to() is caught."""
    from django.urls import path

    import tests.urls

    class LeakyUrls:
        # First, so that the walk meets it before the rest (it fails there; nothing after it needs walking).
        urlpatterns = [path("leaky/<int:pk>/", leaky_detail, name="leaky"), *tests.urls.urlpatterns]

    settings.ROOT_URLCONF = LeakyUrls
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    _, records, outsider = two_worlds
    with pytest.raises(AssertionError, match="leaky"):
        walk_as_outsider(client, records, outsider)


def test_the_other_office_answers_404_on_its_detail_page(client, two_worlds):
    _, _, outsider = two_worlds
    client.force_login(outsider)
    with override_settings(LIMAN_SECOND_FACTOR_ROLES=[]):
        assert client.get(reverse("core:office-detail", args=["CNY"])).status_code == 404
        assert client.get(reverse("core:office-detail", args=["OTH"])).status_code == 200
        assert client.get("/api/offices/CNY/").status_code == 404
        assert client.get("/api/offices/OTH/").status_code == 200
    assert Office.objects.filter(code="CNY").exists()


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_a_partner_of_the_same_office_sees_nothing_that_was_not_referred_to_them(client, two_worlds):
    """Partners read no tier: an office's records reach them only by a referral to their organisation."""
    canary_office, records, _ = two_worlds
    partner = UserFactory(username="office-partner")
    grant(partner, Role.PARTNER, canary_office)
    # The partner knows the office they work with (their own grant names it); nothing else of it may show.
    records = [record for record in records if record != canary_office]
    assert walk_as_outsider(client, records, partner) > 20
