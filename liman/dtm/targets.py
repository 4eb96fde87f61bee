"""What a form's submissions can become, the fields each target needs, and reading them out of the answers.

A form is bound to one target with a mapping {target field: question path}; `extract` turns one
submission's answers into typed values, or a list of problems that say which field, which question
and which rule. Writing the records is the services' job. No database access in here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pycountry
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.assistance import choices as incident_choices

from .choices import (
    AgeGroup,
    FigureSource,
    FlowDirection,
    FormTarget,
    PopulationGroup,
    Sector,
    Severity,
    Sex,
    SiteStatus,
    SiteType,
)
from .instance import get_path, parse_date, parse_datetime, parse_geopoint, parse_int, parse_select_multiple


@dataclass(frozen=True)
class TargetField:
    key: str
    label: str
    kind: str  # text, int, date, datetime, geopoint, choice, multi, area, nationality, repeat
    required: bool = False
    choices: type | None = None
    #: The repeat this field is read from, per entry (its key), if any.
    repeat: str = ""
    #: Question names that are suggested for this field when a form is bound.
    aliases: tuple[str, ...] = ()


def _sex_age_fields() -> list[TargetField]:
    labels = {"f": gettext_lazy("Females"), "m": gettext_lazy("Males")}
    return [
        TargetField(f"{sex}_{age}", f"{labels[sex]} {AgeGroup(age).label}", "int")
        for sex in ("f", "m")
        for age in AgeGroup.values
    ]


def _incident_fields() -> list[TargetField]:
    """What `liman.assistance.services.incident_record` takes, question by question (the shipped form
    `liman_border_incident` names its questions so that `suggest_mapping` binds every one of them)."""
    counts = [
        ("unaccompanied_children", gettext_lazy("Unaccompanied children")),
        ("pregnant_women", gettext_lazy("Pregnant women")),
        ("injured", gettext_lazy("Injured")),
        ("with_disability", gettext_lazy("People with a disability")),
        ("referred_to_case", gettext_lazy("Referred to a case")),
        ("referred_to_health", gettext_lazy("Referred to health")),
        ("referred_to_pmm", gettext_lazy("Referred to the PMM")),
    ]
    return [
        TargetField(
            "occurred_at",
            gettext_lazy("Date and time"),
            "datetime",
            required=True,
            aliases=("when", "datetime", "date_time"),
        ),
        TargetField("district", gettext_lazy("District (p-code or name)"), "area", required=True, aliases=("adm2",)),
        TargetField("location", gettext_lazy("Coordinates (geopoint)"), "geopoint", aliases=("gps", "geopoint")),
        TargetField("terrain", gettext_lazy("Land or sea"), "choice", required=True, choices=incident_choices.Terrain),
        TargetField(
            "authority",
            gettext_lazy("Authority present"),
            "choice",
            required=True,
            choices=incident_choices.Authority,
        ),
        TargetField(
            "how_met",
            gettext_lazy("How the group was met"),
            "choice",
            required=True,
            choices=incident_choices.HowMet,
        ),
        TargetField("people", gettext_lazy("People met (repeat)"), "repeat", aliases=("person", "group", "row")),
        TargetField(
            "people.sex",
            gettext_lazy("Sex"),
            "choice",
            required=True,
            choices=incident_choices.Sex,
            repeat="people",
        ),
        TargetField(
            "people.age_group",
            gettext_lazy("Age group"),
            "choice",
            required=True,
            choices=incident_choices.AgeGroup,
            repeat="people",
        ),
        TargetField("people.nationality", gettext_lazy("Nationality"), "nationality", required=True, repeat="people"),
        TargetField(
            "people.count",
            gettext_lazy("Number of people"),
            "int",
            required=True,
            repeat="people",
            aliases=("individuals",),
        ),
        *[TargetField(key, label, "int") for key, label in counts],
        *[
            TargetField(f"service_{value}", format_lazy("{}: {}", gettext_lazy("Service given"), label), "int")
            for value, label in incident_choices.IncidentService.choices
        ],
        TargetField("items", gettext_lazy("Items given from the vehicle (repeat)"), "repeat", aliases=("item",)),
        TargetField(
            "items.item",
            gettext_lazy("Item (catalogue code)"),
            "text",
            required=True,
            repeat="items",
            aliases=("item_code", "code"),
        ),
        TargetField("items.quantity", gettext_lazy("Quantity given"), "int", required=True, repeat="items"),
        TargetField("referral_note", gettext_lazy("Referral note"), "text"),
        TargetField("note", gettext_lazy("Note"), "text"),
    ]


def _pdm_fields() -> list[TargetField]:
    """What `liman.cash.pdm.pdm_answer_record` takes (the shipped form `liman_cash_pdm` names its questions so)."""
    from liman.cash import choices as cash

    return [
        TargetField("cycle", gettext_lazy("Payment cycle (reference)"), "text", required=True),
        TargetField("household", gettext_lazy("Household (reference)"), "text", required=True),
        TargetField("interviewed_on", gettext_lazy("Date of the interview"), "date", aliases=("today", "date")),
        TargetField("received", gettext_lazy("Received the payment"), "choice", required=True,
                    choices=cash.PdmReceived),
        TargetField("amount_received", gettext_lazy("Amount received"), "int"),
        TargetField("spent_on", gettext_lazy("Spent on"), "multi", choices=cash.PdmSpending),
        TargetField("problems", gettext_lazy("Problems met"), "multi", choices=cash.PdmProblem),
        TargetField("felt_safe", gettext_lazy("Felt safe"), "choice", required=True, choices=cash.YesNo),
        TargetField("complaint_made", gettext_lazy("Made a complaint"), "choice", choices=cash.YesNo),
        TargetField("note", gettext_lazy("Note"), "text"),
    ]  # fmt: skip


def _msme_visit_fields() -> list[TargetField]:
    """What `liman.livelihoods.services.visit_from_submission` takes (the shipped form `liman_msme_visit` names its
    questions so)."""
    from liman.livelihoods.choices import JOB_GROUPS, YesNo

    groups = {"syrian": gettext_lazy("Syrian"), "other": gettext_lazy("other foreign"),
              "turkish": gettext_lazy("Turkish")}  # fmt: skip
    sexes = {"f": gettext_lazy("women"), "m": gettext_lazy("men")}
    kinds = {"created": gettext_lazy("Jobs created"), "retained": gettext_lazy("Jobs retained")}
    return [
        TargetField("grant", gettext_lazy("Grant agreement (reference)"), "text", required=True),
        TargetField("visited_on", gettext_lazy("Date of the visit"), "date", aliases=("today", "date")),
        TargetField("business_open", gettext_lazy("Business open"), "choice", required=True, choices=YesNo),
        *[
            TargetField(f"{kind}_{key}", format_lazy("{}: {} {}", kinds[kind], groups[key.rsplit("_", 1)[0]],
                                                     sexes[key.rsplit("_", 1)[1]]), "int")
            for kind in kinds
            for key in JOB_GROUPS
        ],
        TargetField("milestone_photo", gettext_lazy("Photo of the milestone's evidence"), "text"),
        TargetField("note", gettext_lazy("Note"), "text"),
    ]  # fmt: skip


TARGET_FIELDS: dict[str, list[TargetField]] = {
    FormTarget.SITE_ASSESSMENT: [
        TargetField("site_id", gettext_lazy("Site ID (of a known site)"), "text"),
        TargetField("site_name", gettext_lazy("Site name"), "text", aliases=("name",)),
        TargetField("site_type", gettext_lazy("Site type"), "choice", choices=SiteType, aliases=("type",)),
        TargetField("manager", gettext_lazy("Site manager"), "text", aliases=("site_manager",)),
        TargetField("district", gettext_lazy("District (p-code or name)"), "area", aliases=("district_pcode", "adm2")),
        TargetField(
            "location", gettext_lazy("Coordinates (geopoint)"), "geopoint", aliases=("gps", "geopoint", "coordinates")
        ),
        TargetField("site_status", gettext_lazy("Site status"), "choice", choices=SiteStatus, aliases=("status",)),
        TargetField("assessed_on", gettext_lazy("Date of assessment"), "date", aliases=("today", "date")),
        TargetField("households", gettext_lazy("Households"), "int", required=True),
        TargetField("individuals", gettext_lazy("Individuals"), "int", aliases=("individuals_total",)),
        *_sex_age_fields(),
        TargetField(
            "population_groups",
            gettext_lazy("Population groups"),
            "multi",
            choices=PopulationGroup,
            aliases=("groups",),
        ),
        TargetField("needs", gettext_lazy("Needs (repeat)"), "repeat", aliases=("need",)),
        TargetField(
            "needs.sector", gettext_lazy("Need: sector"), "choice", choices=Sector, repeat="needs", aliases=("sector",)
        ),
        TargetField(
            "needs.severity",
            gettext_lazy("Need: severity 1–5"),
            "int",
            choices=Severity,
            repeat="needs",
            aliases=("severity",),
        ),
    ],
    FormTarget.FLOW_COUNT: [
        TargetField(
            "point", gettext_lazy("Flow monitoring point (code)"), "text", required=True, aliases=("point_code",)
        ),
        TargetField("counted_on", gettext_lazy("Date of count"), "date", required=True, aliases=("today", "date")),
        TargetField("direction", gettext_lazy("Direction"), "choice", required=True, choices=FlowDirection),
        TargetField("rows", gettext_lazy("Counts (repeat)"), "repeat", aliases=("row", "count", "counts", "group")),
        TargetField(
            "rows.nationality",
            gettext_lazy("Nationality"),
            "nationality",
            required=True,
            repeat="rows",
            aliases=("nationality",),
        ),
        TargetField(
            "rows.sex", gettext_lazy("Sex"), "choice", required=True, choices=Sex, repeat="rows", aliases=("sex",)
        ),
        TargetField(
            "rows.age_group",
            gettext_lazy("Age group"),
            "choice",
            required=True,
            choices=AgeGroup,
            repeat="rows",
            aliases=("age_group",),
        ),
        TargetField(
            "rows.individuals",
            gettext_lazy("Individuals"),
            "int",
            required=True,
            repeat="rows",
            aliases=("individuals",),
        ),
    ],
    FormTarget.PRESENCE: [
        TargetField("period", gettext_lazy("Month (any date in it)"), "date", required=True, aliases=("month", "date")),
        TargetField("province", gettext_lazy("Province (p-code or name)"), "area", required=True, aliases=("adm1",)),
        TargetField("source", gettext_lazy("Source"), "choice", required=True, choices=FigureSource),
        TargetField("rows", gettext_lazy("Figures (repeat)"), "repeat", aliases=("row", "figure", "figures")),
        TargetField(
            "rows.population_group",
            gettext_lazy("Population group"),
            "choice",
            required=True,
            choices=PopulationGroup,
            repeat="rows",
            aliases=("population_group",),
        ),
        TargetField(
            "rows.nationality",
            gettext_lazy("Nationality"),
            "nationality",
            required=True,
            repeat="rows",
            aliases=("nationality",),
        ),
        TargetField(
            "rows.individuals",
            gettext_lazy("Individuals"),
            "int",
            required=True,
            repeat="rows",
            aliases=("individuals",),
        ),
    ],
    FormTarget.DATASET: [
        TargetField(
            "collected_on", gettext_lazy("Date collected"), "date", aliases=("today", "date", "interview_date")
        ),
        TargetField("province", gettext_lazy("Province (p-code or name)"), "area", aliases=("adm1",)),
    ],
    FormTarget.BORDER_INCIDENT: _incident_fields(),
    FormTarget.CASH_PDM: _pdm_fields(),
    FormTarget.MSME_VISIT: _msme_visit_fields(),
}

#: Shipped forms and what they become: a new form with one of these IDs is bound on upload, with the suggested
#: mapping (their questions are named after the target's fields), so it works without a visit to the mapping page.
SHIPPED_FORM_TARGETS = {
    "liman_border_incident": FormTarget.BORDER_INCIDENT,
    "liman_cash_pdm": FormTarget.CASH_PDM,
    "liman_msme_visit": FormTarget.MSME_VISIT,
}


def fields_for(target: str) -> list[TargetField]:
    return TARGET_FIELDS.get(target, [])


def suggest_mapping(target: str, form_fields: list[dict]) -> dict[str, str]:
    """A first mapping: each target field to the question of the same name (or a usual alias)."""
    by_name: dict[str, list[dict]] = {}
    for entry in form_fields:
        by_name.setdefault(entry["name"], []).append(entry)
    mapping: dict[str, str] = {}
    for spec in fields_for(target):
        names = (spec.key.rsplit(".", 1)[-1], *spec.aliases)
        for name in names:
            candidates = by_name.get(name, [])
            if spec.kind == "repeat":
                candidates = [entry for entry in candidates if entry["type"] == "repeat"]
            elif spec.repeat:
                repeat_path = mapping.get(spec.repeat, "")
                inside = [entry for entry in candidates if repeat_path and entry["repeat"] == repeat_path]
                candidates = inside or [entry for entry in candidates if entry["type"] != "repeat"]
            else:
                candidates = [entry for entry in candidates if entry["type"] != "repeat" and not entry["repeat"]]
            if candidates:
                mapping[spec.key] = candidates[0]["path"]
                break
    return mapping


@dataclass
class Problem:
    key: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.key} ({self.path})" if self.path else self.key
        return f"{where}: {self.message}"


@dataclass
class Extracted:
    values: dict = field(default_factory=dict)
    #: repeat key -> one dict of values per entry of the repeat
    entries: dict[str, list[dict]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(str(problem) for problem in self.problems)


def _nationality(text: str) -> str:
    value = str(text).strip()
    country = None
    if len(value) == 3 and value.isalpha():
        country = pycountry.countries.get(alpha_3=value.upper())
    elif len(value) == 2 and value.isalpha():
        country = pycountry.countries.get(alpha_2=value.upper())
    else:
        try:
            country = pycountry.countries.lookup(value)
        except LookupError:
            country = None
    if country is None:
        raise ValueError(_("%(text)s is not a country (use the ISO code, e.g. SYR)") % {"text": repr(text)})
    return country.alpha_3


def _choice(value, choices) -> object:
    if choices is Severity or isinstance(next(iter(choices.values), ""), int):
        number = parse_int(value)
        if number not in choices.values:
            raise ValueError(_not_one_of(value, choices))
        return number
    text = str(value).strip()
    for candidate in choices.values:
        if text.lower() == str(candidate).lower():
            return candidate
    raise ValueError(_not_one_of(value, choices))


def _not_one_of(value, choices) -> str:
    return _("%(value)s is not one of %(choices)s") % {
        "value": repr(value),
        "choices": ", ".join(str(choice) for choice in choices.values),
    }


def convert(spec: TargetField, raw):
    """One answer as the target field's type; raises ValueError with what is wrong."""
    if spec.kind == "int":
        number = parse_int(raw)
        if spec.choices is not None:
            return _choice(number, spec.choices)
        if number < 0:
            raise ValueError(_("%(value)s is negative") % {"value": repr(raw)})
        return number
    if spec.kind == "date":
        return parse_date(raw)
    if spec.kind == "datetime":
        return parse_datetime(raw)
    if spec.kind == "geopoint":
        return parse_geopoint(raw)
    if spec.kind == "choice":
        return _choice(raw, spec.choices)
    if spec.kind == "multi":
        return [_choice(item, spec.choices) for item in parse_select_multiple(raw)]
    if spec.kind == "nationality":
        return _nationality(raw)
    return str(raw).strip()


def _empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _read(spec: TargetField, path: str, source: dict, extracted: Extracted, into: dict, shown: str = "") -> None:
    raw = get_path(source, path) if path else None
    shown = shown or path
    if _empty(raw):
        if spec.required:
            message = _("is not mapped to a question") if not path else _("is required but has no answer")
            extracted.problems.append(Problem(spec.key, shown, message))
        return
    try:
        into[spec.key.rsplit(".", 1)[-1]] = convert(spec, raw)
    except ValueError as exc:
        extracted.problems.append(Problem(spec.key, shown, str(exc)))


def extract(target: str, mapping: dict[str, str], answers: dict) -> Extracted:
    """Typed values for `target` from one submission's answers, with every problem found (not just the first)."""
    extracted = Extracted()
    specs = fields_for(target)
    for spec in specs:
        if spec.kind == "repeat" or spec.repeat:
            continue
        _read(spec, mapping.get(spec.key, ""), answers, extracted, extracted.values)
    for repeat in (spec for spec in specs if spec.kind == "repeat"):
        members = [spec for spec in specs if spec.repeat == repeat.key]
        repeat_path = mapping.get(repeat.key, "")
        items = get_path(answers, repeat_path) if repeat_path else None
        if repeat_path and items is None:
            items = []
        if isinstance(items, dict):
            items = [items]
        entries: list[dict] = []
        if not repeat_path:
            # No repeat: one entry read from the form's top-level questions, if any is mapped.
            if any(mapping.get(member.key) for member in members):
                entry: dict = {}
                for member in members:
                    _read(member, mapping.get(member.key, ""), answers, extracted, entry)
                entries.append(entry)
        else:
            for number, item in enumerate(items, start=1):
                entry = {}
                for member in members:
                    path = mapping.get(member.key, "")
                    if path.startswith(f"{repeat_path}/"):
                        relative = path[len(repeat_path) + 1 :]
                        _read(member, relative, item or {}, extracted, entry, f"{repeat_path}[{number}]/{relative}")
                    else:
                        _read(member, path, answers, extracted, entry)
                entries.append(entry)
        extracted.entries[repeat.key] = entries
    return extracted
