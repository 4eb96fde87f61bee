import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from liman.core import crypto
from tests.factories import secret
from tests.vault.models import Secret

pytestmark = pytest.mark.django_db


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT note, passport, passport_index FROM vault_secret WHERE id = %s", [pk])
        return cursor.fetchone()


def test_plaintext_never_reaches_the_database_column(istanbul):
    record = secret(istanbul, title="t", note="Victim met in Edirne, brother in Athens", passport="U 1234 567")
    note, passport, index = raw_row(record.pk)
    assert "Edirne" not in note and "1234" not in passport and "1234" not in index
    assert Secret.objects.get(pk=record.pk).note == "Victim met in Edirne, brother in Athens"


def test_the_same_value_encrypts_differently_each_time(istanbul):
    first = secret(istanbul, title="a", note="same")
    second = secret(istanbul, title="b", note="same")
    assert raw_row(first.pk)[0] != raw_row(second.pk)[0]


def test_the_blind_index_finds_an_identifier_whatever_its_spacing_and_case(istanbul):
    record = secret(istanbul, title="t", passport="U 1234 567")
    assert list(Secret.objects.filter(passport_index="u1234567")) == [record]
    assert not Secret.objects.filter(passport_index="U1234568").exists()


def test_encrypted_columns_refuse_plain_lookups(istanbul):
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(Secret.objects.filter(note="x"))
    assert Secret.objects.filter(note__isnull=True).count() == 0


def test_rotation_keeps_data_readable_after_the_old_key_is_retired(istanbul, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LIMAN_FIELD_KEYS = [old]
    crypto.forget_keys()
    record = secret(istanbul, title="t", note="medical history", passport="N0987654")
    before = raw_row(record.pk)

    settings.LIMAN_FIELD_KEYS = [new, old]
    call_command("keys", "rotate")
    after = raw_row(record.pk)
    assert after[0] != before[0] and after[2] == before[2]  # re-encrypted; the blind index is unchanged

    settings.LIMAN_FIELD_KEYS = [new]
    crypto.forget_keys()
    reread = Secret.objects.get(pk=record.pk)
    assert (reread.note, reread.passport) == ("medical history", "N0987654")
    assert Secret.objects.filter(passport_index="n0987654").get() == reread

    settings.LIMAN_FIELD_KEYS = [old]
    crypto.forget_keys()
    with pytest.raises(InvalidToken):
        Secret.objects.get(pk=record.pk)


def test_rotation_is_audited(istanbul):
    from liman.core.models import AuditEvent

    secret(istanbul, title="t", note="x")
    call_command("keys", "rotate")
    assert AuditEvent.objects.filter(action="key_rotation").exists()


def test_development_keys_are_created_under_var_and_rotate_with_new_key(istanbul, settings, tmp_path):
    settings.LIMAN_FIELD_KEYS = []
    settings.LIMAN_BLIND_INDEX_KEY = ""
    settings.LIMAN_DEV_KEY_FILE = tmp_path / "field-keys.txt"
    crypto.forget_keys()
    record = secret(istanbul, title="t", note="dev data", passport="P1")
    assert settings.LIMAN_DEV_KEY_FILE.exists()
    first_keys = crypto.field_keys()

    call_command("keys", "rotate", "--new-key")
    keys = crypto.field_keys()
    assert len(keys) == 2 and keys[1] == first_keys[0]
    assert Secret.objects.get(pk=record.pk).note == "dev data"
    assert Secret.objects.filter(passport_index="p1").exists()
