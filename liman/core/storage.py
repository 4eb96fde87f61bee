"""Files at rest are encrypted: passport scans, medical documents, field-submission photos and uploaded imports.

`EncryptedFileSystemStorage` is the default storage (settings.STORAGES["default"]): every file saved through Django
(a FileField, `default_storage.save`) is written as

    b"LIMAN-FILE-1\\n" | 2-byte length | the data key wrapped with the field keys (Fernet) | 12-byte nonce | AES-GCM

with a data key of its own (envelope encryption), and read back decrypted by `open()`; the media folder holds no
clear byte of it. Pages serve files only through their scoped, audited views (there is no public media URL).
`liman keys rotate` re-wraps every file's data key under the newest field key (`rotate_files`), without touching
the content; files written before encryption was on are read as they are and encrypted by that rotation.
"""

from __future__ import annotations

import errno
import os
import struct
import tempfile
from pathlib import Path

from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

MAGIC = b"LIMAN-FILE-1\n"
NONCE_BYTES = 12
TAG_BYTES = 16


def _wrap(data_key: bytes) -> bytes:
    from . import crypto

    return crypto._multifernet().encrypt(data_key)


def _unwrap(wrapped: bytes) -> bytes:
    from . import crypto

    return crypto._multifernet().decrypt(wrapped)


def seal(plaintext: bytes) -> bytes:
    """`plaintext` as an encrypted file's bytes, under a new data key."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    wrapped = _wrap(data_key)
    return MAGIC + struct.pack(">H", len(wrapped)) + wrapped + nonce + AESGCM(data_key).encrypt(nonce, plaintext, MAGIC)


def _parts(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """(wrapped data key, nonce, ciphertext) of an encrypted file's bytes."""
    start = len(MAGIC)
    (length,) = struct.unpack(">H", raw[start : start + 2])
    wrapped = raw[start + 2 : start + 2 + length]
    nonce = raw[start + 2 + length : start + 2 + length + NONCE_BYTES]
    return wrapped, nonce, raw[start + 2 + length + NONCE_BYTES :]


def is_sealed(raw: bytes) -> bool:
    return raw.startswith(MAGIC)


def unseal(raw: bytes) -> bytes:
    """The content of a file's bytes: decrypted when sealed, as it is when written before encryption was on."""
    if not is_sealed(raw):
        return raw
    wrapped, nonce, ciphertext = _parts(raw)
    return AESGCM(_unwrap(wrapped)).decrypt(nonce, ciphertext, MAGIC)


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data`, never leaving a half-written file (a full disk fails before the rename)."""
    handle, temporary = tempfile.mkstemp(prefix=".rotating-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as target:
            target.write(data)
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class DiskFull(OSError):
    """A file could not be stored: the disk (or the quota) is full. Nothing of it was left behind."""


def _write_new(path: Path, data: bytes, permissions: int | None) -> None:
    """Create `path` holding `data`, all or nothing: written and synced under a temporary name beside it, then
    linked to its name (which fails if the name is taken, as O_EXCL would). A full disk fails before the link and
    leaves no half-written file."""
    handle, temporary = tempfile.mkstemp(prefix=".saving-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as target:
            _write_all(target, data)
            target.flush()
            os.fsync(target.fileno())
        if permissions is not None:
            os.chmod(temporary, permissions)
        os.link(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _write_all(target, data: bytes) -> None:
    target.write(data)


class EncryptedFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage whose files are sealed on save and unsealed on open (see the module's docstring)."""

    def _save(self, name, content):
        sealed = seal(b"".join(content.chunks()))
        while True:
            path = Path(self.path(name))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_new(path, sealed, self.file_permissions_mode)
            except FileExistsError:
                name = self.get_available_name(name)  # another upload took the name meanwhile
                continue
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise DiskFull(exc.errno, f"The disk is full: {name} was not stored.") from exc
                raise
            return str(name).replace("\\", "/")

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Encrypted files are written through save(), not opened for writing.")
        with super()._open(name, "rb") as stored:
            raw = stored.read()
        return ContentFile(unseal(raw), name=name)

    def size(self, name):
        path = Path(self.path(name))
        with path.open("rb") as stored:
            head = stored.read(len(MAGIC) + 2)
        if not is_sealed(head):
            return path.stat().st_size
        (length,) = struct.unpack(">H", head[len(MAGIC) :])
        return path.stat().st_size - len(MAGIC) - 2 - length - NONCE_BYTES - TAG_BYTES


def rotate_files(
    storage: FileSystemStorage | None = None, names: set[str] | None = None, unreadable: list[str] | None = None
) -> int:
    """Re-wrap every sealed file's data key under the newest field key (the content is not re-encrypted), and seal
    the clear files that `names` lists (files saved before encryption was on, as the models' file fields name
    them). Returns how many files were rewritten; files sealed under a key no longer held are left as they are and
    their names added to `unreadable`."""
    from django.core.files.storage import default_storage

    from . import crypto

    storage = storage or default_storage
    unreadable = unreadable if unreadable is not None else []
    root = Path(storage.location)
    if not root.exists():
        return 0
    fernet = crypto._multifernet()
    rewritten = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.startswith(".rotating-"):
            continue
        raw = path.read_bytes()
        if is_sealed(raw):
            wrapped, nonce, ciphertext = _parts(raw)
            try:
                rewrapped = fernet.rotate(wrapped)
            except InvalidToken:
                # Sealed under a key no longer held: it cannot be read anyway; re-wrapping it is impossible and
                # must not stop the others. The caller names it.
                unreadable.append(path.relative_to(root).as_posix())
                continue
            _write_atomically(
                path, MAGIC + struct.pack(">H", len(rewrapped)) + rewrapped + nonce + ciphertext
            )  # fmt: skip
            rewritten += 1
        elif names is not None and path.relative_to(root).as_posix() in names:
            _write_atomically(path, seal(raw))
            rewritten += 1
    return rewritten


def stored_file_names() -> set[str]:
    """The names every model's file fields hold (what the default storage keeps for records)."""
    from django.apps import apps
    from django.db import models

    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                names.update(
                    name for name in model._base_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
                )
    return names
