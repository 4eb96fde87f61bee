"""Every write of the cash app, in a transaction, audited.

Money moves on these rules, enforced here and tested (the pages only call them):
- a rule version is never changed; each enrolment and payment keeps the version it was computed with;
- one payment per household per cycle (a database constraint), and households paid elsewhere, listed twice under
  two references or on a partner's list are held at verification (record linkage on names, dates, IDs, phones);
- the list is approved by a second person, never its preparer; approval freezes it (a sealed snapshot of each
  payment and the list's hash), and no service changes a frozen list;
- the provider's file names each household's head: a household is on it only while the head's consent to share
  with the payment provider is in force (held back at verification, put back once given again; a withdrawal after
  approval holds it back when the file is written);
- a provider report is reconciled row by row (unknown references, changed amounts, a household twice, outcomes
  for payments not on the list are refused with reasons); the cycle reconciles when paid + failed + uncollected
  equals the list.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.models import Office, User
from liman.core.services import record_create, record_create_many, record_update
from liman.core.workflows import record_state_changes, state_set, transition

from . import permissions, rules
from .choices import FROZEN_STATES, OFF_LIST, CycleState, EnrolmentEnd, PaymentStatus
from .models import CashProgramme, Enrolment, Payment, PaymentCycle, RuleVersion, TargetingResult, TargetingRun


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _rule_problems(eligibility: str, transfer_value: str) -> None:
    errors = {}
    for field, text, kind in (
        ("eligibility", eligibility, "eligibility"),
        ("transfer_value", transfer_value, "transfer_value"),
    ):
        try:
            rules.compile_rule(text, kind=kind)
        except rules.RuleProblem as exc:
            errors[field] = str(exc)
    if errors:
        raise ValidationError(errors)


# --- programmes and rules -----------------------------------------------------------------------------------


def programme_create(
    *,
    code: str,
    name: str,
    offices: Sequence[Office],
    eligibility: str,
    transfer_value: str,
    by: User | None,
    currency: str = "TRY",
) -> CashProgramme:
    if by is not None:
        _require(
            all(permissions.may_prepare(by, office) for office in offices),
            _("Only programme officers of every office named create a cash programme."),
        )
    if not offices:
        raise ValidationError({"offices": _("Name the offices the programme runs in.")})
    _rule_problems(eligibility, transfer_value)
    with transaction.atomic():
        programme = record_create(
            CashProgramme(code=code.strip().upper(), name=name.strip(), currency=currency.upper(), created_by=by),
            by=by,
        )
        programme.offices.set(offices)
        rules_add(programme=programme, eligibility=eligibility, transfer_value=transfer_value, note="", by=by)
    return programme


def rules_add(
    *, programme: CashProgramme, eligibility: str, transfer_value: str, note: str, by: User | None
) -> RuleVersion:
    """A new version of the programme's rules (the old ones stay, with the payments computed under them)."""
    if by is not None:
        _require(
            any(permissions.may_prepare(by, office) for office in programme.offices.all()),
            _("Only the programme's officers change its rules."),
        )
    _rule_problems(eligibility, transfer_value)
    with transaction.atomic():
        CashProgramme.objects.select_for_update().get(pk=programme.pk)
        last = programme.rule_versions.order_by("-number").values_list("number", flat=True).first() or 0
        return record_create(
            RuleVersion(
                programme=programme,
                number=last + 1,
                eligibility=eligibility.strip(),
                transfer_value=transfer_value.strip(),
                note=note.strip()[:300],
                created_by=by,
            ),
            by=by,
        )


# --- targeting and enrolment --------------------------------------------------------------------------------

#: Households evaluated per batch (facts are read a batch at a time).
TARGETING_BATCH = 5_000


def targeting_run(
    *,
    programme: CashProgramme,
    office: Office,
    by: User | None,
    progress: Callable[[int, int], None] | None = None,
    run: TargetingRun | None = None,
) -> TargetingRun:
    """Run the programme's current rules over the office's registered households: one result per household (eligible
    or not, the amount, and each clause met or not). Results are derived data: the run's audit event records what
    was run and the counts, not each row."""
    from liman.registry.models import Household

    if by is not None:
        _require(permissions.may_prepare(by, office), _("Only the office's programme officers run targeting."))
    if not programme.offices.filter(pk=office.pk).exists():
        raise ValidationError(
            _("%(programme)s does not run in %(office)s.") % {"programme": programme, "office": office}
        )
    # A queued run keeps the rules it was started with (a version added meanwhile waits for the next run).
    version = run.rules if run is not None else programme.current_rules
    compiled = rules.CompiledRules(version.eligibility, version.transfer_value)
    if run is None:
        run = record_create(
            TargetingRun(
                programme=programme, office=office, rules=version, started_by=by, clauses=compiled.clause_words
            ),
            by=by,
        )
    elif not run.clauses:
        run = record_update(run, by=by, changes={"clauses": compiled.clause_words})
    ids = list(
        Household.objects.filter(office=office, members__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    eligible = 0
    if progress is not None:
        progress(0, len(ids))
    for start in range(0, len(ids), TARGETING_BATCH):
        chunk = ids[start : start + TARGETING_BATCH]
        facts = rules.household_facts(chunk, programme_id=programme.pk)
        results = []
        for household_id in chunk:
            outcome = compiled.evaluate(facts[household_id])
            eligible += outcome.eligible
            results.append(
                TargetingResult(
                    run=run,
                    household_id=household_id,
                    eligible=outcome.eligible,
                    amount=outcome.amount,
                    met=list(outcome.met),
                )
            )
        TargetingResult.objects.bulk_create(results, batch_size=2_000)
        if progress is not None:
            progress(min(start + TARGETING_BATCH, len(ids)), len(ids))
    return record_update(
        run, by=by, changes={"households": len(ids), "eligible": eligible, "finished_at": timezone.now()}
    )


def targeting_run_start(*, programme: CashProgramme, office: Office, by: User) -> TargetingRun:
    """Queue a run of the programme's current rules over the office's households: it runs in the background
    (`tasks.targeting_run_task`), its page showing a progress bar."""
    from liman.core.services import task_progress_start

    from .tasks import targeting_run_task

    _require(permissions.may_prepare(by, office), _("Only the office's programme officers run targeting."))
    if not programme.offices.filter(pk=office.pk).exists():
        raise ValidationError(
            _("%(programme)s does not run in %(office)s.") % {"programme": programme, "office": office}
        )
    version = programme.current_rules
    clause_words = rules.CompiledRules(version.eligibility, version.transfer_value).clause_words
    with transaction.atomic():
        CashProgramme.objects.select_for_update().get(pk=programme.pk)
        progress = task_progress_start(
            name=_("Targeting %(programme)s in %(office)s") % {"programme": programme.code, "office": office.code},
            owner=by,
            office=office,
        )
        run = record_create(
            TargetingRun(
                programme=programme,
                office=office,
                rules=version,
                started_by=by,
                progress=progress,
                clauses=clause_words,
            ),
            by=by,
        )
        transaction.on_commit(lambda: targeting_run_task.enqueue(run.pk))
    return run


def enrol(*, run: TargetingRun, by: User | None, household_ids: Iterable[int] | None = None) -> list[Enrolment]:
    """Enrol the run's eligible households (all, or those named) not already enrolled in the programme."""
    if by is not None:
        _require(permissions.may_prepare(by, run.office_id), _("Only the office's programme officers enrol."))
    if run.finished_at is None:
        raise ValidationError(_("The targeting run has not finished."))
    results = run.results.filter(eligible=True)
    if household_ids is not None:
        results = results.filter(household_id__in=list(household_ids))
    enrolled = set(
        Enrolment.objects.filter(programme=run.programme, ended_on__isnull=True).values_list("household_id", flat=True)
    )
    new = [
        Enrolment(
            programme=run.programme,
            office_id=run.office_id,
            household_id=result.household_id,
            rules=run.rules,
            amount=result.amount,
            enrolled_by=by,
        )
        for result in results.only("household_id", "amount")
        if result.household_id not in enrolled
    ]
    with transaction.atomic():
        return record_create_many(Enrolment, new, by=by)


def enrolments_review(*, programme: CashProgramme, office: Office, by: User | None) -> dict[str, int]:
    """End the enrolments of households that left the country or whose head's legal status ended."""
    active = list(Enrolment.objects.filter(programme=programme, office=office, ended_on__isnull=True))
    facts: dict[int, dict] = {}
    ids = sorted(e.household_id for e in active)
    for start in range(0, len(ids), TARGETING_BATCH):  # a batch at a time, as targeting reads them
        facts.update(rules.household_facts(ids[start : start + TARGETING_BATCH], programme_id=programme.pk))
    ended = {EnrolmentEnd.DEPARTED: [], EnrolmentEnd.STATUS_ENDED: []}
    for enrolment in active:
        known = facts.get(enrolment.household_id)
        if known is None:
            continue
        if known["departed"]:
            ended[EnrolmentEnd.DEPARTED].append(enrolment)
        elif not known["legal_status_current"]:
            ended[EnrolmentEnd.STATUS_ENDED].append(enrolment)
    today = timezone.localdate()
    with transaction.atomic():
        for reason, rows in ended.items():
            if not rows:
                continue
            Enrolment.objects.filter(pk__in=[e.pk for e in rows]).update(ended_on=today, end_reason=reason)
            audit.record_many(
                AuditAction.UPDATE,
                rows,
                actor=by,
                reason=str(EnrolmentEnd(reason).label),
                changes=lambda e, reason=reason: {"ended_on": [None, today.isoformat()], "end_reason": ["", reason]},
            )
    return {str(reason): len(rows) for reason, rows in ended.items()}


# --- payment cycles -----------------------------------------------------------------------------------------


def _frozen(cycle: PaymentCycle) -> None:
    if cycle.state in FROZEN_STATES:
        raise ValidationError(_("%(cycle)s is approved: its list cannot change.") % {"cycle": cycle.reference})


def cycle_create(*, programme: CashProgramme, office: Office, provider: str, by: User | None) -> PaymentCycle:
    """A draft list: one payment per household enrolled (after ending the enrolments of those who left or whose
    status ended), at its enrolment's transfer value, under the rule version it was enrolled with."""
    from .providers import provider_for

    if by is not None:
        _require(permissions.may_prepare(by, office), _("Only the office's programme officers prepare lists."))
    provider_for(provider)
    enrolments_review(programme=programme, office=office, by=by)
    with transaction.atomic():
        CashProgramme.objects.select_for_update().get(pk=programme.pk)
        number = (
            PaymentCycle.objects.filter(programme=programme, office=office)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
            or 0
        ) + 1
        cycle = record_create(
            PaymentCycle(
                programme=programme,
                office=office,
                number=number,
                reference=f"{programme.code}-{office.code}-C{number:02d}",
                provider=provider,
                prepared_by=by,
            ),
            by=by,
        )
        active = Enrolment.objects.filter(programme=programme, office=office, ended_on__isnull=True)
        payments = [
            Payment(
                cycle=cycle,
                household_id=e.household_id,
                enrolment=e,
                rules_id=e.rules_id,
                amount=e.amount,
                currency=programme.currency,
            )
            for e in active.order_by("household_id")
        ]
        record_create_many(Payment, payments, by=by)
        _totals(cycle, by=by)
    return cycle


def _totals(cycle: PaymentCycle, *, by: User | None) -> PaymentCycle:
    listed = cycle.payments.exclude(status__in=OFF_LIST)
    total = listed.aggregate(total=Sum("amount"))["total"] or decimal.Decimal(0)
    return record_update(cycle, by=by, changes={"households": listed.count(), "total": total})


def _heads(payments) -> dict[int, int]:
    """person id of each head -> household id."""
    from liman.registry.models import Household

    households = Household.objects.filter(pk__in=[p.household_id for p in payments]).values_list("head_id", "pk")
    return {head: household for head, household in households if head}


def cycle_verify(
    *,
    cycle: PaymentCycle,
    by: User | None,
    partner_records: Sequence[dict[str, str]] = (),
    partner_name: str = "",
    other_cycles_since: datetime.date | None = None,
) -> dict[str, int]:
    """Check the list for duplicates before approval, and hold the payments that may be one: a household whose head
    is the same person as the head of another household on this list, or on another programme's or office's
    list of the last 90 days (record linkage on names, birth date, IDs, phone), or on a partner's beneficiary list
    (`partner_records`: the columns of `liman dedup file`). Households whose head has no consent to share with
    the payment provider are held back (`_consent_to_share`), and those held back before whose consent is in force
    again go back on the list. The list then stands verified."""
    from liman.dedup import engine
    from liman.dedup.records import person_records
    from liman.registry.models import Household, Person

    if by is not None:
        _require(permissions.may_prepare(by, cycle.office_id), _("Only the office's programme officers verify."))
    _frozen(cycle)
    since = other_cycles_since or (timezone.localdate() - datetime.timedelta(days=90))
    checked = cycle.payments.count()
    # The heads are read through subqueries, not lists of keys (a list of 100,000 would be sent again with each
    # chunk `person_records` reads).
    on_list = Q(cash_payments__cycle=cycle)
    others = (
        Payment.objects.exclude(cycle=cycle)
        .filter(cycle__created_at__date__gte=since)
        .exclude(status__in=[*OFF_LIST, PaymentStatus.FAILED])
    )
    heads = {head: pk for head, pk in Household.objects.filter(on_list).values_list("head_id", "pk") if head}
    other_heads = {
        head: pk for head, pk in Household.objects.filter(cash_payments__in=others).values_list("head_id", "pk") if head
    }
    other_cycle = dict(others.values_list("household_id", "cycle__reference"))
    people = Person.objects.filter(
        pk__in=Household.objects.filter(on_list | Q(cash_payments__in=others)).values("head_id")
    )
    records = list(person_records(people))
    held: dict[int, str] = {}
    if len(records) > 1:
        for pair in engine.dedupe(records):
            left, right = int(pair.record_id_l), int(pair.record_id_r)
            for one, other in ((left, right), (right, left)):
                if one not in heads:
                    continue
                household = heads[one]
                if other in heads and heads[other] != household:
                    other_household = heads[other]
                    if household > other_household:  # hold one of the two on this list, keep the first
                        held[household] = _("Same head as household %(other)s on this list (p = %(p).2f).") % {
                            "other": other_household,
                            "p": pair.match_probability,
                        }
                elif other in other_heads and other_heads[other] != household:
                    held[household] = _("Same head as a household on %(cycle)s (p = %(p).2f).") % {
                        "cycle": other_cycle[other_heads[other]],
                        "p": pair.match_probability,
                    }
    if partner_records:
        mine_records = [record for record in records if int(record["record_id"]) in heads]
        for pair in engine.link(mine_records, partner_records):
            household = heads.get(int(pair.record_id_l))
            if household is not None and household not in held:
                held[household] = _("On %(partner)s's beneficiary list as record %(record)s (p = %(p).2f).") % {
                    "partner": partner_name or _("a partner"),
                    "record": pair.record_id_r,
                    "p": pair.match_probability,
                }
    with transaction.atomic():
        cycle = PaymentCycle.objects.select_for_update().get(pk=cycle.pk)
        _frozen(cycle)
        _consent_to_share(cycle, by=by, reason=NOT_CONSENTED, put_back=True)
        to_hold = list(
            cycle.payments.filter(household_id__in=list(held))
            .exclude(status__in=OFF_LIST)
            .only("pk", "cycle_id", "household_id", "status", "amount", "currency")
        )
        for payment in to_hold:
            payment.cycle = cycle  # named in each audit event
        reasons = {p.pk: held[p.household_id][:300] for p in to_hold}
        _bulk_update(Payment, [(p.pk, {"status": PaymentStatus.HELD, "hold_reason": reasons[p.pk]}) for p in to_hold])
        record_state_changes(
            Payment, [(p.pk, p.status, PaymentStatus.HELD, cycle.office_id, "") for p in to_hold], field="status", by=by
        )
        audit.record_many(
            AuditAction.UPDATE,
            to_hold,
            actor=by,
            changes=lambda p: {"status": [p.status, PaymentStatus.HELD], "hold_reason": ["", reasons[p.pk]]},
        )
        transition(cycle, CycleState.VERIFIED, by=by)
        record_update(cycle, by=by, changes={"verified_at": timezone.now()})
        _totals(cycle, by=by)
        held_back = cycle.payments.filter(status=PaymentStatus.NO_CONSENT).count()
    return {"checked": checked, "held": len(to_hold), "no_consent": held_back}


#: Why a payment is held back at verification, and when the file is written (a withdrawal since approval).
NOT_CONSENTED = gettext_lazy(
    "No consent to share with the payment provider: record the head's consent, then verify the list again."
)
WITHDRAWN_SINCE_APPROVAL = gettext_lazy(
    "Consent to share with the payment provider withdrawn after approval: left out of the provider's file."
)


def _consent_to_share(cycle: PaymentCycle, *, by: User | None, reason, put_back: bool) -> tuple[int, int]:
    """Hold back the cycle's listed payments whose head's consent to share with the payment provider is not in force
    today (the provider's file names the head: sharing with a payment provider needs consent for that purpose), and
    with `put_back`, put back on the list those held back whose consent is in force again. A household without a
    head has nobody who consented. The consents are read in one query (`registry.consent.consented_among` over the
    heads as a subquery), the changes written in bulk: one statement, the status history and one audit event per
    payment, with the reason. Returns (held back, put back)."""
    from liman.registry.choices import ConsentPurpose
    from liman.registry.consent import consented_among

    statuses = [PaymentStatus.LISTED, PaymentStatus.NO_CONSENT] if put_back else [PaymentStatus.LISTED]
    payments = cycle.payments.filter(status__in=statuses)
    consented = consented_among(payments.values("household__head_id"), ConsentPurpose.SHARING_PAYMENT_PROVIDER)
    hold, back = [], []
    rows = payments.values_list("pk", "household_id", "household__head_id", "status", "hold_reason", "amount",
                                "currency")  # fmt: skip
    for pk, household_id, head_id, status, hold_reason, amount, currency in rows:
        in_force = head_id is not None and head_id in consented
        if in_force == (status == PaymentStatus.LISTED):
            continue
        payment = Payment(pk=pk, cycle=cycle, household_id=household_id, status=status, hold_reason=hold_reason,
                          amount=amount, currency=currency)  # fmt: skip
        (back if in_force else hold).append(payment)
    reason = str(reason)[:300]
    moves = (
        (hold, PaymentStatus.NO_CONSENT, reason, reason),
        (back, PaymentStatus.LISTED, "", _("Consent to share with the payment provider in force again")),
    )
    for moved, new, hold_reason, why in moves:
        if not moved:
            continue
        _bulk_update(Payment, [(p.pk, {"status": new, "hold_reason": hold_reason}) for p in moved])
        record_state_changes(
            Payment, [(p.pk, p.status, new, cycle.office_id, "") for p in moved], field="status", by=by, reason=why
        )
        audit.record_many(
            AuditAction.UPDATE,
            moved,
            actor=by,
            reason=why,
            changes=lambda p, new=new, held=hold_reason: {
                "status": [p.status, new],
                "hold_reason": [p.hold_reason, held],
            },
        )
    return len(hold), len(back)


def _bulk_update(model, rows: Sequence[tuple[int, dict]]) -> None:
    """Set columns of many rows in one statement per set of columns (`executemany`), as `liman keys rotate` and
    staging write theirs; the caller writes the history rows and the audit events (in bulk too)."""
    from django.db import connection

    if not rows:
        return
    meta = model._meta
    names = list(rows[0][1])
    fields = [meta.get_field(name) for name in names]
    columns = ", ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in fields)
    values = [
        (*(field.get_db_prep_save(changes[field.name], connection) for field in fields), pk) for pk, changes in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {columns} WHERE id = %s",  # noqa: S608
            values,
        )


def payment_release(*, payment: Payment, by: User | None, reason: str) -> Payment:
    """A held payment goes back on the list (the duplicate was checked and is not one); the cycle goes back to
    draft to be verified again."""
    cycle = payment.cycle
    if by is not None:
        _require(permissions.may_prepare(by, cycle.office_id), _("Only the office's programme officers release."))
    _frozen(cycle)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this is not a duplicate.")})
    if payment.status == PaymentStatus.NO_CONSENT:
        raise ValidationError(
            _("This household is held back for want of consent to share with the payment provider: record the head's "
              "consent, then verify the list again.")
        )  # fmt: skip
    if payment.status != PaymentStatus.HELD:
        raise ValidationError(_("This payment is not held."))
    with transaction.atomic():
        state_set(
            payment,
            field="status",
            new=PaymentStatus.LISTED,
            by=by,
            changes={"hold_reason": ""},
            reason=reason,
            office_id=cycle.office_id,
        )
        if cycle.state == CycleState.VERIFIED:
            transition(cycle, CycleState.DRAFT, by=by, reason=reason)
        _totals(cycle, by=by)
    return payment


def _snapshot(payment: Payment, household, head, foreigner_id: str) -> dict:
    return {
        "reference": household.reference,
        "name": head.full_name if head else "",
        "foreigner_id": foreigner_id,
        "phone": head.phone if head else "",
        "amount": f"{payment.amount:.2f}",
        "currency": payment.currency,
    }


def list_hash(lines: Iterable[dict]) -> str:
    """SHA-256 of the list as approved: each payment's snapshot, in reference order, as canonical JSON."""
    digest = hashlib.sha256()
    for line in sorted(lines, key=lambda line: line["reference"]):
        digest.update(json.dumps(line, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _sealed(cycle: PaymentCycle) -> list[tuple[str, dict]]:
    """(status, snapshot) of each payment sealed at approval, in household order: the list as approved, with the
    payments held back from the provider's file since (they keep their snapshot, so the list still hashes)."""
    rows = cycle.payments.order_by("household_id").values_list("status", "snapshot")
    return [(status, json.loads(snapshot)) for status, snapshot in rows if snapshot]


def cycle_snapshots(cycle: PaymentCycle) -> list[dict]:
    """The frozen list as it goes to the provider: one snapshot per payment on it (payments held, or held back for
    want of consent, are not on it)."""
    return [line for status, line in _sealed(cycle) if status not in OFF_LIST]


def cycle_approve(*, cycle: PaymentCycle, by: User) -> PaymentCycle:
    """A second person approves the verified list: it is frozen (each payment's snapshot sealed, the list's hash
    kept). The preparer cannot approve it."""
    from liman.registry.choices import IdentifierType
    from liman.registry.models import Household, Identifier

    if by is None:
        raise PermissionDenied(_("An approval names who approves."))
    _require(permissions.may_approve(by, cycle.office_id), _("Only a cash approver of the office approves lists."))
    if by.pk == cycle.prepared_by_id:
        raise PermissionDenied(_("You prepared this list: a second person approves it."))
    with transaction.atomic():
        cycle = PaymentCycle.objects.select_for_update().get(pk=cycle.pk)
        payments = list(cycle.payments.exclude(status__in=OFF_LIST))
        if not payments:
            raise ValidationError(_("The list is empty: nothing to approve."))
        households = Household.objects.in_bulk([p.household_id for p in payments])
        heads = {h.head_id for h in households.values() if h.head_id}
        from liman.registry.models import Person

        people = Person.objects.in_bulk(list(heads))
        ids = {
            i.person_id: i.value
            for i in Identifier.objects.filter(person__in=list(heads), type=IdentifierType.FOREIGNER_ID)
        }
        lines, sealed = [], []
        for payment in payments:
            household = households[payment.household_id]
            head = people.get(household.head_id)
            line = _snapshot(payment, household, head, ids.get(household.head_id, ""))
            lines.append(line)
            sealed.append((payment.pk, {"snapshot": json.dumps(line, ensure_ascii=False)}))
        _bulk_update(Payment, sealed)  # one statement, each snapshot encrypted as the field encrypts it
        transition(cycle, CycleState.APPROVED, by=by, approver=by)
        record_update(
            cycle,
            by=by,
            changes={"approved_by": by, "approved_at": timezone.now(), "list_hash": list_hash(lines)},
        )
        audit.record(
            AuditAction.UPDATE,
            actor=by,
            obj=cycle,
            changes={"frozen": [None, f"{len(lines)} payments"]},
            reason=_("List approved and frozen"),
        )
    return cycle


class ListChanged(ValidationError):
    """The payments of a frozen list no longer hash to what was approved."""


def cycle_check_frozen(cycle: PaymentCycle) -> list[dict]:
    """The frozen list as it goes to the provider (`cycle_snapshots`), after checking that the list as approved
    still hashes to what was approved (raises `ListChanged` otherwise)."""
    sealed = _sealed(cycle)
    if not cycle.list_hash or list_hash(line for _status, line in sealed) != cycle.list_hash:
        raise ListChanged(
            _("The payments of %(cycle)s no longer match the list approved: it was changed after approval.")
            % {"cycle": cycle.reference}
        )
    return [line for status, line in sealed if status not in OFF_LIST]


def cycle_export(*, cycle: PaymentCycle, by: User | None) -> tuple[bytes, str]:
    """The provider's file of the frozen list and its detached signature; the first export marks the cycle sent.

    The file names each head (name, foreigner ID, phone), so it shares them with the provider: the first export
    holds back the payments whose head's consent to share with the payment provider was withdrawn since approval
    (audited, listed on the cycle's page) and leaves them out. The list as approved still hashes as it did. Once
    sent, the provider holds the file: a later download writes the same file, and a withdrawal then keeps the
    household off the next cycle's list."""
    from liman.core import crypto

    from .providers import provider_for

    if by is not None:
        _require(permissions.may_prepare(by, cycle.office_id), _("Only the office's programme officers export."))
    with transaction.atomic():  # the holds are written first, and kept: they say whose consent is not in force
        cycle = PaymentCycle.objects.select_for_update().select_related("programme").get(pk=cycle.pk)
        if cycle.state not in FROZEN_STATES:
            raise ValidationError(_("Only an approved list is sent to the provider."))
        first = cycle.state == CycleState.APPROVED
        held_back = 0
        if first:
            held_back, _put_back = _consent_to_share(cycle, by=by, reason=WITHDRAWN_SINCE_APPROVAL, put_back=False)
            if held_back:
                _totals(cycle, by=by)
    lines = cycle_check_frozen(cycle)
    if not lines:
        raise ValidationError(
            _("No household on %(cycle)s has consent to share with the payment provider in force: there is no file "
              "to send.") % {"cycle": cycle.reference}
        )  # fmt: skip
    data = provider_for(cycle.provider).write(lines)
    signature = crypto.payment_sign(data)
    with transaction.atomic():
        audit.record(
            AuditAction.EXPORT,
            actor=by,
            obj=cycle,
            changes={"households": [None, len(lines)], "held_back": [None, held_back]} if held_back else None,
            reason=_("Payment file for %(provider)s") % {"provider": cycle.provider},
        )
        if first:
            transition(cycle, CycleState.SENT, by=by)
            record_update(cycle, by=by, changes={"sent_at": timezone.now()})
    return data, signature


def cycle_close(*, cycle: PaymentCycle, by: User | None) -> PaymentCycle:
    transition(cycle, CycleState.CLOSED, by=by)
    return cycle


def cycle_send_back(*, cycle: PaymentCycle, by: User | None, reason: str) -> PaymentCycle:
    """A verified list goes back to draft (the approver found something to check, or the preparer did), with why."""
    transition(cycle, CycleState.DRAFT, by=by, reason=reason)
    return cycle


def reconcile_rows(*, cycle: PaymentCycle, rows: Sequence[dict], by: User | None) -> dict[str, int]:
    """Mark payments from a provider report's accepted rows (reference, amount, status, date, transaction id; checked
    by the importer first); the cycle is reconciled when every payment on the list has an outcome. The outcomes are
    written in bulk: one statement for the payments, their status history and one audit event each, chained."""
    counts = {status: 0 for status in (PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.UNCOLLECTED)}
    with transaction.atomic():
        cycle = PaymentCycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.state != CycleState.SENT:
            raise ValidationError(_("Only a list sent to the provider is reconciled."))
        by_reference = {
            p.household.reference: p
            for p in cycle.payments.exclude(status__in=OFF_LIST)
            .select_related("household")
            .only("pk", "cycle_id", "household_id", "household__reference", "status", "amount", "currency")
        }
        for payment in by_reference.values():
            payment.cycle = cycle  # named in each audit event
        changed, before, updates = [], {}, []
        for row in rows:
            payment = by_reference[row["reference"]]
            if payment.pk in before:
                raise ValidationError(
                    _("%(ref)s is reported twice: a household is paid once per cycle.") % {"ref": row["reference"]}
                )
            before[payment.pk] = payment.status
            payment.status = row["status"]
            payment.paid_on = datetime.date.fromisoformat(row["date"]) if row.get("date") else None
            payment.transaction_id = row.get("transaction_id", "")[:64]
            payment.reported_amount = decimal.Decimal(row["amount"])
            changed.append(payment)
            updates.append(
                (
                    payment.pk,
                    {
                        "status": payment.status,
                        "paid_on": payment.paid_on,
                        "transaction_id": payment.transaction_id,
                        "reported_amount": payment.reported_amount,
                    },
                )
            )
            counts[row["status"]] += 1
        _bulk_update(Payment, updates)
        record_state_changes(
            Payment,
            [(p.pk, before[p.pk], p.status, cycle.office_id, "") for p in changed],
            field="status",
            by=by,
        )
        audit.record_many(
            AuditAction.UPDATE,
            changed,
            actor=by,
            changes=lambda p: {
                "status": [before[p.pk], p.status],
                "paid_on": [None, p.paid_on.isoformat() if p.paid_on else None],
                "transaction_id": ["", p.transaction_id],
                "reported_amount": [None, str(p.reported_amount)],
            },
        )
        if not cycle.payments.filter(status=PaymentStatus.LISTED).exists():
            transition(cycle, CycleState.RECONCILED, by=by)
            record_update(cycle, by=by, changes={"reconciled_at": timezone.now()})
    return {str(status): n for status, n in counts.items()}
