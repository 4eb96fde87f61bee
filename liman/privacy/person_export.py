"""What Liman holds about one person, for their access request: `person.json` and `person.pdf` in one ZIP.

Gathered as the exporting user may read it (their scope and tiers): the person's own record, every section other
apps show on the person page (`registry.sections`: each app says what it holds by its section's context, or by a
`data(user, person)` callable when its section offers one), and every other record that names the person (a foreign
key to them) or one of their records (a note of their case), read through its model's scope. Minus what would harm
others: `HARM_RULES`, each with its reason; what they withheld is counted in the export (not described). The export
is audited: who, which person, the digest.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core.access import has_role, reading_as, record_tier, tiers_of
from liman.core.choices import Role
from liman.core.fields import BlindIndexField

from .permissions import FOCAL_POINT_ROLES, SUBJECT_REQUEST_ROLES

#: Who exports what Liman holds about a person of their office: who answers requests, and the focal point.
EXPORT_ROLES = SUBJECT_REQUEST_ROLES | FOCAL_POINT_ROLES
#: How a data protection focal point reads for an export: as a viewer of the person's office, normal tier only
#: (their role reads no case contents nor any record of protection or medical tier).
FOCAL_POINT_READS_AS = Role.VIEWER


@dataclass(frozen=True)
class HarmRule:
    key: str
    reason: str
    applies: Callable  # (record, person) -> bool


def _subject_of(record) -> int | None:
    """The person a record is about: its `person`, or its case's person; None when it names no one."""
    if hasattr(record, "person_id"):
        return record.person_id
    case = getattr(record, "case", None) if hasattr(record, "case_id") else None
    return getattr(case, "person_id", None) if case is not None else None


def _others_sensitive(record, person) -> bool:
    subject = _subject_of(record)
    return subject is not None and subject != person.pk and record_tier(record) != "normal"


def _complaint_about_them(record, person) -> bool:
    if record._meta.label_lower != "feedback.feedback":
        return False
    about_person = record.about_type_id is not None and record.about_type.model == "person"
    return about_person and str(record.about_id) == str(person.pk) and record.person_id != person.pk


def _psea_about_them(record, person) -> bool:
    return record_tier(record) == "psea" and getattr(record, "person_id", None) != person.pk


def _note_about_others(record, person) -> bool:
    if record._meta.label_lower != "cases.casenote":
        return False
    return record.case.person_id != person.pk or bool(getattr(record, "about_others", False))


#: What an access export leaves out, and why (the first rule that applies counts it): each rule is tested
#: (tests/privacy/test_subject_requests.py).
HARM_RULES = [
    HarmRule(
        "note_about_others",
        gettext_lazy("Case notes of another person's case, or marked as about others."),
        _note_about_others,
    ),
    HarmRule(
        "psea_about_them",
        gettext_lazy("PSEA items (the protected channel) not written by the person: an investigation's sources."),
        _psea_about_them,
    ),
    HarmRule(
        "complaint_about_them",
        gettext_lazy("Feedback about the person from someone else: it would name the complainant."),
        _complaint_about_them,
    ),
    HarmRule(
        "others_sensitive",
        gettext_lazy("Another person's protection, medical or PSEA record (a household member's): it is theirs."),
        _others_sensitive,
    ),
]

#: Derived rows that hold nothing a person gave (search keys): not exported.
SKIPPED = {"registry.personnamekey"}


def withheld_by(record, person) -> HarmRule | None:
    return next((rule for rule in HARM_RULES if rule.applies(record, person)), None)


def _value(field: models.Field, record):
    if isinstance(field, BlindIndexField):
        return None
    if isinstance(field, models.FileField):
        value = getattr(record, field.name)
        return bool(value)
    if field.is_relation:
        return getattr(record, field.attname)
    value = getattr(record, field.attname)
    if field.choices and value not in (None, ""):
        display = getattr(record, f"get_{field.name}_display", None)
        return str(display()) if display else value
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def record_data(record: models.Model) -> dict:
    data = {"record": record._meta.label_lower, "id": record.pk}
    for field in record._meta.concrete_fields:
        if field.primary_key or isinstance(field, BlindIndexField):
            continue
        data[str(field.verbose_name)] = _value(field, record)
    return data


def _models_in(value, depth: int = 0):
    if isinstance(value, models.Model):
        yield value
    elif isinstance(value, models.QuerySet | list | tuple | set) and depth < 2:
        for item in value:
            yield from _models_in(item, depth + 1)
    elif isinstance(value, dict) and depth < 2:
        for item in value.values():
            yield from _models_in(item, depth + 1)


def _naming_person():
    """(model, field name) of every scoped model with a foreign key to a person."""
    from liman.registry.models import Person

    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("liman.") or model is Person or getattr(model, "scope", None) is None:
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Person and model._meta.label_lower not in SKIPPED:
                found.append((model, field.name))
    return found


def _through_their_records(named: list[tuple[type[models.Model], str]]):
    """(model, lookup) of every scoped model that names the person through one of their records (a case's notes,
    assessments and follow-ups, through the case): the lookup from the model to the person."""
    from liman.registry.models import Person

    naming = {model: field_name for model, field_name in named}
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("liman.") or getattr(model, "scope", None) is None or model in naming:
            continue
        if model._meta.label_lower in SKIPPED:
            continue
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is not None and target is not Person and target in naming:
                found.append((model, f"{field.name}__{naming[target]}"))
    return found


@dataclass
class Gathered:
    person: dict
    sections: dict[str, list[dict]]
    withheld: dict[str, int]
    records: int


def gather(user, person) -> Gathered:
    """Everything `user` may read about `person`, by section, minus what `HARM_RULES` withhold."""
    from liman.registry import sections as person_sections

    seen: set[tuple[str, object]] = {("registry.person", person.pk)}
    out: dict[str, list[dict]] = {}
    withheld: dict[str, int] = {}

    def take(key: str, record: models.Model) -> None:
        label = record._meta.label_lower
        if (label, record.pk) in seen or label in SKIPPED or label.startswith("core."):
            return
        seen.add((label, record.pk))
        rule = withheld_by(record, person)
        if rule is not None:
            withheld[rule.key] = withheld.get(rule.key, 0) + 1
            return
        out.setdefault(key, []).append(record_data(record))

    for section in person_sections.PERSON_SECTIONS:
        exporter = getattr(section, "data", None)
        if exporter is not None:
            rows = exporter(user, person) or []
            out.setdefault(section.key, []).extend(rows)
            continue
        context = section.context(user, person)
        for record in _models_in(context or {}):
            take(section.key, record)
    named = _naming_person()
    for model, field_name in named:
        rows = model.objects.visible_to(user) if hasattr(model.objects, "visible_to") else model.objects.none()
        for record in rows.filter(**{field_name: person}):
            take(model._meta.app_label, record)
    for model, lookup in _through_their_records(named):
        rows = model.objects.visible_to(user) if hasattr(model.objects, "visible_to") else model.objects.none()
        for record in rows.filter(**{lookup: person}).distinct():
            # A record of theirs that names someone else (another member of their household) is that person's.
            if getattr(record, "person_id", person.pk) == person.pk:
                take(model._meta.app_label, record)
    total = sum(len(rows) for rows in out.values())
    return Gathered(person=record_data(person), sections=out, withheld=withheld, records=total)


@contextmanager
def export_reading(user, office_id: int) -> Iterator[None]:
    """How `user` reads during an export of a person of `office_id`: as themselves when they answer requests there;
    a data protection focal point of the office (who otherwise reads only the data protection pages) as a viewer of
    the office. The export says which tiers it holds."""
    answers = has_role(user, SUBJECT_REQUEST_ROLES, office=office_id)
    if answers or not has_role(user, FOCAL_POINT_ROLES, office=office_id):
        yield
        return
    with reading_as(user, role=FOCAL_POINT_READS_AS, office=office_id):
        yield


def person_for_export(user, reference: str):
    """The person of `reference` if `user` exports people of their office and reads them there, else None."""
    from liman.registry.models import Person

    found = Person.objects.filter(reference=reference.strip().upper()).only("pk", "office_id").first()
    if found is None or not has_role(user, EXPORT_ROLES, office=found.office_id):
        return None
    with export_reading(user, found.office_id):
        return Person.objects.visible_to(user).select_related("office").filter(pk=found.pk).first()


def language_of(person) -> str:
    """The person's first language Liman's templates have, else English."""
    offered = {code for code, _name in settings.LANGUAGES}
    return next((code for code in (person.languages or []) if code in offered), "en")


def _pdf(person, gathered: Gathered) -> bytes:
    from fpdf import FPDF

    from liman.core.pdf import fold, pdf_font_path

    pdf = FPDF(orientation="portrait", format="A4")
    font_path = pdf_font_path()
    if font_path:
        pdf.add_font("Export", fname=font_path)
        family, text = "Export", str
    else:
        family, text = "Helvetica", fold
    pdf.set_title(text(_("What Liman holds about %(reference)s") % {"reference": person.reference}))
    pdf.add_page()

    def write(height: float, line: str) -> None:
        pdf.multi_cell(0, height, line, new_x="LMARGIN", new_y="NEXT")

    pdf.set_font(family, size=15)
    write(9, text(_("What Liman holds about %(reference)s") % {"reference": person.reference}))
    pdf.set_font(family, size=9)
    write(5, text(_("Printed on %(date)s.") % {"date": timezone.localdate().isoformat()}))

    def block(title: str, rows: list[dict]) -> None:
        pdf.ln(3)
        pdf.set_font(family, size=12)
        write(7, text(title))
        pdf.set_font(family, size=8)
        for row in rows:
            for name, value in row.items():
                if value in (None, "", [], {}):
                    continue
                write(4, text(f"{name}: {value}")[:600])
            pdf.ln(1.5)

    block(_("Your record"), [gathered.person])
    for key, rows in gathered.sections.items():
        block(key, rows)
    if gathered.withheld:
        pdf.ln(3)
        pdf.set_font(family, size=10)
        write(6, text(_("Left out to protect others:")))
        reasons = {rule.key: str(rule.reason) for rule in HARM_RULES}
        for key, count in gathered.withheld.items():
            write(5, text(f"{count} × {reasons[key]}"))
    return bytes(pdf.output())


def export_zip(user, person, *, reason: str = "", ip_address: str = "") -> tuple[bytes, str]:
    """The ZIP (person.json, person.pdf) and its SHA-256; one audit event names who, the person and the digest."""
    from liman.core import audit
    from liman.core.choices import AuditAction

    with export_reading(user, person.office_id):
        gathered = gather(user, person)
        tiers = sorted(tiers_of(user, office=person.office_id))
    document = {
        "reference": person.reference,
        "exported_at": timezone.now().isoformat(),
        "exported_by": user.get_username(),
        "tiers": tiers,
        "person": gathered.person,
        "sections": gathered.sections,
        "withheld": {
            key: {"count": count, "reason": str(next(r.reason for r in HARM_RULES if r.key == key))}
            for key, count in gathered.withheld.items()
        },  # fmt: skip
    }
    with translation.override(language_of(person)):
        pdf = _pdf(person, gathered)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("person.json", json.dumps(document, ensure_ascii=False, indent=2, default=str))
        archive.writestr("person.pdf", pdf)
    content = buffer.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    audit.record(
        AuditAction.EXPORT, actor=user, obj=person, reason=reason or _("What Liman holds about the person"),
        changes={"export": "person", "sha256": digest, "records": str(gathered.records),
                 "withheld": {key: str(count) for key, count in gathered.withheld.items()}},
        ip_address=ip_address, sensitivity="protection",
    )  # fmt: skip
    return content, digest
