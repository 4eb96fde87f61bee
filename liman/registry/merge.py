"""Merging duplicate person records without losing anything, and undoing a merge exactly.

`person_merge` keeps one record (the survivor) and turns the other into an alias: every row of any app that points
at the merged person (households, cases, referrals, consents, identifiers, health, movements, and whatever later
apps add) is moved to the survivor, found generically through the foreign keys and one-to-one fields that point at
`Person`, so a new app's records are covered without a change here. The alias keeps its own values and
`merged_into`, and is read-only. The survivor takes the stricter sensitivity tier of the two, so that nothing
moved becomes visible to someone who could not see it. A `PersonMerge` row records each reference moved (model,
row, column, old and new value), each one left on the alias and why, the alias's values and what changed on the
survivor, so that `person_unmerge` puts everything back.

What stays with the alias:
- a row whose move would break a uniqueness or check rule of its model, or change the row's own key (a person is
  in one household: when both people are members of households, the survivor keeps his membership and the merged
  person's membership stays on the alias, with the head pointer of that household, since a household's head
  follows its head's membership; likewise one medical clearance per person, one seat per person on a flight);
- rows of a model that declares `stays_with_alias_because = "..."` (records about the record itself, such as
  candidate duplicate pairs, which must not become a pair of the survivor with himself): not touched at all.
Search keys are derived from the alias's own names: they are dropped (an alias is not found by the search) and
rebuilt when the merge is undone. References by content type and id (audit events, workflow history) are history
of what happened to the alias and stay as they were.
Apps that keep figures derived per person (people reached) hear of each merge and its undoing through
`signals.people_merged`, sent inside the same transaction.

Moves are written with `QuerySet.update()`, one row at a time: no `save()`, so no `auto_now` column changes and the
unmerged rows are byte-for-byte what they were; each move writes its own audit event. Model `clean()` rules are not
run on moved rows (a reference move does not change a row's own values), but every uniqueness and check constraint
of the model is, before the row moves.
"""

from __future__ import annotations

import json

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.access import has_role
from liman.core.choices import AuditAction, Role, Sensitivity
from liman.core.fields import BlindIndexField, EncryptedTextField
from liman.core.models import User
from liman.core.services import record_create, record_update

from .models import Household, HouseholdMember, Person, PersonMerge, PersonNameKey
from .search import refresh_search_keys
from .signals import people_merged

#: Who may merge people and undo a merge (in the offices of both records).
MERGE_ROLES = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})

#: Why a reference stayed with the alias (stored in `PersonMerge.kept`).
KEPT_UNIQUE = "unique"
KEPT_HEAD_FOLLOWS_MEMBERSHIP = "head_follows_membership"

#: Rows derived from a person's own values: rebuilt, never moved.
_DERIVED = (PersonNameKey,)


# --- who may -------------------------------------------------------------------------------------------------


def can_merge(user: User | None, *people: Person) -> bool:
    """Supervisors or administrators of every record's office who can see every record."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not all(has_role(user, MERGE_ROLES, office=person.office_id) for person in people):
        return False
    wanted = {person.pk for person in people}
    return Person.objects.visible_to(user).filter(pk__in=wanted).count() == len(wanted)


def unmerge_problems(merge: PersonMerge) -> list[str]:
    """Why `merge` cannot be undone now (empty: it can)."""
    if merge.unmerged_at is not None:
        day = date_format(timezone.localtime(merge.unmerged_at), "SHORT_DATE_FORMAT")
        return [_("This merge was already undone on %(day)s.") % {"day": day}]
    survivor, merged = merge.survivor, merge.merged
    if survivor.merged_into_id is not None:
        return [
            _("%(survivor)s has since been merged into %(target)s: undo that merge first.")
            % {"survivor": survivor.reference, "target": survivor.merged_into.reference}
        ]
    if merged.merged_into_id != survivor.pk:
        return [
            _("%(merged)s is no longer an alias of %(survivor)s.")
            % {"merged": merged.reference, "survivor": survivor.reference}
        ]
    return []


# --- which columns point at a person -------------------------------------------------------------------------


def person_references() -> list[models.ForeignKey]:
    """Every column of any installed app that points at a person and moves in a merge (foreign keys, one-to-one
    fields, and the foreign keys of many-to-many tables): all but the alias link itself, merge records, derived
    search keys and models that declare `stays_with_alias_because`."""
    fields = []
    for relation in Person._meta.get_fields(include_hidden=True):
        if not (relation.is_relation and relation.auto_created and not relation.concrete):
            continue
        if relation.many_to_many:
            continue  # the foreign keys of its through table are walked instead
        field = relation.field
        if field.model is PersonMerge or issubclass(field.model, _DERIVED):
            continue
        if getattr(field.model, "stays_with_alias_because", ""):
            continue
        if field.model is Person and field.name == "merged_into":
            continue
        fields.append(field)
    return sorted(fields, key=lambda field: (field.model._meta.label_lower, field.name))


def _is_guarded(field: models.ForeignKey) -> bool:
    """Whether moving a value of `field` may break a uniqueness or check rule of its model."""
    meta = field.model._meta
    if field.unique:
        return True
    if any(field.name in together for together in meta.unique_together):
        return True
    for constraint in meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            return True
        if isinstance(constraint, models.UniqueConstraint) and (
            constraint.expressions or field.name in constraint.fields
        ):
            return True
    return False


def _conflict(row: models.Model) -> list[str]:
    """The uniqueness and check rules `row` breaks with its new values (empty: none)."""
    try:
        row.validate_unique()
        row.validate_constraints()
    except ValidationError as exc:
        return exc.messages
    return []


def _value(value) -> str | None:
    return None if value is None else str(value)


def _office_id(row: models.Model, person: Person):
    return getattr(row, "office_id", None) or person.office_id


# --- the merged record's own values --------------------------------------------------------------------------


def _own_values(person: Person) -> tuple[dict, dict]:
    """The record's values: plain ones as strings, encrypted ones apart (stored encrypted); blind indexes are
    derived from their source and left out."""
    plain, sealed = {}, {}
    for field in Person._meta.concrete_fields:
        if isinstance(field, BlindIndexField):
            continue
        value = field.value_from_object(person)
        if isinstance(field, EncryptedTextField):
            sealed[field.attname] = value
        else:
            plain[field.attname] = None if value is None else field.value_to_string(person)
    return plain, sealed


def _restore_own_values(person: Person, plain: dict, sealed: dict) -> dict:
    """Write back the values that differ from the ones recorded (only those: an untouched encrypted value keeps its
    very ciphertext); returns what changed, encrypted values redacted."""
    changes, shown = {}, {}
    for field in Person._meta.concrete_fields:
        current = field.value_from_object(person)
        if field.attname in plain:
            stored = plain[field.attname]
            value = None if stored is None else field.to_python(stored)
            if value != current:
                changes[field.attname] = value
                shown[field.name] = [_value(current), _value(value)]
        elif field.attname in sealed and sealed[field.attname] != current:
            value = sealed[field.attname]
            changes[field.attname] = value
            shown[field.name] = [audit.REDACTED, audit.REDACTED]
            for index in Person._meta.concrete_fields:
                if isinstance(index, BlindIndexField) and index.source == field.name:
                    changes[index.attname] = value  # the index field hashes what it is given
    if changes:
        Person._base_manager.filter(pk=person.pk).update(**changes)
    return shown


# --- merge ---------------------------------------------------------------------------------------------------


def _lock(*people: Person) -> dict[int, Person]:
    """Both records, locked and read afresh (in id order, so two merges never wait on each other)."""
    pks = sorted({person.pk for person in people})
    locked = Person._base_manager.select_for_update(of=("self",)).filter(pk__in=pks).order_by("pk")
    return {person.pk: person for person in locked.select_related("office", "merged_into")}


def _stricter_tier(first: str, second: str) -> str | None:
    """The sensitivity tier that hides a record from everyone either tier hides it from; None when there is none
    (protection-sensitive and medical records are seen by different roles)."""
    if first == second or second == Sensitivity.NORMAL:
        return first
    if first == Sensitivity.NORMAL:
        return second
    return None


def _merge_problems(survivor: Person, merged: Person) -> list[str]:
    if survivor.pk == merged.pk:
        return [_("A record cannot be merged into itself.")]
    if merged.merged_into_id is not None:
        return [
            _("%(merged)s is already merged into %(target)s.")
            % {"merged": merged.reference, "target": merged.merged_into.reference}
        ]
    if survivor.merged_into_id is not None:
        return [
            _("%(survivor)s was itself merged into %(target)s: merge into %(target)s instead.")
            % {"survivor": survivor.reference, "target": survivor.merged_into.reference}
        ]
    if _stricter_tier(survivor.sensitivity, merged.sensitivity) is None:
        return [
            _(
                "%(survivor)s is “%(survivor_tier)s” and %(merged)s is “%(merged_tier)s”, seen by different roles: "
                "give both records the same sensitivity before merging them."
            )
            % {
                "survivor": survivor.reference,
                "survivor_tier": survivor.get_sensitivity_display(),
                "merged": merged.reference,
                "merged_tier": merged.get_sensitivity_display(),
            }
        ]
    return []


def _households_headed_by_alias(survivor: Person, merged: Person) -> set:
    """Households whose head pointer stays with the alias: the one whose membership the alias keeps (when both are
    members of households, the survivor keeps his own)."""
    membership = HouseholdMember.objects.filter(person=merged).values_list("household_id", flat=True).first()
    if membership is not None and HouseholdMember.objects.filter(person=survivor).exists():
        return {membership}
    return set()


def person_merge(*, survivor: Person, merged: Person, by: User, reason: str = "") -> PersonMerge:
    """Merge `merged` into `survivor`: every reference to `merged` moves to `survivor` (see the module's docstring
    for what stays), `merged` becomes an alias keeping its own values; audited; undone by `person_unmerge`."""
    if not can_merge(by, survivor, merged):
        raise PermissionDenied(
            _("Only a supervisor or administrator of both records' offices who can see both records may merge them.")
        )
    given, given_survivor = merged, survivor
    with transaction.atomic():
        locked = _lock(survivor, merged)
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        problems = _merge_problems(survivor, merged)
        if problems:
            raise ValidationError(problems)
        plain, sealed = _own_values(merged)
        heads_staying = _households_headed_by_alias(survivor, merged)
        moved, kept = [], []
        why_moved = _("merged into %(survivor)s") % {"survivor": survivor.reference}
        survivor_changes = {}
        tier = _stricter_tier(survivor.sensitivity, merged.sensitivity)
        if tier != survivor.sensitivity:
            # The alias's records move to the survivor: they must stay hidden from whoever could not see them.
            survivor_changes["sensitivity"] = [survivor.sensitivity, tier]
            Person._base_manager.filter(pk=survivor.pk).update(sensitivity=tier)
            survivor.sensitivity = tier
            audit.record(
                AuditAction.UPDATE,
                actor=by,
                obj=survivor,
                changes={"sensitivity": survivor_changes["sensitivity"]},
                reason=_("%(merged)s merged into this record") % {"merged": merged.reference},
            )
        for field in person_references():
            model = field.model
            old, new = getattr(merged, field.target_field.attname), getattr(survivor, field.target_field.attname)
            guarded = _is_guarded(field)
            for row in model._base_manager.filter(**{field.attname: old}).order_by("pk"):
                entry = {"model": model._meta.label_lower, "pk": str(row.pk), "field": field.attname}
                if model is Household and field.name == "head" and row.pk in heads_staying:
                    kept.append({**entry, "why": KEPT_HEAD_FOLLOWS_MEMBERSHIP})
                    continue
                setattr(row, field.attname, new)
                if field.primary_key or (guarded and _conflict(row)):
                    kept.append({**entry, "why": KEPT_UNIQUE})
                    continue
                model._base_manager.filter(pk=row.pk).update(**{field.attname: new})
                moved.append({**entry, "old": _value(old), "new": _value(new)})
                audit.record(
                    AuditAction.UPDATE,
                    actor=by,
                    obj=row,
                    office=_office_id(row, merged),
                    changes={field.name: [_value(old), _value(new)]},
                    reason=why_moved,
                )
        Person._base_manager.filter(pk=merged.pk).update(merged_into=survivor)
        merge = record_create(
            PersonMerge(
                survivor=survivor,
                merged=merged,
                reason=reason,
                merged_by=by,
                person_values=plain,
                sealed_values=json.dumps(sealed, ensure_ascii=False, sort_keys=True),
                moved=moved,
                kept=kept,
                survivor_changes=survivor_changes,
            ),
            by=by,
            reason=reason,
        )
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            obj=merged,
            changes={"merged_into": [None, survivor.reference]},
            reason=reason or why_moved,
        )
        # An alias is not found by the search: its keys go (and come back if the merge is undone).
        PersonNameKey.objects.filter(person=merged).delete()
        refresh_search_keys(survivor)
        people_merged.send(sender=PersonMerge, merge=merge, undone=False)
    given.merged_into = merged.merged_into = survivor
    given_survivor.sensitivity = survivor.sensitivity
    return merge


# --- unmerge -------------------------------------------------------------------------------------------------


def _restore_survivor(survivor: Person, survivor_changes: dict, *, by: User, reason: str) -> None:
    """Give the survivor back the values the merge changed, unless they were changed again since."""
    back = {}
    for name, (before, after) in survivor_changes.items():
        field = Person._meta.get_field(name)
        if _value(field.value_from_object(survivor)) == after:
            back[field.attname] = field.to_python(before)
    if back:
        Person._base_manager.filter(pk=survivor.pk).update(**back)
        changes = {name: survivor_changes[name][::-1] for name in back}
        for name, value in back.items():
            setattr(survivor, name, value)
        audit.record(AuditAction.UPDATE, actor=by, obj=survivor, changes=changes, reason=reason)


def person_unmerge(*, merge: PersonMerge, by: User) -> None:
    """Undo `merge` exactly: every reference moved goes back to the merged record, which is a person of its own
    again with the values it had; audited. A reference that has since been deleted, or moved on to someone else,
    is left where it is (and named in the audit event)."""
    with transaction.atomic():
        merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
        locked = _lock(merge.survivor, merge.merged)
        survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
        merge.survivor, merge.merged = survivor, merged
        if not can_merge(by, survivor, merged):
            raise PermissionDenied(
                _(
                    "Only a supervisor or administrator of both records' offices who can see both records may undo "
                    "this merge."
                )
            )
        problems = unmerge_problems(merge)
        if problems:
            raise ValidationError(problems)
        why = _("merge into %(survivor)s undone") % {"survivor": survivor.reference}
        left = []
        for entry in reversed(merge.moved):
            model = apps.get_model(entry["model"])
            field = model._meta.get_field(entry["field"])
            row = model._base_manager.filter(pk=entry["pk"]).first()
            if row is None or _value(getattr(row, field.attname)) != entry["new"]:
                left.append(f"{entry['model']}:{entry['pk']}")
                continue
            setattr(row, field.attname, field.to_python(entry["old"]))
            conflict = _is_guarded(field) and _conflict(row)
            if conflict:
                record = f"{model._meta.verbose_name} {row}"
                raise ValidationError(
                    _("%(record)s cannot go back to %(merged)s: %(problem)s")
                    % {"record": record, "merged": merged.reference, "problem": conflict[0]}
                )
            model._base_manager.filter(pk=row.pk).update(**{field.attname: getattr(row, field.attname)})
            audit.record(
                AuditAction.UPDATE,
                actor=by,
                obj=row,
                office=_office_id(row, merged),
                changes={field.name: [entry["new"], entry["old"]]},
                reason=why,
            )
        _restore_survivor(survivor, merge.survivor_changes, by=by, reason=why)
        changes = _restore_own_values(merged, merge.person_values, json.loads(merge.sealed_values or "{}"))
        changes["merged_into"] = [survivor.reference, None]
        merged.refresh_from_db()
        if left:
            changes["not_put_back"] = [None, ", ".join(left)]
        audit.record(AuditAction.UPDATE, actor=by, obj=merged, changes=changes, reason=why)
        record_update(merge, by=by, changes={"unmerged_at": timezone.now(), "unmerged_by": by}, reason=why)
        refresh_search_keys(merged)
        refresh_search_keys(survivor)
        # The two records are two people again: the pair decided "same person" goes back to review.
        from liman.dedup.services import match_pairs_reopen

        match_pairs_reopen(first=survivor, second=merged, by=by, reason=why)
        people_merged.send(sender=PersonMerge, merge=merge, undone=True)
