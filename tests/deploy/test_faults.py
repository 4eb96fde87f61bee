"""Faults a production installation meets, answered cleanly: a full disk while a file is stored (507, nothing
stored, no half-written file), the database unreachable (503 with Retry-After, not a 500)."""

import errno
import struct
import zlib
from pathlib import Path

import pytest
from django.db import OperationalError, connections
from django.test import Client
from django.urls import reverse

from liman.core import storage
from liman.core.choices import Role
from liman.registry import services as registry
from liman.registry.models import Attachment
from tests.factories import staff

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))


@pytest.fixture
def full_disk(monkeypatch):
    """The disk fills up half-way through writing a file."""

    def write_half_then_fail(target, data: bytes) -> None:
        target.write(data[: len(data) // 2])
        target.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "_write_all", write_half_then_fail)


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_a_full_disk_while_attaching_a_document_stores_nothing_and_says_so(settings, istanbul, full_disk, tmp_path):
    settings.ROOT_URLCONF = "liman.urls"  # the project's error handlers
    settings.MEDIA_ROOT = str(tmp_path)
    person = registry.person_register(
        office=istanbul,
        data=registry.PersonInput(first_name="Omar", family_name="Haddad", sex="M", nationality="SYR"),
        by=None,
    )
    client = Client(raise_request_exception=False)
    client.force_login(staff(Role.CASEWORKER, istanbul))
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("passport.png", png_bytes(), content_type="image/png")
    response = client.post(
        reverse("registry:person-attachment-add", args=[person.reference]), {"kind": "photo", "file": upload}
    )
    assert response.status_code == 507
    assert (
        "disk is full" in response.content.decode() and "nothing of this request was saved" in response.content.decode()
    )
    assert not Attachment.objects.exists()
    assert files_under(tmp_path) == []  # neither the file nor a half of it


def test_a_file_is_stored_whole_under_a_free_name(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    target = storage.EncryptedFileSystemStorage(location=tmp_path)
    from django.core.files.base import ContentFile

    first = target.save("scans/a.png", ContentFile(b"first"))
    second = target.save("scans/a.png", ContentFile(b"second"))
    assert first == "scans/a.png" and second != first and second.startswith("scans/a")
    assert target.open(first).read() == b"first" and target.open(second).read() == b"second"
    assert sorted(path.name for path in files_under(tmp_path)) == sorted(Path(name).name for name in (first, second))


def test_a_full_disk_raises_disk_full_and_leaves_nothing(settings, tmp_path, full_disk):
    target = storage.EncryptedFileSystemStorage(location=tmp_path)
    from django.core.files.base import ContentFile

    with pytest.raises(storage.DiskFull, match="disk is full"):
        target.save("scans/b.png", ContentFile(b"x" * 10_000))
    assert files_under(tmp_path) == []


def test_the_database_unreachable_is_a_503_with_retry_after(settings, monkeypatch):
    settings.ROOT_URLCONF = "liman.urls"

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connections["default"], "cursor", unreachable)
    response = Client(raise_request_exception=False).get("/health")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "cannot be reached" in response.content.decode()


def test_other_errors_stay_500(rf):
    from liman.core.unavailable import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
