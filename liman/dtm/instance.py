"""Reading an XForm instance as ODK Collect or KoboCollect sends it (nothing of Django but its translations).

The XML is parsed with defusedxml: a DTD, an entity or an external reference stops the parser where
it is declared, before anything of the document is read. Namespaces are dropped (Collect writes the
meta block with or without the `orx:` prefix), repeats become lists, empty answers `None`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.utils.translation import gettext as _


class InstanceError(Exception):
    """An instance that cannot be accepted, with a message for the enumerator's phone."""


@dataclass
class ParsedInstance:
    form_id: str
    version: str
    instance_id: str
    deprecated_id: str
    root: object  # the parsed root element; turned into answers once the form's repeats are known

    def answers(self, repeat_paths: set[str] | frozenset[str] = frozenset()) -> dict:
        return element_to_dict(self.root, repeat_paths)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_instance(xml: bytes) -> ParsedInstance:
    """The form, version and instance IDs of a submission; raises `InstanceError` on unsafe or broken XML."""
    try:
        root = SafeElementTree.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InstanceError(_("Refused: the XML declares a DTD, an entity or an external reference.")) from exc
    except SafeElementTree.ParseError as exc:
        raise InstanceError(_("The submission is not well-formed XML (%(error)s).") % {"error": exc}) from exc
    form_id = root.get("id") or ""
    if not form_id:
        raise InstanceError(_("The submission's root element has no form id attribute."))
    meta = next((child for child in root if _local(child.tag) == "meta"), None)
    fields = {_local(child.tag): (child.text or "").strip() for child in meta} if meta is not None else {}
    instance_id = fields.get("instanceID", "")
    if not instance_id:
        raise InstanceError(_("The submission has no meta/instanceID."))
    if len(instance_id) > 100:
        raise InstanceError(_("The submission's meta/instanceID is longer than 100 characters."))
    return ParsedInstance(
        form_id=form_id,
        version=root.get("version") or "",
        instance_id=instance_id,
        deprecated_id=fields.get("deprecatedID", ""),
        root=root,
    )


def element_to_dict(element, repeat_paths=frozenset(), path: str = "") -> dict:
    """Children of `element` as a dict: groups nest, repeats (and any element sent twice) become lists."""
    result: dict = {}
    for child in element:
        name = _local(child.tag)
        child_path = f"{path}/{name}" if path else name
        value = element_to_dict(child, repeat_paths, child_path) if len(child) else ((child.text or "").strip() or None)
        if child_path in repeat_paths:
            result.setdefault(name, []).append(value if isinstance(value, dict) else {})
        elif name in result:
            if not isinstance(result[name], list):
                result[name] = [result[name]]
            result[name].append(value)
        else:
            result[name] = value
    return result


def get_path(answers: dict, path: str):
    """The answer at `site/site_name`; None if any step is missing or is a repeat."""
    node = answers
    for step in path.split("/"):
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


# --- answer types, as ODK writes them ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float
    altitude: float | None = None
    accuracy: float | None = None


def parse_geopoint(text: str) -> GeoPoint:
    """`lat lon alt acc` (ODK's geopoint; altitude and accuracy may be missing)."""
    parts = str(text).split()
    if len(parts) < 2 or len(parts) > 4:
        raise ValueError(
            _("%(text)s is not a geopoint (expected 'latitude longitude altitude accuracy')") % {"text": repr(text)}
        )
    try:
        numbers = [float(part) for part in parts]
    except ValueError as exc:
        raise ValueError(_("%(text)s is not a geopoint (expected numbers)") % {"text": repr(text)}) from exc
    latitude, longitude = numbers[0], numbers[1]
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise ValueError(
            _("%(text)s is outside the globe (latitude −90…90, longitude −180…180)") % {"text": repr(text)}
        )
    return GeoPoint(latitude, longitude, *(numbers[2:] + [None, None])[:2])


def parse_select_multiple(text) -> list[str]:
    """`"wash food shelter"` -> `["wash", "food", "shelter"]` (Kobo's JSON may already give a list)."""
    if text is None:
        return []
    if isinstance(text, list):
        return [str(item) for item in text]
    return str(text).split()


def parse_int(text) -> int:
    value = str(text).strip()
    if re.fullmatch(r"[+-]?\d+(\.0+)?", value) is None:
        raise ValueError(_("%(text)s is not a whole number") % {"text": repr(text)})
    return int(float(value))


def parse_datetime(text) -> datetime.datetime:
    """An ODK dateTime `2026-11-14T21:40:00.000+03:00` (naive when the phone sent no offset); a date alone is its
    midnight."""
    value = str(text).strip()
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            _("%(text)s is not a date and time (expected YYYY-MM-DDTHH:MM:SS+03:00)") % {"text": repr(text)}
        ) from exc


def parse_date(text) -> datetime.date:
    """`2023-02-14` or an ODK dateTime `2023-02-14T09:30:00.000+03:00` (its date)."""
    value = str(text).strip()
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise ValueError(_("%(text)s is not a date (expected YYYY-MM-DD)") % {"text": repr(text)}) from exc
