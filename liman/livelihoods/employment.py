"""Every write of employment, in a transaction, audited: employers, job seekers, vacancies, referrals and
placements with their 3- and 6-month follow-ups, and the work permits employers apply for with the mission's support.

A work permit for someone under temporary protection follows the regulation of January 2016: the person has been
under temporary protection for at least 6 months; works in the province where they are registered; the employer's
workers under temporary protection stay within 10 % of its Turkish employees (unless İŞKUR found no citizen for the
job); the wage is not below the minimum wage. Seasonal agriculture and livestock work needs no permit but an
exemption from the provincial directorate, outside the quota."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core.models import AdminArea, Office, User
from liman.core.services import record_create, record_update
from liman.core.workflows import state_set

from . import permissions
from .choices import TP_MONTHS_BEFORE_PERMIT, TP_QUOTA_SHARE, PermitKind, PermitState, ReferralStatus
from .models import Employer, JobSeeker, Placement, PlacementFollowUp, Referral, Vacancy, WorkPermitApplication


def minimum_wage() -> Decimal:
    """The monthly minimum wage (gross, TRY) a permit's wage is checked against (`LIMAN_MINIMUM_WAGE`)."""
    return Decimal(str(settings.LIMAN_MINIMUM_WAGE))


def _manager(by: User | None, office_id: int) -> None:
    if by is not None and not permissions.may_manage(by, office_id):
        raise PermissionDenied(_("Your role does not support employment in this office."))


def employer_add(
    *, office: Office, name: str, province: AdminArea, sector: str, by: User | None, tax_number: str = "",
    turkish_employees: int = 0, quota_exception: bool = False,
) -> Employer:  # fmt: skip
    _manager(by, office.pk)
    return record_create(
        Employer(office=office, name=name.strip(), province=province, sector=sector, tax_number=tax_number.strip(),
                 turkish_employees=turkish_employees, quota_exception=quota_exception),
        by=by,
    )  # fmt: skip


def job_seeker_register(*, person, skills: str, by: User | None, languages: str = "") -> JobSeeker:
    _manager(by, person.office_id)
    if hasattr(person, "job_seeker"):
        raise ValidationError(_("%(name)s already has a job-seeker profile.") % {"name": person.full_name})
    return record_create(
        JobSeeker(office_id=person.office_id, person=person, skills=skills.strip(), languages=languages.strip()), by=by
    )


def vacancy_open(
    *, employer: Employer, title: str, monthly_wage, by: User | None, positions: int = 1,
    seasonal_agriculture: bool = False,
) -> Vacancy:  # fmt: skip
    _manager(by, employer.office_id)
    return record_create(
        Vacancy(employer=employer, office_id=employer.office_id, title=title.strip(), positions=positions,
                monthly_wage=monthly_wage, seasonal_agriculture=seasonal_agriculture),
        by=by,
    )  # fmt: skip


def refer(*, seeker: JobSeeker, vacancy: Vacancy, by: User | None) -> Referral:
    _manager(by, seeker.office_id)
    if Referral.objects.filter(seeker=seeker, vacancy=vacancy).exists():
        raise ValidationError(_("%(name)s was already referred to this vacancy.") % {"name": seeker.person.full_name})
    return record_create(Referral(seeker=seeker, vacancy=vacancy, office_id=seeker.office_id), by=by)


def referral_not_hired(*, referral: Referral, by: User | None, reason: str) -> Referral:
    _manager(by, referral.office_id)
    if referral.status != ReferralStatus.REFERRED:
        raise ValidationError(_("The referral was already closed."))
    return state_set(referral, field="status", new=ReferralStatus.NOT_HIRED, by=by, reason=reason)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def place(*, referral: Referral, started_on: datetime.date, monthly_wage, by: User | None) -> Placement:
    """The person was hired: the placement, with its follow-ups due 3 and 6 months after the start."""
    _manager(by, referral.office_id)
    if referral.status != ReferralStatus.REFERRED:
        raise ValidationError(_("Only an open referral ends in a placement."))
    with transaction.atomic():
        state_set(referral, field="status", new=ReferralStatus.PLACED, by=by)
        placement = record_create(
            Placement(referral=referral, office_id=referral.office_id, started_on=started_on,
                      monthly_wage=Decimal(monthly_wage)),
            by=by,
        )  # fmt: skip
        for months in (3, 6):
            record_create(
                PlacementFollowUp(placement=placement, office_id=referral.office_id, months=months,
                                  due_on=_add_months(started_on, months)),
                by=by,
            )  # fmt: skip
    return placement


def follow_up_record(
    *, follow_up: PlacementFollowUp, still_employed: bool, by: User | None, note: str = "", done_on=None
) -> PlacementFollowUp:
    _manager(by, follow_up.office_id)
    return record_update(
        follow_up, by=by,
        changes={"done_on": done_on or timezone.localdate(), "still_employed": still_employed, "note": note.strip()},
    )  # fmt: skip


# --- work permits -------------------------------------------------------------------------------------------------


def _under_tp_since(person) -> datetime.date | None:
    from liman.registry.choices import LegalStatusType

    starts = [
        status.started_on
        for status in person.legal_statuses.all()
        if status.status == LegalStatusType.TEMPORARY_PROTECTION and status.ended_on is None and status.started_on
    ]
    return min(starts) if starts else None


def quota_left(employer: Employer) -> int | None:
    """How many more workers under temporary protection the employer may take on (None: no quota applies)."""
    if employer.quota_exception:
        return None
    allowed = math.floor(employer.turkish_employees * TP_QUOTA_SHARE)
    used = employer.permits.filter(kind=PermitKind.PERMIT).exclude(state=PermitState.REFUSED).count()
    return max(0, allowed - used)


def permit_problems(*, person, employer: Employer, kind: str, monthly_wage, on: datetime.date) -> list[str]:
    """Why the employer's application would be refused, in the caseworker's words (empty: it may go ahead)."""
    problems = []
    since = _under_tp_since(person)
    if since is not None and kind == PermitKind.PERMIT:
        if _add_months(since, TP_MONTHS_BEFORE_PERMIT) > on:
            problems.append(_("Under temporary protection since %(since)s: a permit may be applied for from %(from)s.")
                            % {"since": since, "from": _add_months(since, TP_MONTHS_BEFORE_PERMIT)})  # fmt: skip
        left = quota_left(employer)
        if left == 0:
            problems.append(_("%(employer)s employs %(count)d Turkish citizens: its quota of workers under temporary "
                              "protection (10 %%) is used up, unless İŞKUR finds no citizen for the job.")
                            % {"employer": employer.name, "count": employer.turkish_employees})  # fmt: skip
    membership = getattr(person, "membership", None)
    district = membership.household.district if membership is not None else None
    if since is not None and district is not None and district.parent_id != employer.province_id:
        problems.append(_("The person is registered in %(province)s; the workplace is in %(workplace)s.")
                        % {"province": district.parent.name, "workplace": employer.province.name})  # fmt: skip
    if Decimal(monthly_wage) < minimum_wage():
        problems.append(_("The wage is below the minimum wage (%(wage)s TRY).") % {"wage": minimum_wage()})
    return problems


def permit_prepare(
    *, person, employer: Employer, monthly_wage, by: User | None, placement: Placement | None = None,
    seasonal_agriculture: bool = False,
) -> WorkPermitApplication:  # fmt: skip
    """Prepare the employer's application (a permit, or for seasonal agriculture the exemption), checked against
    the rules first."""
    _manager(by, employer.office_id)
    kind = PermitKind.SEASONAL_EXEMPTION if seasonal_agriculture else PermitKind.PERMIT
    problems = permit_problems(person=person, employer=employer, kind=kind, monthly_wage=monthly_wage,
                               on=timezone.localdate())  # fmt: skip
    if problems:
        raise ValidationError(problems)
    return record_create(
        WorkPermitApplication(office_id=employer.office_id, person=person, employer=employer, placement=placement,
                              kind=kind, monthly_wage=Decimal(monthly_wage)),
        by=by,
    )  # fmt: skip


def permit_submit(*, permit: WorkPermitApplication, submitted_on: datetime.date, by: User | None):
    _manager(by, permit.office_id)
    if permit.state != PermitState.PREPARED:
        raise ValidationError(_("The application was already submitted."))
    return state_set(permit, field="state", new=PermitState.SUBMITTED, by=by, changes={"submitted_on": submitted_on})


def permit_decide(
    *, permit: WorkPermitApplication, granted: bool, decided_on: datetime.date, by: User | None, reference: str = "",
    reason: str = "",
):  # fmt: skip
    _manager(by, permit.office_id)
    if permit.state != PermitState.SUBMITTED:
        raise ValidationError(_("Record the decision once the employer has submitted the application."))
    if granted and not reference.strip():
        raise ValidationError({"decision_reference": _("Give the permit's (or the exemption's) reference.")})
    new = PermitState.GRANTED if granted else PermitState.REFUSED
    return state_set(permit, field="state", new=new, by=by, reason=reason,
                     changes={"decided_on": decided_on, "decision_reference": reference.strip()})  # fmt: skip
