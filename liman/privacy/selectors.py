"""Reads of data protection: the data map (from the models themselves), schedules and holds as a user sees them."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models

from liman.core import retention
from liman.core.fields import EncryptedTextField

from .models import Breach, LegalHold, RetentionSchedule
from .permissions import FOCAL_POINT_ROLES, REQUEST_LIST_ROLES


@dataclass
class MapRow:
    label: str
    name: str
    app: str
    tier: str
    roles: str
    encrypted: list[str]
    files: list[str]
    kinds: list[retention.Kind]
    personal: bool
    note: str


def liman_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("liman.") and not model._meta.abstract and not model._meta.proxy
    ]


def _tier(model) -> str:
    scope = getattr(model, "scope", None)
    if scope is None:
        return "unscoped: " + getattr(model, "unscoped_because", "?")
    if scope.sensitivity_paths:
        return "per record (" + ", ".join(scope.sensitivity_paths) + ")"
    return "normal"


def data_map() -> list[MapRow]:
    """Every model of Liman: its tier, encrypted fields, files, retention kinds, and whether it holds personal
    data (a retention kind, or a declaration saying why it holds none, or why it is kept)."""
    rows = []
    for model in liman_models():
        label = model._meta.label_lower
        kinds = retention.kinds_of_model(label)
        scope = getattr(model, "scope", None)
        rows.append(
            MapRow(
                label=label,
                name=str(model._meta.verbose_name),
                app=str(apps.get_app_config(model._meta.app_label).verbose_name),
                tier=_tier(model),
                roles=", ".join(sorted(scope.roles)) if scope is not None and scope.roles else "",
                encrypted=[f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)],
                files=[f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)],
                kinds=kinds,
                personal=bool(kinds) or label in retention.KEPT,
                note=retention.KEPT.get(label) or retention.NO_PERSONAL_DATA.get(label, ""),
            )
        )
    return sorted(rows, key=lambda row: row.label)


def unmapped() -> list[str]:
    """Models with neither a retention kind nor a declaration (the data map test lists them)."""
    return [
        row.label
        for row in data_map()
        if not row.kinds and row.label not in retention.NO_PERSONAL_DATA and row.label not in retention.KEPT
    ]


def schedules() -> list[tuple[retention.Kind, RetentionSchedule | None]]:
    by_kind = {schedule.kind: schedule for schedule in RetentionSchedule.objects.select_related("updated_by")}
    return [(kind, by_kind.get(kind.key)) for kind in retention.kinds()]


def holds_for(user, *, current: bool = True):
    rows = LegalHold.objects.visible_to(user).select_related("office", "placed_by", "lifted_by")
    return rows.current() if current else rows


def breaches_for(user):
    return Breach.objects.visible_to(user).select_related("office", "recorded_by")


#: At most this many events in one export of reads (a period that long is split by its reader).
READS_LIMIT = 50_000


def reads_of(user, *, start, end, reference: str = "") -> list:
    """Who read what between `start` and `end` (dates, inclusive), from the audit log: every view and export, and
    with `reference`, only those of that person — their own record, every record naming them, and every list that
    returned one of those records. As `user` may read the events (outside a record's tier, values are withheld)."""
    from datetime import datetime, time

    from django.utils import timezone as tz

    from liman.core import audit
    from liman.core.choices import AuditAction
    from liman.core.models import AuditEvent

    since = tz.make_aware(datetime.combine(start, time.min))
    until = tz.make_aware(datetime.combine(end, time.max))
    events = AuditEvent.objects.visible_to(user).filter(
        at__range=(since, until), action__in=[AuditAction.VIEW, AuditAction.EXPORT]
    )
    if reference:
        targets, references = _records_of_person(reference)
        if not targets:
            return []
        chosen = []
        for event in events.order_by("seq").iterator(chunk_size=2000):
            returned = set((event.changes or {}).get("returned", []) or [])
            if (event.object_type, event.object_id) in targets or returned & references:
                chosen.append(event)
            if len(chosen) >= READS_LIMIT:
                break
        rows = chosen
    else:
        rows = list(events.order_by("seq")[:READS_LIMIT])
    return audit.present(rows, user)


def _records_of_person(reference: str) -> tuple[set[tuple[str, str]], set[str]]:
    """(record type, id) of the person and of every record with a `person` link to them, and their references."""
    from liman.registry.models import Person

    person = Person._base_manager.filter(reference=reference.strip().upper()).first()
    if person is None:
        return set(), set()
    targets = {("registry.person", str(person.pk))}
    references = {person.reference, str(person.pk)}
    for model in liman_models():
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is Person and model is not Person:
                fields = (
                    ["pk", "reference"] if any(f.name == "reference" for f in model._meta.concrete_fields) else ["pk"]
                )
                for row in model._base_manager.filter(**{model_field.name: person}).values_list(*fields):
                    targets.add((model._meta.label_lower, str(row[0])))
                    references.update(str(value) for value in row[1:] if value)
    return targets, references


def agreements_for(user, *, current_only: bool = False):
    from django.utils import timezone

    from .models import SharingAgreement

    rows = SharingAgreement.objects.visible_to(user).select_related("office", "partner", "recorded_by")
    return rows.filter(ends_on__gte=timezone.localdate()) if current_only else rows


def agreements_expiring_count(user) -> int | None:
    """Agreements the user administers that end within 30 days (the home page's "what to do next")."""
    from liman.core.access import has_role

    from .permissions import PRIVACY_ROLES
    from .sharing import expiring_soon

    if not has_role(user, PRIVACY_ROLES):
        return None
    return expiring_soon().filter(pk__in=agreements_for(user).values("pk")).count()


def subject_requests_for(user, *, overdue: bool = False, include_closed: bool = False):
    from .models import SubjectRequest

    rows = SubjectRequest.objects.visible_to(user).select_related("office", "person", "handled_by")
    if overdue:
        return rows.overdue()
    return rows if include_closed else rows.open()


def focal_point_offices(user) -> list[int] | None:
    """Offices where `user` is the data protection focal point: their ids, or None for every office."""
    from liman.core.access import active_grants

    grants = [grant for grant in active_grants(user) if grant.role in FOCAL_POINT_ROLES]
    if getattr(user, "is_superuser", False) or any(grant.office_id is None for grant in grants):
        return None
    return sorted({grant.office_id for grant in grants})


def subject_requests_listed(user, *, overdue: bool = False, include_closed: bool = False):
    """The requests the list shows `user`: those they answer (`subject_requests_for`), and for a data protection
    focal point the register of every request of their offices, whatever its tier. The register's pages show of a
    request only its reference, its person's reference, kind, dates and status (`subject_requests_opened_by` tells
    which rows the user opens): what the person asked and the answer stay with those who read protection records."""
    from django.db.models import Q

    from liman.core.access import has_role

    from .models import SubjectRequest

    condition = Q(pk__in=SubjectRequest.objects.visible_to(user).values("pk"))
    if has_role(user, FOCAL_POINT_ROLES):
        offices = focal_point_offices(user)
        condition |= Q(pk__isnull=False) if offices is None else Q(office_id__in=offices)
    rows = SubjectRequest.objects.filter(condition).select_related("office", "person")
    if overdue:
        return rows.overdue()
    return rows if include_closed else rows.open()


def subject_requests_opened_by(user, rows) -> set[int]:
    """Of `rows` (a page), the requests `user` opens: those they answer."""
    from .models import SubjectRequest

    opened = SubjectRequest.objects.visible_to(user).filter(pk__in=[row.pk for row in rows])
    return set(opened.values_list("pk", flat=True))


def subject_requests_overdue_count(user) -> int | None:
    from liman.core.access import has_role

    if not has_role(user, REQUEST_LIST_ROLES):
        return None
    return subject_requests_listed(user, overdue=True).count()
