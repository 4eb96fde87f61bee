"""Every model of Liman says what it holds: a retention kind removes its personal data, or it is declared as
holding none (or as kept, with the reason). A new model with neither fails here."""

import pytest
from django.apps import apps
from django.db import models

from liman.core import retention
from liman.core.fields import EncryptedTextField


def liman_models():
    return [model for model in apps.get_models() if model.__module__.startswith("liman.")]


def test_every_model_has_a_retention_kind_or_is_declared():
    retention.autodiscover()
    covered = {label for kind in retention.kinds() for label in kind.covers}
    declared = set(retention.NO_PERSONAL_DATA) | set(retention.KEPT)
    missing = [model._meta.label_lower for model in liman_models() if model._meta.label_lower not in covered | declared]
    assert missing == [], f"add a retention kind (the app's retention.py) or a declaration for {missing}"


def test_no_model_is_both_purged_and_declared_without_personal_data():
    covered = {label for kind in retention.kinds() for label in kind.covers}
    assert covered & set(retention.NO_PERSONAL_DATA) == set()
    known = {model._meta.label_lower for model in liman_models()}
    assert covered - known == set(), "a kind names a model that does not exist"
    assert (set(retention.NO_PERSONAL_DATA) | set(retention.KEPT)) - known == set()


def test_a_model_with_encrypted_fields_or_files_is_never_declared_without_personal_data():
    """Encrypted text and files are there because they are personal: such a model needs a kind or a stated reason
    to keep it."""
    wrong = [
        model._meta.label_lower
        for model in liman_models()
        if model._meta.label_lower in retention.NO_PERSONAL_DATA
        and any(isinstance(f, EncryptedTextField | models.FileField) for f in model._meta.concrete_fields)
        and model._meta.label_lower != "dtm.formmedia"  # a form's own pictures and lists, the same for everyone
    ]
    assert wrong == []


def test_every_kind_offers_its_default_action_and_names_its_clock():
    for kind in retention.kinds():
        assert kind.default_action in kind.actions, kind.key
        assert str(kind.clock) and str(kind.label) and str(kind.keeps), kind.key


@pytest.mark.django_db
def test_a_new_model_without_a_kind_or_declaration_fails(monkeypatch):
    """The check above is not vacuous: take one declaration away and the model shows as missing."""
    from liman.privacy import selectors

    monkeypatch.delitem(retention.NO_PERSONAL_DATA, "core.office")
    assert selectors.unmapped() == ["core.office"]
    parts = dict(retention.PARTS)
    monkeypatch.setitem(
        retention.PARTS, "registry.person", [p for p in parts["registry.person"] if "dedup.matchpair" not in p[0]]
    )
    assert "dedup.matchpair" in selectors.unmapped()
