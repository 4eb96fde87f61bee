"""Model fields for encrypted values and their blind indexes."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.db.models.lookups import IsNull

from . import crypto


def normalise_identifier(value: str) -> str:
    """Identifiers match whatever the spacing and case: "u 1234-567" equals "U1234567"."""
    value = value.upper()
    if value.isalnum():  # most numbers come without spaces or dashes: nothing to take out
        return value
    return "".join(ch for ch in value if ch.isalnum())


class EncryptedTextField(models.TextField):
    """Text stored encrypted (MultiFernet); the database never holds the plaintext.

    Only `isnull` lookups work on the column; exact lookups go through a `BlindIndexField`.
    """

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        return None


class BlindIndexField(models.CharField):
    """A keyed hash of another field's value, for exact lookups on encrypted data.

    `Model.objects.filter(passport_bidx="U1234567")` hashes the value given, so a lookup
    reads like a plain one and the database only ever sees hashes.
    """

    def __init__(self, *args, source: str = "", normalise: Callable[[str], str] = normalise_identifier, **kwargs):
        self.source = source
        self.normalise = normalise
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("null", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        plaintext = getattr(model_instance, self.source)
        # The instance keeps the hash; the plaintext goes on to get_prep_value, which hashes it.
        setattr(model_instance, self.attname, self.get_prep_value(plaintext))
        return plaintext

    def get_prep_value(self, value):
        if value in (None, ""):
            return None
        return crypto.blind_index(self.normalise(str(value)), purpose=f"{self.model._meta.label_lower}.{self.source}")
