"""Every write of grants, in a transaction, audited: calls with criteria and panel, applications, conflicts of
interest, scores, the committee's decision (four eyes: never by whoever prepared the application), agreements with
tranches, milestones and payments (each status change with its history), monitoring visits."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core.access import has_role
from liman.core.models import Office, User
from liman.core.services import new_reference, record_create, record_update
from liman.core.workflows import state_set, transition

from . import permissions
from .choices import ApplicationState, TrancheStatus
from .models import (
    ConflictDeclaration,
    Criterion,
    GrantAgreement,
    GrantApplication,
    GrantCall,
    MonitoringVisit,
    PanelMember,
    Score,
    Tranche,
)
from .scoring import weighted_score


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _manager(by: User | None, office_id: int) -> None:
    if by is not None:
        _require(permissions.may_manage(by, office_id), _("Your role does not run grants in this office."))


# --- calls ------------------------------------------------------------------------------------------------------


def call_open(
    *, office: Office, title: str, opens_on: datetime.date, closes_on: datetime.date, max_amount, by: User | None,
    currency: str = "TRY", donor_project: str = "",
) -> GrantCall:  # fmt: skip
    _manager(by, office.pk)
    return record_create(
        GrantCall(
            office=office, reference=new_reference(f"CALL-{office.code}", GrantCall, length=5), title=title.strip(),
            opens_on=opens_on, closes_on=closes_on, max_amount=max_amount, currency=currency.upper(),
            donor_project=donor_project.strip(), created_by=by,
        ),
        by=by,
    )  # fmt: skip


def criterion_add(*, call: GrantCall, name: str, weight: int, by: User | None, max_score: int = 10) -> Criterion:
    """A scoring criterion; the weights of a call add up to at most 100 (exactly 100 before scoring starts)."""
    _manager(by, call.office_id)
    with transaction.atomic():
        GrantCall.objects.select_for_update().filter(pk=call.pk).get()
        if call.applications.exclude(state=ApplicationState.SUBMITTED).exists():
            raise ValidationError(_("Scoring has started: the criteria no longer change."))
        used = sum(call.criteria.values_list("weight", flat=True))
        if used + weight > 100:
            raise ValidationError({"weight": _("The weights would add up to %(total)d %%: at most 100.")
                                   % {"total": used + weight}})  # fmt: skip
        return record_create(Criterion(call=call, name=name.strip(), weight=weight, max_score=max_score), by=by)


def panel_add(*, call: GrantCall, member: User, by: User | None) -> PanelMember:
    _manager(by, call.office_id)
    if not has_role(member, permissions.PANEL_ROLES, office=call.office_id):
        raise ValidationError({"member": _("%(name)s holds no role of the office that sits on a panel.")
                               % {"name": member.display_name}})  # fmt: skip
    if call.panel.filter(member=member).exists():
        raise ValidationError({"member": _("%(name)s is already on the panel.") % {"name": member.display_name}})
    return record_create(PanelMember(call=call, member=member), by=by)


# --- applications -----------------------------------------------------------------------------------------------


@dataclass
class ApplicationInput:
    business_name: str
    sector: str
    registration: str
    requested_amount: Decimal
    owner: object | None = None  # a registered Person
    owner_name: str = ""
    owner_sex: str = ""
    owner_nationality: str = ""
    tax_kind: str = ""
    tax_number: str = ""
    employees: dict | None = None  # {"syrian_f": 2, "turkish_m": 1, ...}
    plan: str = ""


def application_submit(*, call: GrantCall, data: ApplicationInput, by: User | None) -> GrantApplication:
    """Register a business's application; a registered owner brings name, sex and nationality from the registry."""
    _manager(by, call.office_id)
    owner = data.owner
    if owner is not None and by is not None:
        _require(owner.__class__.objects.visible_to(by).filter(pk=owner.pk).exists(), _("You cannot see this person."))
    employees = {f"employees_{key}": value for key, value in (data.employees or {}).items()}
    unknown = set(employees) - {f"employees_{g}_{s}" for g in ("syrian", "other", "turkish") for s in "fm"}
    if unknown:
        raise ValidationError(_("Unknown employee groups: %(groups)s.") % {"groups": ", ".join(sorted(unknown))})
    return record_create(
        GrantApplication(
            call=call, office_id=call.office_id, reference=new_reference(f"GR-{call.office.code}", GrantApplication),
            business_name=data.business_name.strip(), owner=owner,
            owner_name=owner.full_name if owner else data.owner_name.strip(),
            owner_sex=owner.sex if owner else data.owner_sex,
            owner_nationality=(owner.nationality if owner else data.owner_nationality).upper(),
            sector=data.sector, registration=data.registration, tax_kind=data.tax_kind,
            tax_number=data.tax_number.strip(), requested_amount=data.requested_amount, plan=data.plan.strip(),
            prepared_by=by, **employees,
        ),
        by=by,
    )  # fmt: skip


def application_to_panel(*, application: GrantApplication, by: User | None) -> GrantApplication:
    transition(application, ApplicationState.SCORING, by=by)
    return application


def conflict_declare(*, application: GrantApplication, member: User, note: str) -> ConflictDeclaration:
    """A panel member declares a conflict of interest (a relative, a business partner …): they do not score it, and
    any score they gave is withdrawn."""
    if not application.call.panel.filter(member=member).exists():
        raise PermissionDenied(_("Only a member of the call's panel declares a conflict on it."))
    if not note.strip():
        raise ValidationError({"note": _("Say what the conflict is.")})
    with transaction.atomic():
        declaration = record_create(ConflictDeclaration(application=application, member=member, note=note.strip()),
                                    by=member)  # fmt: skip
        for score in application.scores.filter(member=member):
            from liman.core.services import record_delete

            record_delete(score, by=member, reason=_("conflict of interest declared"))
    return declaration


def scores_record(*, application: GrantApplication, member: User, values: dict[int, int]) -> list[Score]:
    """One panel member's scores of the application (criterion id → score), given on their own: never for someone
    else, never with a declared conflict, only while it is with the panel."""
    if application.state != ApplicationState.SCORING:
        raise ValidationError(_("The application is not with the panel."))
    if not application.call.panel.filter(member=member).exists():
        raise PermissionDenied(_("Only a member of the call's panel scores its applications."))
    if application.conflicts.filter(member=member).exists():
        raise PermissionDenied(_("You declared a conflict of interest with this application: you do not score it."))
    criteria = {criterion.pk: criterion for criterion in application.call.criteria.all()}
    if set(values) != set(criteria):
        raise ValidationError(_("Score every criterion of the call."))
    saved = []
    with transaction.atomic():
        for criterion_id, value in values.items():
            existing = application.scores.filter(member=member, criterion_id=criterion_id).first()
            if existing is None:
                saved.append(record_create(Score(application=application, criterion=criteria[criterion_id],
                                                 member=member, value=value), by=member))  # fmt: skip
            else:
                saved.append(record_update(existing, by=member, changes={"value": value}))
    return saved


def scoring_close(*, application: GrantApplication, by: User | None) -> GrantApplication:
    """Every member without a conflict has scored: the weighted score is set and the application goes to the
    committee."""
    with transaction.atomic():
        transition(application, ApplicationState.SCORED, by=by)
        application.refresh_from_db()
        return record_update(application, by=by, changes={"score": weighted_score(application)})


def _four_eyes(application: GrantApplication, by: User | None) -> None:
    if by is None:
        return
    _require(permissions.may_approve(by, application.office_id), _("Your role does not sit on the committee."))
    if application.prepared_by_id == by.pk:
        raise PermissionDenied(_("You prepared this application: another committee member decides on it."))
    if application.conflicts.filter(member=by).exists():
        raise PermissionDenied(_("You declared a conflict of interest with this application."))


def application_approve(*, application: GrantApplication, by: User | None, reason: str = "") -> GrantApplication:
    _four_eyes(application, by)
    with transaction.atomic():
        transition(application, ApplicationState.APPROVED, by=by, reason=reason)
        application.refresh_from_db()
        return record_update(application, by=by, changes={"decided_by": by, "decided_at": timezone.now()})


def application_reject(*, application: GrantApplication, by: User | None, reason: str) -> GrantApplication:
    _four_eyes(application, by)
    with transaction.atomic():
        transition(application, ApplicationState.REJECTED, by=by, reason=reason)
        application.refresh_from_db()
        return record_update(application, by=by, changes={"decided_by": by, "decided_at": timezone.now()})


def application_withdraw(*, application: GrantApplication, by: User | None, reason: str) -> GrantApplication:
    transition(application, ApplicationState.WITHDRAWN, by=by, reason=reason)
    return application


# --- agreements, tranches, visits ---------------------------------------------------------------------------------


def agreement_sign(
    *, application: GrantApplication, amount, tranches: list[tuple[Decimal, str]], signed_on: datetime.date,
    by: User | None,
) -> GrantAgreement:  # fmt: skip
    """The grant agreement of an approved application, with its tranches (amount, milestone) adding up to the
    grant; the application moves to "agreement signed"."""
    _manager(by, application.office_id)
    amount = Decimal(amount)
    if application.state != ApplicationState.APPROVED:
        raise ValidationError(_("Only an approved application gets an agreement."))
    if amount <= 0 or amount > application.requested_amount:
        raise ValidationError({"amount": _("The grant is more than zero and at most the amount requested.")})
    if not tranches:
        raise ValidationError({"tranches": _("Plan at least one tranche.")})
    total = sum((Decimal(part) for part, _milestone in tranches), Decimal(0))
    if total != amount:
        raise ValidationError({"tranches": _("The tranches add up to %(total)s, not the grant's %(amount)s.")
                               % {"total": total, "amount": amount}})  # fmt: skip
    with transaction.atomic():
        agreement = record_create(
            GrantAgreement(application=application, reference=new_reference(f"GA-{application.office.code}",
                           GrantAgreement), amount=amount, signed_on=signed_on, signed_by=by),
            by=by,
        )  # fmt: skip
        for number, (part, milestone) in enumerate(tranches, 1):
            if not milestone.strip():
                raise ValidationError({"tranches": _("Tranche %(number)d has no milestone.") % {"number": number}})
            tranche = Tranche(agreement=agreement, number=number, amount=Decimal(part), milestone=milestone.strip())
            record_create(tranche, by=by)
        transition(application, ApplicationState.CONTRACTED, by=by)
    return agreement


def tranche_milestone_met(*, tranche: Tranche, evidence: str, met_on: datetime.date, by: User | None) -> Tranche:
    _manager(by, tranche.agreement.application.office_id)
    if tranche.status != TrancheStatus.PLANNED:
        raise ValidationError(_("The milestone of this tranche was already recorded."))
    if not evidence.strip():
        raise ValidationError({"milestone_evidence": _("Say what shows the milestone is met.")})
    office_id = tranche.agreement.application.office_id
    return state_set(
        tranche, field="status", new=TrancheStatus.DUE, by=by, office_id=office_id,
        changes={"milestone_met_on": met_on, "milestone_evidence": evidence.strip()},
    )  # fmt: skip


def tranche_pay(*, tranche: Tranche, paid_on: datetime.date, payment_reference: str, by: User | None) -> Tranche:
    """Record a tranche paid: its milestone met, every earlier tranche paid first."""
    application = tranche.agreement.application
    if by is not None:
        _require(has_role(by, permissions.GRANT_PAY_ROLES, office=application.office_id),
                 _("Your role does not record grant payments."))  # fmt: skip
    if tranche.status != TrancheStatus.DUE:
        raise ValidationError(_("A tranche is paid once its milestone is met."))
    if tranche.provider and tranche.payment_status:
        raise ValidationError(_("This tranche is paid through %(provider)s: its report records the payment.")
                              % {"provider": tranche.provider})  # fmt: skip
    if tranche.agreement.tranches.filter(number__lt=tranche.number).exclude(status=TrancheStatus.PAID).exists():
        raise ValidationError(_("Pay the earlier tranches first."))
    if not payment_reference.strip():
        raise ValidationError({"payment_reference": _("Give the payment's reference (bank or provider).")})
    return state_set(
        tranche, field="status", new=TrancheStatus.PAID, by=by, office_id=application.office_id,
        changes={"paid_on": paid_on, "payment_reference": payment_reference.strip()},
    )  # fmt: skip


# --- tranches paid through the cash part: approved, sent in a signed provider file, reconciled from its report ----


def _milestone_recorder(tranche: Tranche) -> int | None:
    from liman.core.workflows import history

    change = history(tranche).filter(from_state=TrancheStatus.PLANNED, to_state=TrancheStatus.DUE).first()
    return change.by_id if change is not None else None


def _require_provider_sharing(application) -> None:
    """A registered owner who withdrew their consent to share with the payment provider (and did not give it again)
    is not sent to the provider: the grant agreement is the basis of paying the owner, and the withdrawal stops the
    sharing it covered (a tranche not yet approved for the provider can still be paid by hand, `tranche_pay`)."""
    from liman.registry.choices import ConsentPurpose
    from liman.registry.consent import withdrawn

    if application.owner_id is None:
        return
    stopped = withdrawn(application.owner_id, purposes=[ConsentPurpose.SHARING_PAYMENT_PROVIDER])
    if stopped:
        raise ValidationError(
            _("The owner withdrew their consent to share with the payment provider on %(on)s: record their consent "
              "again before the tranche goes to the provider.") % {"on": stopped[0]["on"].isoformat()}
        )  # fmt: skip


def tranche_payable(*, tranche: Tranche, provider: str, by: User | None) -> Tranche:
    """Approve a tranche whose milestone is met for payment through a cash payment provider: the approver is never
    who recorded the milestone (four eyes); the payment's reference is what the provider's report will carry."""
    from liman.cash.choices import PaymentStatus
    from liman.cash.providers import provider_for

    application = tranche.agreement.application
    if by is not None:
        _require(permissions.may_approve(by, application.office_id),
                 _("Only the committee or a cash approver approves a grant payment."))  # fmt: skip
        _require(_milestone_recorder(tranche) != by.pk,
                 _("Whoever recorded the milestone does not approve its payment: a second person does."))  # fmt: skip
    if tranche.status != TrancheStatus.DUE:
        raise ValidationError(_("A tranche is sent for payment once its milestone is met, and once."))
    if tranche.agreement.tranches.filter(number__lt=tranche.number).exclude(status=TrancheStatus.PAID).exists():
        raise ValidationError(_("Pay the earlier tranches first."))
    try:
        provider_for(provider)
    except ValueError as exc:
        raise ValidationError({"provider": str(exc)}) from exc
    _require_provider_sharing(application)
    return state_set(
        tranche, field="status", new=TrancheStatus.PAYABLE, by=by, office_id=application.office_id,
        changes={"provider": provider, "approved_by": by, "payment_status": PaymentStatus.LISTED,
                 "payment_reference": f"{tranche.agreement.reference}-T{tranche.number}"},
    )  # fmt: skip


def tranche_payment_file(*, tranche: Tranche, by: User | None) -> tuple[bytes, str]:
    """The provider's payment file of one approved tranche, in the provider's own format, and its detached
    signature (the cash part's key: `liman cash verify-file` checks it); each export is audited."""
    from liman.cash.choices import PaymentStatus
    from liman.cash.providers import provider_for
    from liman.core import audit, crypto
    from liman.core.choices import AuditAction

    application = tranche.agreement.application
    if by is not None:
        _require(has_role(by, permissions.GRANT_PAY_ROLES, office=application.office_id),
                 _("Your role does not send grant payments."))  # fmt: skip
    if tranche.status != TrancheStatus.PAYABLE or tranche.payment_status != PaymentStatus.LISTED:
        raise ValidationError(_("Only a tranche approved for payment and not yet reported on is sent to the provider."))
    _require_provider_sharing(application)
    line = {
        "reference": tranche.payment_reference,
        "name": f"{application.owner_name} · {application.business_name}",
        "foreigner_id": "",
        "phone": "",
        "amount": str(tranche.amount),
        "currency": application.call.currency,
    }
    data = provider_for(tranche.provider).write([line])
    signature = crypto.payment_sign(data)
    audit.record(AuditAction.EXPORT, actor=by, obj=tranche,
                 reason=_("Payment file for %(provider)s") % {"provider": tranche.provider})  # fmt: skip
    return data, signature


def tranche_reconcile_rows(*, office: Office, rows, by: User | None) -> dict[str, int]:
    """Mark tranches from a provider's report (rows checked by the importer first: reference, amount, status, date,
    transaction id): paid → the tranche is paid; failed or uncollected → due again, to be sent once more."""
    from liman.cash.choices import PaymentStatus

    counts = {str(status): 0 for status in (PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.UNCOLLECTED)}
    with transaction.atomic():
        tranches = {
            t.payment_reference: t
            for t in Tranche.objects.select_for_update().filter(
                agreement__application__office=office, status=TrancheStatus.PAYABLE,
                payment_reference__in=[row["reference"] for row in rows],
            )
        }  # fmt: skip
        for row in rows:
            tranche = tranches.get(row["reference"])
            if tranche is None:
                raise ValidationError(
                    _("%(ref)s is not a grant payment waiting for its outcome.") % {"ref": row["reference"]}
                )
            status = row["status"]
            changes = {"payment_status": status, "transaction_id": row.get("transaction_id", "")[:64]}
            if status == PaymentStatus.PAID:
                changes["paid_on"] = datetime.date.fromisoformat(row["date"])
                state_set(tranche, field="status", new=TrancheStatus.PAID, by=by, office_id=office.pk, changes=changes)
            else:
                reason = _("The provider reported it %(status)s.") % {"status": PaymentStatus(status).label}
                state_set(tranche, field="status", new=TrancheStatus.DUE, by=by, office_id=office.pk, changes=changes,
                          reason=reason)  # fmt: skip
            counts[status] += 1
    return counts


def visit_record(
    *, agreement: GrantAgreement, visited_on: datetime.date, jobs_created: int, jobs_retained: int, by: User | None,
    still_operating: bool = True, note: str = "",
) -> MonitoringVisit:  # fmt: skip
    _manager(by, agreement.application.office_id)
    return record_create(
        MonitoringVisit(agreement=agreement, visited_on=visited_on, jobs_created=jobs_created,
                        jobs_retained=jobs_retained, still_operating=still_operating, note=note.strip(),
                        visited_by=by),
        by=by,
    )  # fmt: skip


def visit_from_submission(*, submission, values: dict, by: User | None) -> MonitoringVisit:
    """Record one submission of the shipped form `liman_msme_visit` as a monitoring visit of the grant it names (in
    the submission's transaction): jobs created and retained by nationality and sex, the business open or not, the
    milestone's evidence photo. Refused, naming the question: no grant of the submission's office by that reference.
    An edit of the submission that recorded a visit replaces that visit's answers."""
    from .choices import JOB_GROUPS, YesNo

    reference = str(values["grant"]).strip().upper()
    agreement = (
        GrantAgreement.objects.filter(application__office_id=submission.office_id)
        .filter(Q(reference=reference) | Q(application__reference=reference))
        .first()
    )
    if agreement is None:
        raise ValidationError(
            {"grant": _("%(reference)s is not a grant agreement of this office.") % {"reference": reference}}
        )
    by_group = {
        kind: {group: int(values.get(f"{kind}_{group}") or 0) for group in JOB_GROUPS}
        for kind in ("created", "retained")
    }
    fields = {
        "visited_on": values.get("visited_on") or timezone.localdate(submission.received_at),
        "jobs_created": sum(by_group["created"].values()),
        "jobs_retained": sum(by_group["retained"].values()),
        "jobs_by_group": by_group,
        "still_operating": values["business_open"] == YesNo.YES,
        "note": str(values.get("note") or "")[:2000],
        "evidence_photo": str(values.get("milestone_photo") or "")[:255],
        "submission": submission,
    }
    earlier = (
        MonitoringVisit.objects.select_for_update()
        .filter(agreement__application__office_id=submission.office_id,
                submission__root_instance_id=submission.root_instance_id)
        .exclude(submission__isnull=True)
        .first()
    )  # fmt: skip
    if earlier is not None:
        if earlier.agreement_id != agreement.pk:
            fields["agreement"] = agreement
        return record_update(earlier, by=by, changes=fields)
    return record_create(MonitoringVisit(agreement=agreement, visited_by=by, **fields), by=by)


def visit_form_publish(*, office: Office, by: User | None):
    """Publish the shipped form `liman_msme_visit` in the office (bound on upload to monitoring visits): the field
    users' phones get it. Once per office; the version stored is returned when it is there already."""
    from pathlib import Path

    from liman.dtm import services as dtm
    from liman.dtm.models import FormVersion

    from .choices import MSME_VISIT_FORM_ID

    _manager(by, office.pk)
    existing = FormVersion.objects.filter(form__office=office, form__form_id=MSME_VISIT_FORM_ID).order_by("-id").first()
    if existing is not None:
        return existing
    form_file = Path(__file__).resolve().parents[1] / "dtm" / "data" / "forms" / f"{MSME_VISIT_FORM_ID}.xlsx"
    return dtm.form_upload(office=office, content=form_file.read_bytes(), file_name=form_file.name, by=by)


def application_complete(*, application: GrantApplication, by: User | None) -> GrantApplication:
    transition(application, ApplicationState.COMPLETED, by=by)
    return application
