"""The OpenRosa documents and HTTP Digest arithmetic ODK Collect and KoboCollect expect (no models in here).

Form list: https://docs.getodk.org/openrosa-form-list/ · submission: https://docs.getodk.org/openrosa-form-submission/
· Digest: RFC 7616 with MD5 and qop=auth, which is what Collect's okhttp-digest speaks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import xml.etree.ElementTree as ET  # noqa: S405  (only builds documents; nothing is parsed with it)
import zlib
from dataclasses import dataclass
from urllib.request import parse_http_list, parse_keqv_list

FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"


def _document(root: ET.Element) -> bytes:
    return b"<?xml version='1.0' encoding='UTF-8'?>\n" + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


@dataclass
class FormListEntry:
    form_id: str
    name: str
    version: str
    hash: str
    download_url: str
    manifest_url: str
    description: str = ""


def form_list_document(entries: list[FormListEntry]) -> bytes:
    root = ET.Element("xforms", xmlns=FORM_LIST_NS)
    for entry in entries:
        xform = _add(root, "xform")
        _add(xform, "formID", entry.form_id)
        _add(xform, "name", entry.name)
        _add(xform, "version", entry.version)
        _add(xform, "hash", entry.hash)
        _add(xform, "descriptionText", entry.description)
        _add(xform, "downloadUrl", entry.download_url)
        _add(xform, "manifestUrl", entry.manifest_url)
    return _document(root)


@dataclass
class MediaEntry:
    filename: str
    hash: str
    download_url: str


def manifest_document(entries: list[MediaEntry]) -> bytes:
    root = ET.Element("manifest", xmlns=MANIFEST_NS)
    for entry in entries:
        media = _add(root, "mediaFile")
        _add(media, "filename", entry.filename)
        _add(media, "hash", entry.hash)
        _add(media, "downloadUrl", entry.download_url)
    return _document(root)


def response_document(message: str, *, nature: str = "") -> bytes:
    """`<OpenRosaResponse>`: Collect shows the message to the enumerator."""
    root = ET.Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    element = _add(root, "message", message)
    if nature:
        element.set("nature", nature)
    return _document(root)


# --- HTTP Digest ------------------------------------------------------------------------------------------------


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def digest_ha1(username: str, realm: str, password: str) -> str:
    return md5_hex(f"{username}:{realm}:{password}")


NONCE_MAC_LENGTH = 32
NONCE_SALT_LENGTH = 16


def make_nonce(secret: str, *, now: float | None = None) -> str:
    """A nonce that says when it was made, with a random part (two challenges in one second differ) and a MAC
    of both: the server knows its own nonces and their age without a table (the table of used nonce counts,
    against replays, is the caller's)."""
    stamp = format(int(now if now is not None else time.time()), "x")
    salt = secrets.token_hex(NONCE_SALT_LENGTH // 2)
    mac = hmac.new(secret.encode(), f"nonce:{stamp}:{salt}".encode(), hashlib.sha256).hexdigest()
    return f"{stamp}{salt}{mac[:NONCE_MAC_LENGTH]}"


def nonce_age(secret: str, nonce: str, *, now: float | None = None) -> float | None:
    """Seconds since the nonce was made; None if this server did not make it."""
    stamp = nonce[: -(NONCE_SALT_LENGTH + NONCE_MAC_LENGTH)]
    salt = nonce[-(NONCE_SALT_LENGTH + NONCE_MAC_LENGTH) : -NONCE_MAC_LENGTH]
    mac = nonce[-NONCE_MAC_LENGTH:]
    if not stamp or len(stamp) > 12:
        return None
    expected = hmac.new(secret.encode(), f"nonce:{stamp}:{salt}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected[:NONCE_MAC_LENGTH]):
        return None
    try:
        made = int(stamp, 16)
    except ValueError:
        return None
    return (now if now is not None else time.time()) - made


def nonce_count(fields: dict[str, str]) -> int | None:
    """The nonce count (nc, eight hex digits) of a Digest response with qop=auth; None when there is none."""
    if fields.get("qop") != "auth":
        return None
    count = fields.get("nc", "")
    if len(count) != 8:
        return None
    try:
        return int(count, 16)
    except ValueError:
        return None


def digest_challenge(realm: str, nonce: str, *, stale: bool = False) -> str:
    opaque = md5_hex(realm)
    challenge = f'Digest realm="{realm}", qop="auth", nonce="{nonce}", opaque="{opaque}", algorithm=MD5'
    return challenge + (", stale=true" if stale else "")


def parse_digest(header: str) -> dict[str, str]:
    """The fields of an `Authorization: Digest …` header."""
    return {key.lower(): value for key, value in parse_keqv_list(parse_http_list(header)).items()}


def digest_response(*, ha1: str, method: str, uri: str, nonce: str, nc: str = "", cnonce: str = "", qop: str = ""):
    ha2 = md5_hex(f"{method}:{uri}")
    if qop:
        return md5_hex(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return md5_hex(f"{ha1}:{nonce}:{ha2}")


def digest_matches(fields: dict[str, str], *, ha1: str, method: str) -> bool:
    expected = digest_response(
        ha1=ha1,
        method=method,
        uri=fields.get("uri", ""),
        nonce=fields.get("nonce", ""),
        nc=fields.get("nc", ""),
        cnonce=fields.get("cnonce", ""),
        qop=fields.get("qop", ""),
    )
    return hmac.compare_digest(expected, fields.get("response", ""))


def digest_authorization(
    *,
    username: str,
    password: str,
    realm: str,
    nonce: str,
    method: str,
    uri: str,
    nc: int = 1,
    cnonce: str = "0a4f113b",
) -> str:
    """The header a client sends (used by the tests and the ingest benchmark, as Collect would)."""
    count = f"{nc:08x}"
    response = digest_response(
        ha1=digest_ha1(username, realm, password),
        method=method,
        uri=uri,
        nonce=nonce,
        nc=count,
        cnonce=cnonce,
        qop="auth",
    )
    return (
        f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", algorithm=MD5, '
        f'response="{response}", opaque="{md5_hex(realm)}", qop=auth, nc={count}, cnonce="{cnonce}"'
    )


# --- ODK Collect's settings QR code -------------------------------------------------------------------------------


def collect_settings(*, server_url: str, username: str, password: str, project: str) -> dict:
    """ODK Collect's settings, as ODK Central puts them in its QR codes."""
    return {
        "general": {
            "server_url": server_url,
            "username": username,
            "password": password,
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "admin": {},
        "project": {"name": project, "icon": "L", "color": "#0b5394"},
    }


def collect_qr_payload(settings: dict) -> str:
    """JSON, zlib-compressed, then base64: what Collect's "Scan QR code" reads."""
    return base64.b64encode(zlib.compress(json.dumps(settings, separators=(",", ":")).encode())).decode()
