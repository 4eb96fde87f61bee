"""Files at rest are encrypted (liman/core/storage.py): a passport scan uploaded on the person page leaves no clear
byte in the media folder, comes back exactly through the audited download, and follows the field keys through
`liman keys rotate`; a file stored before encryption was on is still read, and sealed by the rotation."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from liman.core import crypto
from liman.core.choices import Role
from liman.core.storage import is_sealed, rotate_files
from liman.registry import services as registry
from liman.registry.models import Attachment
from tests.factories import staff

pytestmark = pytest.mark.django_db

#: What a scan would carry, in clear: it must appear nowhere in the media folder.
SCAN = b"%PDF-1.4\n% passport U 1234 567 AL-HADDAD AMIRA born 1985-03-14\n" + bytes(range(256)) * 64 + b"%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def person(istanbul):
    return registry.person_register(
        office=istanbul,
        data=registry.PersonInput(
            first_name="Amira", family_name="Haddad", sex="F", nationality="SYR", birth_date=datetime.date(1985, 3, 14)
        ),
        by=None,
    )


def every_byte(media: Path) -> bytes:
    return b"".join(path.read_bytes() for path in media.rglob("*") if path.is_file())


def test_an_uploaded_scan_is_encrypted_at_rest_and_downloads_unchanged(client, settings, media, person, istanbul):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    caseworker = staff(Role.CASEWORKER, istanbul)
    client.force_login(caseworker)
    upload = SimpleUploadedFile("passport.pdf", SCAN, content_type="application/pdf")
    response = client.post(
        reverse("registry:person-attachment-add", args=[person.reference]),
        {"kind": "identity_document", "file": upload},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    stored = every_byte(media)
    assert stored and b"U 1234 567" not in stored and b"AL-HADDAD" not in stored and SCAN[200:400] not in stored
    assert is_sealed((media / attachment.file.name).read_bytes())
    assert attachment.size == len(SCAN) == attachment.file.size

    download = client.get(reverse("registry:person-attachment-download", args=[person.reference, attachment.pk]))
    assert b"".join(download.streaming_content) == SCAN


def test_rotation_rewraps_every_file_and_the_old_key_can_go(settings, media, person):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    tests_key = crypto.field_keys()  # the person's fields are under it, and go along with the rotation
    settings.LIMAN_FIELD_KEYS = [old, *tests_key]
    crypto.forget_keys()
    attachment = registry.attachment_add(
        person=person, kind="identity_document", upload=SimpleUploadedFile("p.pdf", SCAN), by=None
    )
    spooled = default_storage.save("imports/spool/people.csv", SimpleUploadedFile("people.csv", b"name\nAmira\n"))
    before = (media / attachment.file.name).read_bytes()

    settings.LIMAN_FIELD_KEYS = [new, old, *tests_key]
    call_command("keys", "rotate")
    after = (media / attachment.file.name).read_bytes()
    assert after != before and after[-len(SCAN) - 16 :] == before[-len(SCAN) - 16 :]  # the key re-wrapped only

    settings.LIMAN_FIELD_KEYS = [new]
    crypto.forget_keys()
    assert Attachment.objects.get().file.open("rb").read() == SCAN
    assert default_storage.open(spooled).read() == b"name\nAmira\n"
    settings.LIMAN_FIELD_KEYS = [old]
    crypto.forget_keys()
    with pytest.raises(InvalidToken):
        Attachment.objects.get().file.open("rb").read()


def test_a_file_stored_before_encryption_is_read_and_then_sealed_by_rotation(media, person):
    attachment = registry.attachment_add(
        person=person, kind="identity_document", upload=SimpleUploadedFile("p.pdf", SCAN), by=None
    )
    path = media / attachment.file.name
    path.write_bytes(SCAN)  # as an installation from before kept it
    assert Attachment.objects.get().file.open("rb").read() == SCAN
    (media / "demo").mkdir()
    (media / "demo" / "provider-report.csv").write_bytes(b"reference,amount\n")  # not a record's file

    call_command("keys", "rotate")
    assert is_sealed(path.read_bytes()) and Attachment.objects.get().file.open("rb").read() == SCAN
    assert (media / "demo" / "provider-report.csv").read_bytes() == b"reference,amount\n"


def test_a_file_sealed_under_a_key_no_longer_held_is_named_and_does_not_stop_the_others(settings, media):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LIMAN_FIELD_KEYS = [first]
    crypto.forget_keys()
    lost = default_storage.save("imports/spool/old.csv", ContentFile(b"name\nHuda\n"))
    settings.LIMAN_FIELD_KEYS = [second]
    crypto.forget_keys()
    kept = default_storage.save("imports/spool/new.csv", ContentFile(b"name\nAmira\n"))

    unreadable: list[str] = []
    assert rotate_files(unreadable=unreadable) == 1
    assert unreadable == [lost]
    assert default_storage.open(kept).read() == b"name\nAmira\n"
