"""Border mobile teams' field incidents from their phones: recorded through the assistance app's `incident_record`
in the submission's transaction, the items issued from the field user's van, all or nothing."""

from __future__ import annotations

import decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.assistance import services as assistance
from liman.assistance.choices import IncidentService
from liman.assistance.models import Item, StockLocation
from liman.assistance.selectors import fefo_suggestion
from liman.core.models import AdminArea, User

from .. import targets
from ..models import FieldUser, Form, Submission
from .builders import NeedsReview, resolve_area


def _question(form: Form, key: str, number: int | None = None) -> str:
    """`key (path)` of a target field as the form maps it (`items.quantity (item[2]/quantity)` in a repeat)."""
    path = form.field_mapping.get(key, "")
    repeat_key = key.split(".", 1)[0] if "." in key else ""
    repeat_path = form.field_mapping.get(repeat_key, "") if repeat_key else ""
    if number is not None and repeat_path and path.startswith(f"{repeat_path}/"):
        path = f"{repeat_path}[{number}]/{path[len(repeat_path) + 1 :]}"
    return f"{key} ({path})" if path else key


#: Where a rule of incident_record (the field it reports) is asked in the form: the target field it comes from.
_INCIDENT_ERROR_FIELDS = {
    "group_counts": "people",
    "latitude": "location",
    "longitude": "location",
    "sex": "people.sex",
    "age_group": "people.age_group",
    "nationality": "people.nationality",
    "count": "people.count",
    "quantity": "items.quantity",
    "lot": "items.item",
    "purpose": "items",
}


def _incident_problem(form: Form, exc: ValidationError, field_user: FieldUser | None, *, has_items: bool) -> str:
    """A refusal of incident_record as `question (path): rule`, like the target's own problems. Its refusals
    without a field come from issuing the items (a closed van, an expired lot)."""
    if not hasattr(exc, "message_dict"):
        text = " ".join(exc.messages)
        return f"{_question(form, 'items')}: {text}" if has_items else text
    parts = []
    for key, messages in exc.message_dict.items():
        text = " ".join(messages)
        if key == "vehicle":
            who = field_user.username if field_user else _("no field user")
            parts.append(_("vehicle (the team's van of %(who)s): %(text)s") % {"who": who, "text": text})
        elif key == NON_FIELD_ERRORS:
            parts.append(text)
        else:
            parts.append(f"{_question(form, _INCIDENT_ERROR_FIELDS.get(key, key))}: {text}")
    return "; ".join(parts)


def _incident_items(
    submission: Submission, entries: list[dict], field_user: FieldUser | None
) -> tuple[list[tuple[Item, int]], dict[int, list[int]], StockLocation | None]:
    """The items given (each item once, its entries added up), the entries each came from, and the van."""
    form = submission.form
    wanted: dict[str, int] = {}
    numbers: dict[str, list[int]] = {}
    for number, entry in enumerate(entries, start=1):
        if not entry.get("quantity"):
            continue
        code = entry["item"].strip().upper()
        wanted[code] = wanted.get(code, 0) + entry["quantity"]
        numbers.setdefault(code, []).append(number)
    vehicle = field_user.vehicle if field_user is not None else None
    if not wanted:
        return [], {}, vehicle
    catalogue = {item.code: item for item in Item.objects.filter(code__in=wanted, is_active=True)}
    for code, entry_numbers in numbers.items():
        if code not in catalogue:
            raise NeedsReview(
                _("%(question)s: %(code)s is not an item of the catalogue")
                % {"question": _question(form, "items.item", entry_numbers[0]), "code": code}
            )
    question = _question(form, "items")
    if field_user is None:
        raise NeedsReview(
            _(
                "%(question)s: the submission came without a field user (it was imported), so there is no team "
                "vehicle to issue the items from; record them on the incident page instead"
            )
            % {"question": question}
        )
    if vehicle is None:
        raise NeedsReview(
            _(
                "%(question)s: the field user %(user)s has no team vehicle to issue the items from: give them "
                "their van on the field user's page (or `liman field-user vehicle %(user)s --vehicle PLATE`), "
                "then process the submission again"
            )
            % {"question": question, "user": field_user.username}
        )
    if vehicle.office_id != submission.office_id:
        raise NeedsReview(
            _("%(question)s: %(vehicle)s, the van of %(user)s, belongs to another office")
            % {"question": question, "vehicle": vehicle, "user": field_user.username}
        )
    items = [(catalogue[code], quantity) for code, quantity in wanted.items()]
    by_item = {catalogue[code].pk: entry_numbers for code, entry_numbers in numbers.items()}
    return items, by_item, vehicle


def _shortage_problem(
    form: Form, exc: ValidationError, vehicle: StockLocation, items, by_item: dict[int, list[int]]
) -> str:
    """Which entry asked for more than the van holds: the service's message (item, van, balance, asked for),
    under the question it comes from. Read after the refusal, whose savepoint took back every issue."""
    for item, quantity in items:
        usable = sum(take for _balance, take in fefo_suggestion(vehicle, item))
        if usable < quantity:
            question = _question(form, "items.quantity", by_item[item.pk][0])
            return f"{question}: {' '.join(exc.messages)}"
    return f"{_question(form, 'items')}: {' '.join(exc.messages)}"


def _incident_of_earlier_version(submission: Submission) -> Submission | None:
    """An earlier version of this submission (the same root instance) that already became an incident."""
    if not submission.supersedes_id:
        return None
    return (
        Submission.objects.filter(
            form_id=submission.form_id, root_instance_id=submission.root_instance_id, incident__isnull=False
        )
        .exclude(pk=submission.pk)
        .select_related("incident")
        .first()
    )


def build_border_incident(submission: Submission, extracted: targets.Extracted, by: User | None) -> None:
    """A border mobile team's incident, recorded through `incident_record` (the page's service) in the
    submission's transaction: the items are issued from the field user's van, all or nothing.

    The incident is the field user's record: it is recorded as the phone's (`by=None`, the OpenRosa server's way;
    the field user is on the submission, which points to the incident), also when a staff member processes the
    submission again. An incident is recorded once: processing its submission again leaves it as it is, and an
    edit of a submission that became one waits for review (recording it again would issue its items twice; the
    ledger is append-only and an issue is not taken back)."""
    form, values = submission.form, extracted.values
    if submission.incident_id is not None:
        submission.__dict__.setdefault("_records", {})["field_incident"] = _("%(reference)s, recorded before") % {
            "reference": submission.incident.reference
        }
        return
    earlier = _incident_of_earlier_version(submission)
    if earlier is not None:
        raise NeedsReview(
            _(
                "incident: the earlier version %(earlier)s of this submission already became incident %(reference)s; "
                "an edit does not record it again (nor issue its items a second time): dismiss this edit and have "
                "the incident corrected by the office's mobile team"
            )
            % {"earlier": earlier.instance_id, "reference": earlier.incident.reference}
        )
    field_user = submission.submitted_by
    district = resolve_area(values["district"], level=AdminArea.Level.DISTRICT, key=_question(form, "district"))
    items, by_item, vehicle = _incident_items(submission, extracted.entries.get("items", []), field_user)
    occurred_at = values["occurred_at"]
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    location = values.get("location")
    counts = {name: values.get(name) or 0 for name in assistance.INCIDENT_COUNTS}
    try:
        incident = assistance.incident_record(
            office=submission.office,
            occurred_at=occurred_at,
            district=district,
            terrain=values["terrain"],
            authority=values["authority"],
            how_met=values["how_met"],
            group_counts=[
                (entry["sex"], entry["age_group"], entry["nationality"], entry["count"])
                for entry in extracted.entries.get("people", [])
            ],
            by=None,
            vehicle=vehicle,
            items=items,
            services_given={service: values.get(f"service_{service}") or 0 for service in IncidentService.values},
            latitude=decimal.Decimal(f"{location.latitude:.5f}") if location else None,
            longitude=decimal.Decimal(f"{location.longitude:.5f}") if location else None,
            referral_note=values.get("referral_note", ""),
            note=values.get("note", ""),
            **counts,
        )
    except assistance.StockShort as exc:
        raise NeedsReview(_shortage_problem(form, exc, vehicle, items, by_item)) from exc
    except ValidationError as exc:
        raise NeedsReview(_incident_problem(form, exc, field_user, has_items=bool(items))) from exc
    Submission.objects.filter(pk=submission.pk).update(incident=incident)
    submission.incident = incident
    issued = sum(quantity for _item, quantity in items)
    submission.__dict__.setdefault("_records", {})["field_incident"] = _(
        "%(reference)s: %(people)s people met, %(issued)s items issued from %(vehicle)s"
    ) % {"reference": incident.reference, "people": incident.people_met, "issued": issued, "vehicle": vehicle or "-"}
