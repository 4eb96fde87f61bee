"""Which project a record belongs to, and the project's share of a measure.

A record of a taggable kind (`TAGGABLE`: distributions, cash cycles, cases, resettlement cases, activities and
trainings) is tagged when it is created with the project its office × programme defaults to (`ProjectDefault`);
a reporting officer may re-tag it (audited). A project's computed indicator counts only the records tagged with it:
`restricted(measure_key, rows, project)` narrows a measure's rows to them, in the database, through the path from
the measure's records to the tagged one (`Measure.tagged` and `tagged_path`, declared by the app with the measure).
A measure whose records are not tagged (group counts of people met at the border, complaints) counts over the
project's offices, and the pages say so.

Reporting owns all of this: the apps know nothing of projects (reporting reads them, they never read it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from liman.core.choices import ProgrammeArea


@dataclass(frozen=True)
class Taggable:
    model: str  # app_label.ModelName
    label: str
    #: The path to the record's core.Programme, or None when every record of the kind is of `area`.
    programme: str | None = "programme"
    area: str = ""
    #: A record whose very existence is protected (a counter-trafficking case): re-tagged only by someone who may
    #: see it. Others are re-tagged by a reporting officer of their office, by reference, without being read.
    protected: bool = False

    def model_class(self):
        return apps.get_model(self.model)


TAGGABLE: dict[str, Taggable] = {
    t.model: t
    for t in (
        Taggable("assistance.DistributionPlan", _("Distribution"), None, ProgrammeArea.ASSISTANCE),
        Taggable("cash.PaymentCycle", _("Cash cycle"), None, ProgrammeArea.ASSISTANCE),
        Taggable("cases.Case", _("Case"), protected=True),
        Taggable("movements.ResettlementCase", _("Resettlement case")),
        Taggable("activities.Activity", _("Activity or training")),
    )
}


def tagged_record(measure_key: str) -> tuple[str, str] | None:
    """(the tagged kind, the path from the measure's queryset to its record of that kind), as the measure declares
    it in liman.core.measures, or None when its records are not tagged (or their app is not installed)."""
    from liman.core.measures import MEASURES

    found = MEASURES.get(measure_key)
    if found is None or not found.tagged or found.tagged not in installed():
        return None
    return found.tagged, found.tagged_path


def is_tagged_measure(measure_key: str) -> bool:
    return tagged_record(measure_key) is not None


def installed() -> dict[str, Taggable]:
    found = {}
    for key, taggable in TAGGABLE.items():
        try:
            taggable.model_class()
        except LookupError:
            continue
        found[key] = taggable
    return found


def content_type_of(model_label: str):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(apps.get_model(model_label))


def restricted(measure_key: str, rows, project):
    """`rows` (a measure's, for a period) narrowed to the records tagged with `project`, or `rows` unchanged when
    the measure's records are not tagged. The record is named by an annotation of the measure's own join (an
    annotation after a filter reuses the filter's joins), so the record counted is the one the period selected."""
    from liman.core.measures import PersonRows

    from .models import ProjectTag

    record = tagged_record(measure_key)
    if record is None or not isinstance(rows, PersonRows):
        return rows
    kind, path = record
    tags = ProjectTag.objects.filter(project=project, content_type=content_type_of(kind), object_id=OuterRef("m_tag"))
    queryset = rows.queryset.annotate(m_tag=F(path)).filter(Exists(tags))
    return PersonRows(queryset, on=rows.on, office=rows.office, district=rows.district, key=rows.key)


def programme_filter(taggable: Taggable, programme) -> Q:
    """The records of `taggable`'s kind that are of `programme` (a core.Programme)."""
    if taggable.programme is None:
        return Q() if programme.code == taggable.area else Q(pk__in=[])
    return Q(**{f"{taggable.programme}": programme})


def default_project(record, taggable: Taggable):
    from .models import ProjectDefault

    defaults = ProjectDefault.objects.filter(office_id=record.office_id)
    if taggable.programme is None:
        defaults = defaults.filter(programme__code=taggable.area)
    else:
        defaults = defaults.filter(programme_id=getattr(record, f"{taggable.programme}_id"))
    return defaults.values_list("project_id", flat=True).first()


def _tag_at_creation(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    taggable = TAGGABLE.get(sender._meta.label)
    if taggable is None:
        return
    project_id = default_project(instance, taggable)
    if project_id is None:
        return
    from .services import tag_at_creation

    tag_at_creation(instance, project_id)


def _tag_created_in_bulk(sender, records=(), **kwargs):
    """Records created in bulk (liman.core.measures.records_created): each tagged as `_tag_at_creation` tags one,
    with one query per office × programme for the defaults and one insert for the tags."""
    taggable = TAGGABLE.get(sender._meta.label)
    if taggable is None or not records:
        return
    from .services import tag_many_at_creation

    defaults: dict[tuple, int | None] = {}
    tags = []
    for record in records:
        group = (record.office_id, None if taggable.programme is None else getattr(record, f"{taggable.programme}_id"))
        if group not in defaults:
            defaults[group] = default_project(record, taggable)
        if defaults[group] is not None:
            tags.append((record, defaults[group]))
    if tags:
        tag_many_at_creation(sender, tags)


def connect() -> None:
    from liman.core.measures import records_created

    for label, taggable in installed().items():
        post_save.connect(_tag_at_creation, sender=taggable.model_class(), dispatch_uid=f"reporting-tag-{label}")
    records_created.connect(_tag_created_in_bulk, dispatch_uid="reporting-tag-bulk")
