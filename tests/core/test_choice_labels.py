"""`ChoiceLabels` shows the same labels as Django's `get_FOO_display`, for every choice of every field of the models
that use it, in each language, and the stored value for a value that is not a choice."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import Model
from django.utils import translation

from liman.core.choices import ChoiceLabels

MODELS = [model for model in apps.get_models() if issubclass(model, ChoiceLabels)]


def test_the_hot_models_use_the_table():
    assert {model.__name__ for model in MODELS} >= {"Person", "LegalStatus", "HouseholdMember", "Case"}


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_labels_agree_with_django(model, language):
    fields = [field for field in model._meta.fields if field.choices]
    assert fields
    with translation.override(language):
        for field in fields:
            for value in [value for value, _label in field.flatchoices] + ["not-a-choice"]:
                record = model(**{field.attname: value})
                shown = getattr(record, f"get_{field.name}_display")()
                assert shown == Model._get_FIELD_display(record, field), (field.name, value)
                assert isinstance(shown, str) or shown == value
