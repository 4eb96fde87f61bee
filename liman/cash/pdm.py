"""Post-distribution monitoring of a cash cycle: a sample of the households paid, drawn at random (reproducibly, in
proportion to each district when stratified), asked with the shipped form `liman_cash_pdm` (ODK Collect, OpenRosa),
and the answers recorded on each sampled household's visit; the cycle's monitoring summary counts them, hiding any
count of households under the minimum cell (`core.disclosure`).

Writes are atomic and audited; reads go through the user's scope.
"""

from __future__ import annotations

import decimal
import json
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core import disclosure
from liman.core.access import get_visible_or_404
from liman.core.models import Office, User
from liman.core.services import record_create, record_create_many, record_update

from . import permissions
from .choices import PDM_FORM_ID, CycleState, PaymentStatus, PdmProblem, PdmReceived, PdmSpending, YesNo
from .models import Payment, PaymentCycle, PdmSample, PdmVisit

#: Cycles whose paid households may be sampled: the provider has reported (some of) the payments.
SAMPLED_STATES = frozenset({CycleState.SENT, CycleState.RECONCILED, CycleState.CLOSED})
FORM_FILE = Path(__file__).resolve().parents[1] / "dtm" / "data" / "forms" / f"{PDM_FORM_ID}.xlsx"


# --- the sample ---------------------------------------------------------------------------------------------


def allocate(strata: dict[str, int], size: int) -> dict[str, int]:
    """Households to draw in each stratum, in proportion to its size (largest remainder; ties to the stratum that
    comes first by name), never more than it holds."""
    total = sum(strata.values())
    if total == 0 or size <= 0:
        return dict.fromkeys(strata, 0)
    size = min(size, total)
    exact = {key: size * n / total for key, n in strata.items()}
    counts = {key: min(int(value), strata[key]) for key, value in exact.items()}
    left = size - sum(counts.values())
    for key in sorted(strata, key=lambda key: (-(exact[key] - int(exact[key])), key)):
        if left <= 0:
            break
        if counts[key] < strata[key]:
            counts[key] += 1
            left -= 1
    return counts


def draw(paid: Sequence[tuple[int, str]], size: int, seed: int, *, stratified: bool) -> list[tuple[int, str]]:
    """`size` of the `paid` (payment id, district p-code), at random from `seed`: the same seed over the same list
    draws the same households. Stratified: each district its proportional share."""
    rows = sorted(paid)
    rng = random.Random(seed)
    if not stratified:
        return sorted(rng.sample(rows, min(size, len(rows))))
    by_stratum: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in rows:
        by_stratum[row[1]].append(row)
    quota = allocate({key: len(members) for key, members in by_stratum.items()}, size)
    drawn = []
    for key in sorted(by_stratum):
        drawn.extend(rng.sample(by_stratum[key], quota[key]))
    return sorted(drawn)


def pdm_sample_draw(
    *, cycle: PaymentCycle, size: int, by: User | None, stratified: bool = True, seed: int | None = None
) -> PdmSample:
    """Draw the cycle's monitoring sample among the households paid (once per cycle)."""
    if by is not None and not permissions.may_prepare(by, cycle.office_id):
        raise PermissionDenied(_("Only the office's programme officers draw the monitoring sample."))
    with transaction.atomic():
        cycle = PaymentCycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.state not in SAMPLED_STATES:
            raise ValidationError(
                _("%(cycle)s has no payments reported yet (it is %(state)s): a sample is drawn among those paid.")
                % {"cycle": cycle.reference, "state": cycle.get_state_display()}
            )
        if PdmSample.objects.filter(cycle=cycle).exists():
            raise ValidationError(_("%(cycle)s has its monitoring sample already.") % {"cycle": cycle.reference})
        paid = [
            (pk, district or "")
            for pk, district in cycle.payments.filter(status=PaymentStatus.PAID).values_list(
                "pk", "household__district__pcode"
            )
        ]
        if not paid:
            raise ValidationError(_("No household of %(cycle)s is paid yet.") % {"cycle": cycle.reference})
        if size < 1 or size > len(paid):
            raise ValidationError({"size": _("Draw from 1 to %(paid)d households (those paid).") % {"paid": len(paid)}})
        seed = secrets.randbelow(2**31) if seed is None else seed
        sample = record_create(
            PdmSample(cycle=cycle, size=size, seed=seed, stratified=stratified, paid=len(paid), drawn_by=by), by=by
        )
        chosen = draw(paid, size, seed, stratified=stratified)
        households = dict(Payment.objects.filter(pk__in=[pk for pk, _d in chosen]).values_list("pk", "household_id"))
        record_create_many(
            PdmVisit,
            [
                PdmVisit(sample=sample, payment_id=pk, household_id=households[pk], stratum=district)
                for pk, district in chosen
            ],
            by=by,
        )
    return sample


# --- the answers (from the form's submissions) ---------------------------------------------------------------


def _yes(value: str | None) -> bool | None:
    return None if not value else value == YesNo.YES


def pdm_answer_record(*, submission, values: dict, by: User | None) -> PdmVisit:
    """Record one answer of the form `liman_cash_pdm` on the sampled household's visit (in the submission's
    transaction). Refused, naming the question: a cycle not of the submission's office, a household not in its
    sample, a visit answered by another submission, an amount above the one paid, "no problem" with a problem.
    An edit of the submission that answered replaces its answers."""
    from liman.dtm.models import Submission

    cycle_ref = str(values["cycle"]).strip().upper()
    household_ref = str(values["household"]).strip().upper()
    cycle = PaymentCycle.objects.filter(reference=cycle_ref, office_id=submission.office_id).first()
    if cycle is None:
        raise ValidationError({"cycle": _("%(cycle)s is not a payment cycle of this office.") % {"cycle": cycle_ref}})
    visit = (
        PdmVisit.objects.select_for_update()
        .filter(sample__cycle=cycle, household__reference=household_ref)
        .select_related("payment", "sample__cycle")
        .first()
    )
    if visit is None:
        raise ValidationError(
            {
                "household": _("%(household)s is not in the monitoring sample of %(cycle)s.")
                % {"household": household_ref, "cycle": cycle.reference}
            }
        )
    if visit.submission_id and visit.submission_id != submission.pk:
        earlier = Submission.objects.filter(pk=visit.submission_id).values_list("root_instance_id", flat=True).first()
        if earlier is None or earlier != submission.root_instance_id:
            raise ValidationError(
                {
                    "household": _("%(household)s was answered already by another submission: dismiss one of them.")
                    % {"household": household_ref}
                }
            )
    received = values["received"]
    paid = visit.payment.amount
    amount = values.get("amount_received")
    if received == PdmReceived.NO:
        amount = decimal.Decimal(0)
    elif amount is None:
        amount = paid if received == PdmReceived.FULL else None
    else:
        amount = decimal.Decimal(amount)
        if amount > paid:
            raise ValidationError(
                {
                    "amount_received": _("%(amount)s is more than the %(paid)s paid.")
                    % {"amount": amount, "paid": f"{paid:.2f}"}
                }
            )
    problems = list(values.get("problems") or [])
    if PdmProblem.NONE in problems and len(problems) > 1:
        raise ValidationError({"problems": _("“No problem” goes alone.")})
    changes = {
        "answered_at": timezone.now(),
        "interviewed_on": values.get("interviewed_on") or timezone.localdate(submission.received_at),
        "received": received,
        "amount_received": amount,
        "spent_on": sorted(set(values.get("spent_on") or [])) if received != PdmReceived.NO else [],
        "problems": sorted(set(problems)),
        "felt_safe": _yes(values.get("felt_safe")),
        "complaint_made": _yes(values.get("complaint_made")),
        "note": str(values.get("note") or "")[:2000],
        "submission": submission,
    }
    return record_update(visit, by=by, changes=changes)


# --- the form in the office ------------------------------------------------------------------------------------


def pdm_form_publish(*, office: Office, by: User | None):
    """Publish the shipped form in the office (bound on upload to the monitoring answers): field users' phones get
    it. Once per office; the version stored is returned when it is there already."""
    from liman.dtm import services as dtm
    from liman.dtm.models import FormVersion

    if by is not None and not permissions.may_prepare(by, office):
        raise PermissionDenied(_("Only the office's programme officers publish the monitoring form."))
    existing = FormVersion.objects.filter(form__office=office, form__form_id=PDM_FORM_ID).order_by("-id").first()
    if existing is not None:
        return existing
    return dtm.form_upload(office=office, content=FORM_FILE.read_bytes(), file_name=FORM_FILE.name, by=by)


def pdm_form_published(office_id: int) -> bool:
    from liman.dtm.models import Form

    return Form.objects.filter(office_id=office_id, form_id=PDM_FORM_ID).exists()


# --- reads ---------------------------------------------------------------------------------------------------


def sample_for(user: User, cycle: PaymentCycle) -> PdmSample | None:
    return PdmSample.objects.visible_to(user).filter(cycle=cycle).select_related("drawn_by").first()


def visits_for(user: User, sample: PdmSample, *, answered: bool | None = None) -> QuerySet[PdmVisit]:
    visits = PdmVisit.objects.visible_to(user).filter(sample=sample).select_related("household", "payment")
    if answered is not None:
        visits = visits.filter(answered_at__isnull=not answered)
    return visits.order_by("stratum", "household__reference")


def visit_for(user: User, pk: int) -> PdmVisit:
    return get_visible_or_404(PdmVisit.objects.select_related("household", "payment", "sample__cycle"), user, pk=pk)


def call_details(visits: Sequence[PdmVisit]) -> dict[int, dict]:
    """visit id -> the name and phone the provider paid (the payment's sealed snapshot, frozen at approval)."""
    found = {}
    for visit in visits:
        snapshot = visit.payment.snapshot
        line = json.loads(snapshot) if snapshot else {}
        found[visit.pk] = {"name": line.get("name", ""), "phone": line.get("phone", "")}
    return found


def _cells(counts: dict[str, int], labels: dict[str, str], *, total_published: bool) -> list[dict]:
    """One line per choice: its label and count, or the minimum cell mark when hidden."""
    hidden = disclosure.suppress(counts, disclosure.min_cell(), total_published=total_published)
    mark = disclosure.suppressed_mark()
    return [
        {"value": key, "label": labels[key], "count": mark if key in hidden else counts[key], "hidden": key in hidden}
        for key in labels
    ]


def pdm_summary(sample: PdmSample) -> dict:
    """The cycle's monitoring summary: households sampled and answered, and per question the households giving
    each answer (a count under the minimum cell is hidden, with a second one where the answered total would give
    it away; several answers may be given to "spent on" and "problems", whose counts have no total)."""
    visits = list(
        PdmVisit.objects.filter(sample=sample, answered_at__isnull=False).values(
            "received", "amount_received", "spent_on", "problems", "felt_safe", "complaint_made", "payment__amount"
        )
    )
    received = Counter(v["received"] for v in visits)
    spent = Counter(item for v in visits for item in v["spent_on"])
    problems = Counter(item for v in visits for item in v["problems"])
    yes_no = {True: YesNo.YES, False: YesNo.NO}
    safe = Counter(yes_no[v["felt_safe"]] for v in visits if v["felt_safe"] is not None)
    complained = Counter(yes_no[v["complaint_made"]] for v in visits if v["complaint_made"] is not None)
    paid = sum((v["payment__amount"] for v in visits), decimal.Decimal(0))
    got = sum((v["amount_received"] or decimal.Decimal(0) for v in visits), decimal.Decimal(0))

    def table(counter: Counter, choices, *, total_published: bool) -> list[dict]:
        labels = {value: str(label) for value, label in choices.choices}
        return _cells({key: counter.get(key, 0) for key in labels}, labels, total_published=total_published)

    sampled = PdmVisit.objects.filter(sample=sample).count()
    return {
        "sampled": sampled,
        "answered": len(visits),
        "min_cell": disclosure.min_cell(),
        "received": table(received, PdmReceived, total_published=True),
        "spent_on": table(spent, PdmSpending, total_published=False),
        "problems": table(problems, PdmProblem, total_published=False),
        "felt_safe": table(safe, YesNo, total_published=True),
        "complaint_made": table(complained, YesNo, total_published=True),
        "amount_paid": paid,
        "amount_received": got,
        "share_received": (got / paid) if paid else None,
    }
