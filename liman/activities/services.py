"""Every write of activities, in a transaction, audited: planning, sessions, participants, attendance (a tick list or
a QR check-in), test scores, certificates, the activity's state, equipment handed over to institutions.

The attendance services keep each participant's counted facts (sessions attended, first day present, completed) up
to date in the same transaction, so reporting never reads the attendance rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.access import has_role
from liman.core.choices import AuditAction
from liman.core.models import AdminArea, Office, Programme, User
from liman.core.services import new_reference, record_create, record_update
from liman.core.workflows import transition
from liman.registry.choices import LegalBasis

from . import permissions
from .choices import ACTIVITY_CONSENT_PURPOSE, ActivityState, AgeGroup, PopulationGroup, age_group_of
from .models import Activity, Attendance, EquipmentHandover, Participant, Session
from .reach import keys_of, reach_refresh

#: States in which attendance is taken and participants added.
OPEN_STATES = (ActivityState.PLANNED, ActivityState.ONGOING)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _require_manager(by: User | None, activity: Activity) -> None:
    if by is None:
        return
    _require(permissions.may_manage(by, activity.office_id), _("Your role does not run activities in this office."))
    _require(
        permissions.may_manage_activity(by, activity),
        _("Who attends an MHPSS session is read only by staff who read protection records."),
    )


def _require_open(activity: Activity) -> None:
    if activity.state not in OPEN_STATES:
        raise ValidationError(
            _("The activity is %(state)s: nothing more is recorded.") % {"state": activity.get_state_display()}
        )


# --- activities -------------------------------------------------------------------------------------------------


def activity_create(
    *,
    office: Office,
    type: str,
    title: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    by: User | None,
    programme: Programme | None = None,
    district: AdminArea | None = None,
    venue: str = "",
    facilitators: str = "",
    target_group: str = "",
    completion_percent: int = 80,
    trained_facilitator: Participant | None = None,
) -> Activity:
    """Plan an activity. A facilitator trained in an earlier activity (training of trainers) must have completed it."""
    if by is not None:
        _require(permissions.may_manage(by, office), _("Your role does not run activities in this office."))
    if district is not None and district.level != AdminArea.Level.DISTRICT:
        raise ValidationError({"district": _("Give a district (ilçe), not a province.")})
    if trained_facilitator is not None and not trained_facilitator.completed:
        raise ValidationError(
            {"trained_facilitator": _("The facilitator has not completed the training of trainers yet.")}
        )
    programme = programme or Programme.objects.get(code="livelihoods")
    return record_create(
        Activity(
            office=office,
            programme=programme,
            reference=new_reference(f"ACT-{office.code}", Activity, length=6),
            type=type,
            title=title.strip(),
            district=district,
            venue=venue.strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            facilitators=facilitators.strip(),
            target_group=target_group.strip(),
            completion_percent=completion_percent,
            trained_facilitator=trained_facilitator,
            created_by=by,
        ),
        by=by,
    )


def activity_start(*, activity: Activity, by: User | None) -> Activity:
    _require_manager(by, activity)
    transition(activity, ActivityState.ONGOING, by=by)
    return activity


def activity_close(*, activity: Activity, by: User | None) -> Activity:
    _require_manager(by, activity)
    transition(activity, ActivityState.CLOSED, by=by)
    return activity


def activity_cancel(*, activity: Activity, by: User | None, reason: str) -> Activity:
    _require_manager(by, activity)
    transition(activity, ActivityState.CANCELLED, by=by, reason=reason)
    return activity


# --- sessions ---------------------------------------------------------------------------------------------------


def session_add(*, activity: Activity, held_on: datetime.date, by: User | None, topic: str = "", hours=2) -> Session:
    """The next session of the activity, on a day within its dates; every participant's completion is re-counted
    (one more session raises the bar)."""
    _require_manager(by, activity)
    _require_open(activity)
    if not (activity.starts_on <= held_on <= activity.ends_on):
        raise ValidationError(
            {"held_on": _("A session is held between the activity's first and last day (%(start)s – %(end)s).")
             % {"start": activity.starts_on, "end": activity.ends_on}}
        )  # fmt: skip
    with transaction.atomic():
        Activity.objects.select_for_update().filter(pk=activity.pk).get()
        number = (activity.sessions.aggregate(last=Max("number"))["last"] or 0) + 1
        session = record_create(
            Session(activity=activity, number=number, held_on=held_on, topic=topic.strip(), hours=hours), by=by
        )
        participants_refresh(activity=activity)
    return session


# --- participants -----------------------------------------------------------------------------------------------


def population_group_of(person, *, on: datetime.date) -> str:
    """Syrian under temporary protection, host community (a Turkish citizen) or other foreigners, from the person's
    nationality and legal status on the day."""
    from liman.registry.choices import LegalStatusType

    statuses = [
        status.status
        for status in person.legal_statuses.all()
        if (status.started_on is None or status.started_on <= on) and (status.ended_on is None or status.ended_on >= on)
    ]
    if person.nationality == "TUR" or LegalStatusType.TURKISH_CITIZEN in statuses:
        return PopulationGroup.HOST_COMMUNITY
    if LegalStatusType.TEMPORARY_PROTECTION in statuses or person.nationality == "SYR":
        return PopulationGroup.SYRIAN_TP
    return PopulationGroup.OTHER_FOREIGNER


def _next_number(activity: Activity) -> int:
    return (Participant.objects.filter(activity=activity).aggregate(last=Max("number"))["last"] or 0) + 1


def _participant(activity: Activity, **fields) -> Participant:
    return Participant(
        activity=activity,
        office_id=activity.office_id,
        sensitivity=activity.participants_tier,
        activity_type=activity.type,
        province_id=activity.province_id,
        **fields,
    )


def participant_add_person(
    *, activity: Activity, person, by: User | None, organisation: str = "", position: str = "", institution: str = "",
    legal_basis: str = LegalBasis.CONSENT, basis_note: str = "",
) -> Participant:  # fmt: skip
    """Enrol a registered person: sex, age group (on the activity's first day), nationality and population group
    come from the registry. The consent taken at entry (or the other basis, documented) is the registry's consent
    record for the purpose `ACTIVITY_CONSENT_PURPOSE`: a current one is reused, else one is recorded."""
    _require_manager(by, activity)
    _require_open(activity)
    if by is not None and not person.__class__.objects.visible_to(by).filter(pk=person.pk).exists():
        raise PermissionDenied(_("You cannot see this person."))
    with transaction.atomic():
        Activity.objects.select_for_update().filter(pk=activity.pk).get()
        if Participant.objects.filter(activity=activity, person=person).exists():
            raise ValidationError({"person": _("%(name)s already takes part in this activity.")
                                   % {"name": person.full_name}})  # fmt: skip
        return record_create(
            _participant(
                activity,
                number=_next_number(activity),
                person=person,
                name=person.full_name,
                sex=person.sex,
                age_group=age_group_of(person.age_on(activity.starts_on)),
                nationality=person.nationality,
                population_group=population_group_of(person, on=activity.starts_on),
                organisation=organisation.strip(),
                position=position.strip(),
                institution=institution,
                legal_basis=legal_basis,
                basis_note=basis_note.strip(),
                consent=_person_consent(person, legal_basis, basis_note, by),
                consent_given_on=timezone.localdate(),
            ),
            by=by,
        )


def _person_consent(person, legal_basis: str, basis_note: str, by: User | None):
    """The person's consent (or other basis) for activities in force today on the same basis, else a new one."""
    from liman.registry.consent import consent_for
    from liman.registry.services import consent_record

    if legal_basis not in LegalBasis.values:
        raise ValidationError({"legal_basis": _("Choose the legal basis.")})
    if legal_basis != LegalBasis.CONSENT and not basis_note.strip():
        raise ValidationError(
            {"basis_note": _("Without consent, say what the other basis is and where it is documented.")}
        )
    current = consent_for(person, ACTIVITY_CONSENT_PURPOSE)
    if current is not None and current.legal_basis == legal_basis:
        return current
    return consent_record(person=person, purpose=ACTIVITY_CONSENT_PURPOSE, legal_basis=legal_basis, by=by)


def participant_add_light(
    *,
    activity: Activity,
    name: str,
    sex: str,
    age_group: str,
    population_group: str,
    by: User | None,
    nationality: str = "",
    organisation: str = "",
    position: str = "",
    institution: str = "",
    legal_basis: str = LegalBasis.CONSENT,
    basis_note: str = "",
) -> Participant:
    """Enrol someone who is not registered (an official, a host-community member): a light record only, with the
    consent given at entry (or the other legal basis, documented in `basis_note`)."""
    if legal_basis not in LegalBasis.values:
        raise ValidationError({"legal_basis": _("Choose the legal basis.")})
    _require_manager(by, activity)
    _require_open(activity)
    nationality = nationality.strip().upper()
    if population_group == PopulationGroup.HOST_COMMUNITY and not nationality:
        nationality = "TUR"
    with transaction.atomic():
        Activity.objects.select_for_update().filter(pk=activity.pk).get()
        return record_create(
            _participant(
                activity,
                number=_next_number(activity),
                name=name.strip(),
                sex=sex,
                age_group=age_group or AgeGroup.UNKNOWN,
                nationality=nationality,
                population_group=population_group,
                organisation=organisation.strip(),
                position=position.strip(),
                institution=institution,
                legal_basis=legal_basis,
                basis_note=basis_note.strip(),
                consent_given_on=timezone.localdate(),
            ),
            by=by,
        )


def participant_consent_withdraw(*, participant: Participant, by: User | None, on: datetime.date | None = None):
    """The participant withdrew their consent: a registered person's on the registry's consent record (so every
    use of it stops), a light participant's on the participant. Certificates are no longer sent to them by message."""
    from liman.registry.services import consent_withdraw

    _require_manager(by, participant.activity)
    on = on or timezone.localdate()
    with transaction.atomic():
        participant = _fresh(participant)
        if participant.consent_withdrawn:
            raise ValidationError(_("%(name)s's consent is withdrawn already.") % {"name": participant.name})
        if participant.consent_id is not None:
            consent_withdraw(consent=participant.consent, by=by, on=on)
        return record_update(participant, by=by, changes={"consent_withdrawn_on": on}, reason=_("consent withdrawn"))


def participant_scores(*, participant: Participant, by: User | None, pre_score=None, post_score=None) -> Participant:
    """The participant's pre- and post-test scores (0–100)."""
    _require_manager(by, participant.activity)
    with transaction.atomic():
        return record_update(_fresh(participant), by=by, changes={"pre_score": pre_score, "post_score": post_score})


def _fresh(participant: Participant) -> Participant:
    """The participant locked and read again: its counted facts as the attendance services left them (the caller's
    copy may be older, and saving it would put the older ones back)."""
    rows = Participant.objects.select_for_update(of=("self",)).select_related("activity", "consent")
    return rows.get(pk=participant.pk)


def month_number(day: datetime.date) -> int:
    """The month of a day as the number participants are counted by: 202612 for December 2026."""
    return day.year * 100 + day.month


def participants_refresh(*, activity: Activity, only: Iterable[int] | None = None) -> None:
    """Re-count sessions attended, the first day present and completion for the activity's participants (all, or
    `only` these ids), from the attendance rows: one grouped query and one bulk update."""
    total = activity.sessions.count()
    rows = Participant.objects.filter(activity=activity)
    if only is not None:
        rows = rows.filter(pk__in=list(only))
    stats = {
        row["participant"]: row
        for row in Attendance.objects.filter(participant__in=rows, present=True)
        .values("participant")
        .annotate(n=Count("id"), first=Min("session__held_on"))
    }
    changed, reach_keys = [], set()
    fields = ("pk", "person", "activity_type", "province", "sessions_attended", "reached_on", "reached_month",
              "completed")  # fmt: skip
    for participant in rows.only(*fields):
        row = stats.get(participant.pk, {})
        attended, first = row.get("n", 0), row.get("first")
        completed = bool(total) and attended * 100 >= activity.completion_percent * total
        values = (attended, first, month_number(first) if first else None, completed)
        current = (
            participant.sessions_attended, participant.reached_on, participant.reached_month, participant.completed
        )  # fmt: skip
        if values != current:
            old_month = participant.reached_month
            (participant.sessions_attended, participant.reached_on, participant.reached_month,
             participant.completed) = values  # fmt: skip
            changed.append(participant)
            if values[1] != current[1]:  # the first day present moved: who reached whom first may change
                reach_keys |= keys_of(
                    (participant.person_id, participant.pk, participant.activity_type, participant.province_id, month)
                    for month in (old_month, participant.reached_month)
                )
    with transaction.atomic():
        Participant.objects.bulk_update(
            changed, ["sessions_attended", "reached_on", "reached_month", "completed"], batch_size=500
        )
        # The people reached: the keys whose first presence moved are decided again, their cells counted again.
        reach_refresh(reach_keys)


# --- attendance -------------------------------------------------------------------------------------------------


def attendance_take(*, session: Session, present: Iterable[int], by: User | None) -> dict[str, int]:
    """The tick list of one session: the participants in `present` (ids) were there, every other one was not. Taken
    again, it replaces the earlier list. The activity starts with its first attendance."""
    activity = session.activity
    _require_manager(by, activity)
    _require_open(activity)
    present = set(present)
    with transaction.atomic():
        Activity.objects.select_for_update().filter(pk=activity.pk).get()
        participants = dict(Participant.objects.filter(activity=activity).values_list("pk", "number"))
        unknown = present - set(participants)
        if unknown:
            raise ValidationError(_("%(count)d ticked names are not participants of this activity.")
                                  % {"count": len(unknown)})  # fmt: skip
        before = dict(Attendance.objects.filter(session=session).values_list("participant_id", "present"))
        now = timezone.now()
        new_rows, flips = [], {True: [], False: []}
        for pk in participants:
            is_present = pk in present
            if pk not in before:
                new_rows.append(
                    Attendance(
                        session=session, participant_id=pk, office_id=activity.office_id,
                        sensitivity=activity.participants_tier, present=is_present, recorded_by=by, recorded_at=now,
                    )
                )  # fmt: skip
            elif before[pk] != is_present:
                flips[is_present].append(pk)
        Attendance.objects.bulk_create(new_rows, batch_size=500)
        for value, pks in flips.items():
            if pks:
                Attendance.objects.filter(session=session, participant_id__in=pks).update(
                    present=value, recorded_by=by, recorded_at=now, via_qr=False
                )
        was = sorted(participants[pk] for pk, value in before.items() if value and pk in participants)
        now_present = sorted(participants[pk] for pk in present)
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            obj=session,
            office=activity.office_id,
            changes={"present": [was, now_present]},
            reason=_("attendance taken"),
            sensitivity=activity.participants_tier,
        )
        participants_refresh(activity=activity)
        if activity.state == ActivityState.PLANNED:
            activity.refresh_from_db()
            transition(activity, ActivityState.ONGOING, by=by)
    return {"present": len(present), "absent": len(participants) - len(present)}


def attendance_check_in(*, session: Session, participant: Participant, by: User | None) -> Attendance:
    """One participant checked in at the session's QR: present, whatever the list said before."""
    activity = session.activity
    _require_manager(by, activity)
    _require_open(activity)
    if participant.activity_id != activity.pk:
        raise ValidationError(_("Number %(number)s is not a participant of this activity.")
                              % {"number": participant.number})  # fmt: skip
    with transaction.atomic():
        Activity.objects.select_for_update().filter(pk=activity.pk).get()
        row, created = Attendance.objects.get_or_create(
            session=session, participant=participant,
            defaults={"office_id": activity.office_id, "sensitivity": activity.participants_tier, "present": True,
                      "recorded_by": by, "via_qr": True},
        )  # fmt: skip
        if not created and not row.present:
            Attendance.objects.filter(pk=row.pk).update(present=True, recorded_by=by, via_qr=True)
            row.present = True
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            obj=session,
            office=activity.office_id,
            changes={"checked_in": [None, participant.number]},
            reason=_("QR check-in"),
            sensitivity=activity.participants_tier,
        )
        participants_refresh(activity=activity, only=[participant.pk])
        if activity.state == ActivityState.PLANNED:
            activity.refresh_from_db()
            transition(activity, ActivityState.ONGOING, by=by)
    return row


# --- certificates -----------------------------------------------------------------------------------------------


def certificate_issue(*, participant: Participant, by: User | None) -> Participant:
    """A certificate number for a participant who completed the activity (once; printing it again reuses it)."""
    activity = participant.activity
    _require_manager(by, activity)
    with transaction.atomic():
        return _certificate_issue(_fresh(participant), activity, by)


def _certificate_issue(participant: Participant, activity: Activity, by: User | None) -> Participant:
    if participant.certificate_number:
        return participant
    if not participant.completed:
        raise ValidationError(
            _("%(name)s attended %(attended)d of %(total)d sessions: the rule is %(rule)d %%.")
            % {"name": participant.name, "attended": participant.sessions_attended,
               "total": activity.sessions.count(), "rule": activity.completion_percent}
        )  # fmt: skip
    return record_update(
        participant,
        by=by,
        changes={
            "certificate_number": f"{activity.reference}-{participant.number:03d}",
            "certificate_issued_on": timezone.localdate(),
        },
        reason=_("certificate issued"),
    )


# --- equipment --------------------------------------------------------------------------------------------------


def equipment_handover_record(
    *,
    office: Office,
    institution: str,
    unit: str,
    item: str,
    quantity: int,
    donor_project: str,
    handed_over_on: datetime.date,
    by: User | None,
    unit_value=None,
    currency: str = "USD",
    activity: Activity | None = None,
) -> EquipmentHandover:
    if by is not None:
        _require(
            has_role(by, permissions.EQUIPMENT_ROLES, office=office),
            _("Your role does not record equipment handed over in this office."),
        )
    if not donor_project.strip():
        raise ValidationError({"donor_project": _("Name the donor project that paid for the equipment.")})
    return record_create(
        EquipmentHandover(
            office=office, institution=institution, unit=unit.strip(), item=item.strip(), quantity=quantity,
            unit_value=unit_value, currency=currency.upper(), donor_project=donor_project.strip(),
            handed_over_on=handed_over_on, activity=activity, recorded_by=by,
        ),
        by=by,
    )  # fmt: skip
