"""Keys for field encryption (MultiFernet), blind indexes (HMAC-SHA256) and data keys of record sets (AES-GCM).

Keys come from `LIMAN_FIELD_KEYS` (Fernet keys, newest first) and `LIMAN_BLIND_INDEX_KEY`.
In development, when they are not set, keys are created once under var/ so that
`make run` works with nothing configured; production settings refuse to start without them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "DataKey",
    "InvalidToken",
    "blind_index",
    "decrypt",
    "encrypt",
    "field_keys",
    "forget_keys",
    "rotate_token",
]


def _dev_key_file() -> Path:
    return Path(settings.LIMAN_DEV_KEY_FILE)


def _read_dev_keys() -> list[str]:
    path = _dev_key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        blind = base64.urlsafe_b64encode(os.urandom(32)).decode()
        path.write_text(f"blind-index {blind}\n{Fernet.generate_key().decode()}\n", encoding="utf-8")
        path.chmod(0o600)
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


_NAMED_KEYS = ("blind-index ", "audit ", "payment-signing ")


def field_keys() -> list[str]:
    """Fernet keys, the one that encrypts first."""
    if settings.LIMAN_FIELD_KEYS:
        return list(settings.LIMAN_FIELD_KEYS)
    return [line for line in _read_dev_keys() if not line.startswith(_NAMED_KEYS)]


def key_fingerprint(key: bytes) -> str:
    """A short public name for a secret key (which key sealed a record), from which the key cannot be found."""
    return hashlib.sha256(b"liman-key-id\x00" + key).hexdigest()[:16]


@cache
def audit_keys() -> dict[str, bytes]:
    """The audit chain's HMAC keys by fingerprint, newest first (`LIMAN_AUDIT_KEY`, or var/ in development)."""
    keys = list(settings.LIMAN_AUDIT_KEY)
    if not keys:
        lines = _read_dev_keys()
        keys = [line.split(" ", 1)[1] for line in lines if line.startswith("audit ")]
        if not keys:
            key = base64.urlsafe_b64encode(os.urandom(32)).decode()
            _dev_key_file().write_text("\n".join([*lines, f"audit {key}"]) + "\n", encoding="utf-8")
            keys = [key]
    encoded = [key.encode() for key in keys]
    return {key_fingerprint(key): key for key in encoded}


def audit_seal(message: bytes, *, key_id: str | None = None) -> tuple[str, str]:
    """(key id, HMAC-SHA256 of `message`) under the newest audit key, or the key named by `key_id`."""
    keys = audit_keys()
    if key_id is None:
        key_id = next(iter(keys))
    key = keys.get(key_id)
    if key is None:
        raise KeyError(key_id)
    return key_id, hmac.new(key, message, hashlib.sha256).hexdigest()


@cache
def _payment_private_key():
    """The Ed25519 key payment files are signed with (`LIMAN_PAYMENT_SIGNING_KEY`: 32 bytes, base64; in development
    a key is created under var/ beside the field keys). Held outside the database: whoever can change a payment
    list in the database cannot sign a file for it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    encoded = settings.LIMAN_PAYMENT_SIGNING_KEY
    if not encoded:
        lines = _read_dev_keys()
        found = [line.split(" ", 1)[1] for line in lines if line.startswith("payment-signing ")]
        if found:
            encoded = found[0]
        else:
            encoded = base64.urlsafe_b64encode(os.urandom(32)).decode()
            _dev_key_file().write_text("\n".join([*lines, f"payment-signing {encoded}"]) + "\n", encoding="utf-8")
    return Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(encoded))


def payment_public_key_pem() -> str:
    """The public half, given to payment providers so that they can check a file came unchanged from Liman."""
    from cryptography.hazmat.primitives import serialization

    public = _payment_private_key().public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def payment_sign(data: bytes) -> str:
    """A detached Ed25519 signature of `data`, base64."""
    return base64.b64encode(_payment_private_key().sign(data)).decode()


def payment_verify(data: bytes, signature: str) -> bool:
    """Whether `signature` (base64) is Liman's signature of exactly `data`."""
    from cryptography.exceptions import InvalidSignature

    try:
        _payment_private_key().public_key().verify(base64.b64decode(signature.strip(), validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True


@cache
def _blind_key() -> bytes:
    if settings.LIMAN_BLIND_INDEX_KEY:
        return settings.LIMAN_BLIND_INDEX_KEY.encode()
    for line in _read_dev_keys():
        if line.startswith("blind-index "):
            return line.split(" ", 1)[1].encode()
    raise ImproperlyConfigured(f"{_dev_key_file()} has no blind-index key.")


def add_dev_key() -> str:
    """Put a new key first in the development key file (the old ones stay, to read old data)."""
    if settings.LIMAN_FIELD_KEYS:
        raise ImproperlyConfigured("LIMAN_FIELD_KEYS is set: put the new key first in it instead.")
    lines = _read_dev_keys()
    key = Fernet.generate_key().decode()
    named = [line for line in lines if line.startswith(_NAMED_KEYS)]
    fernet = [line for line in lines if not line.startswith(_NAMED_KEYS)]
    _dev_key_file().write_text("\n".join([*named, key, *fernet]) + "\n", encoding="utf-8")
    forget_keys()
    return key


@cache
def _multifernet() -> MultiFernet:
    keys = field_keys()
    if not keys:
        raise ImproperlyConfigured("No field encryption key is configured.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"A field encryption key is not a valid Fernet key: {exc}") from exc


def forget_keys() -> None:
    """Drop the cached keys (after rotation, or when tests change the settings)."""
    _multifernet.cache_clear()
    _blind_key.cache_clear()
    audit_keys.cache_clear()


def encrypt(plaintext: str) -> str:
    return _multifernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return _multifernet().decrypt(token.encode("ascii")).decode("utf-8")


def rotate_token(token: str) -> str:
    """The same plaintext encrypted under the newest key."""
    return _multifernet().rotate(token.encode("ascii")).decode("ascii")


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash for exact lookups; `purpose` keeps the same value apart across fields."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(_blind_key(), message, hashlib.sha256).hexdigest()


class DataKey:
    """A key of its own for the many values of one set of records (the staged rows of one import), AES-256-GCM.

    The key is kept with the set, encrypted like any field (an `EncryptedTextField`): `liman keys rotate`
    re-encrypts that one value, and dropping it makes every value of the set unreadable at once. Each value gets a
    random 96-bit nonce and is bound to `context` (which row of which set it is), so it cannot be moved to another.
    Several times faster than a Fernet token per value, which counts for an import of a hundred thousand rows.
    """

    NONCE_BYTES = 12

    def __init__(self, key: str):
        self._aead = AESGCM(base64.urlsafe_b64decode(key))

    @staticmethod
    def generate() -> str:
        """A new key, as text (store it encrypted)."""
        return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")

    def seal(self, plaintext: str | bytes, *, context: str) -> str:
        data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
        nonce = os.urandom(self.NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, data, context.encode("utf-8"))
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open_bytes(self, token: str, *, context: str) -> bytes:
        """The plaintext; InvalidTag if the token was changed, or belongs to another context or key."""
        raw = base64.urlsafe_b64decode(token)
        nonce, sealed = raw[: self.NONCE_BYTES], raw[self.NONCE_BYTES :]
        return self._aead.decrypt(nonce, sealed, context.encode("utf-8"))

    def open(self, token: str, *, context: str) -> str:
        return self.open_bytes(token, context=context).decode("utf-8")
