"""The cash demo: MPC-2026 in Istanbul and Hatay with two rule versions, three cycles per office in different states,
a partner's list whose overlaps are held, and a provider report whose problems the reconciliation refuses."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from liman.cash import demo, pdm
from liman.cash.choices import OFF_LIST, CycleState, PaymentStatus
from liman.cash.models import CashProgramme, PaymentCycle
from liman.core.demo import seed_core
from liman.core.models import ImportBatch
from liman.core.staging import import_stage, problem_report
from liman.registry.demo import seed_registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    rng = random.Random(2026)
    for seeder in (seed_core, seed_registry, demo.seed_cash):
        seeder(rng, 2026)
    return Path(tmp_path) / "demo" / "cash"


def test_the_demo_seeds_what_the_tour_shows_once(seeded):
    """One seeding (it is slow to write) checked for all it promises."""
    programme = CashProgramme.objects.get(code=demo.PROGRAMME_CODE)
    assert sorted(programme.offices.values_list("code", flat=True)) == ["HTY", "IST"]
    assert list(programme.rule_versions.values_list("number", flat=True)) == [2, 1]
    for code in ("IST", "HTY"):
        cycles = {c.number: c for c in PaymentCycle.objects.filter(office__code=code).select_related("prepared_by")}
        assert {n: c.state for n, c in cycles.items()} == {
            1: CycleState.CLOSED, 2: CycleState.SENT, 3: CycleState.VERIFIED
        }  # fmt: skip
        for cycle in cycles.values():
            assert cycle.prepared_by.username == f"programme-officer.{code.lower()}"
        for cycle in (cycles[1], cycles[2]):
            assert cycle.approved_by.username == f"cash-approver.{code.lower()}"
        closed = cycles[1]
        outcomes = closed.payments.exclude(status__in=OFF_LIST)
        assert not outcomes.filter(status=PaymentStatus.LISTED).exists()
        assert {p.status for p in outcomes} == {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.UNCOLLECTED}
        assert sum(p.amount for p in outcomes) == closed.total
        held = cycles[3].payments.filter(status=PaymentStatus.HELD)
        assert held.exists() and all("beneficiary list as record" in p.hold_reason for p in held)
        assert all(13000 <= p.amount <= 25000 for p in closed.payments.all())
        # A few heads declined at enrolment to have their details shared with the payment provider: held back from
        # every list; one withdrew after C02 was approved: held back when its file was written, and from C03.
        for cycle in cycles.values():
            declined = cycle.payments.filter(status=PaymentStatus.NO_CONSENT)
            assert declined.exists() and all("consent" in p.hold_reason.lower() for p in declined)
        withdrawn = cycles[2].payments.get(hold_reason__contains="withdrawn after approval")
        assert withdrawn.status == PaymentStatus.NO_CONSENT and withdrawn.snapshot
        assert cycles[3].payments.get(household_id=withdrawn.household_id).status == PaymentStatus.NO_CONSENT
        assert cycles[2].households == cycles[2].payments.exclude(status__in=OFF_LIST).count()
        # Monitored: a sample of the households paid, most of them answered through the shipped form.
        sample = closed.pdm_sample
        visits = list(sample.visits.select_related("payment", "submission"))
        answered = [visit for visit in visits if visit.answered_at]
        assert visits and {visit.payment.status for visit in visits} == {PaymentStatus.PAID}
        assert len(answered) == len(visits) * 4 // 5 and all(v.submission.state == "processed" for v in answered)
        assert pdm.pdm_summary(sample)["answered"] == len(answered)

    # The files to try: the signed payment file sent, the provider's report with problems, the partner's list.
    sent = PaymentCycle.objects.get(reference="MPC-2026-IST-C02")
    sent_file = (seeded / "MPC-2026-IST-C02.csv").read_bytes()
    assert sent_file.startswith(b"REFERANS;AD_SOYAD")
    for payment in sent.payments.select_related("household"):
        assert (payment.household.reference.encode() in sent_file) == (payment.status not in OFF_LIST)
    assert (seeded / "MPC-2026-IST-C02.csv.sig").exists()
    assert (seeded / "partner-beneficiaries-HTY.csv").read_text().startswith("record_id,first_name")
    report = seeded / "MPC-2026-IST-C02-provider-report.csv"
    with report.open("rb") as stream:
        batch = import_stage(
            kind="cash_provider_report", file=stream, file_name=report.name, office=sent.office, by=None,
            declared={"cycle": sent.reference},
        )  # fmt: skip
    assert batch.state == ImportBatch.State.INVALID
    problems = " | ".join(message for _row, _column, message, _blocking in problem_report(batch))
    assert "on the approved list" in problems and "reported twice" in problems
    assert "IST-H-ZZ9Q4KXW is not on the list" in problems and "The total row says" in problems
    lines = "\n".join(demo.demo_file_lines())
    assert str(seeded) in lines and "programme-officer.ist" in lines and "cash-approver.hty" in lines

    before = PaymentCycle.objects.count()
    demo.seed_cash(random.Random(1), 1)
    assert PaymentCycle.objects.count() == before == 6
