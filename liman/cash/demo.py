"""Demo cash: the multipurpose cash programme MPC-2026 in Istanbul and Hatay, run as the pages run it.

Its rules have two versions (the second added the disability top-up of the post-earthquake scale, TRY 13,000 to
25,000 by household size and disability). In each office the rules are run over the registry and the eligible
households enrolled; at enrolment the heads are asked for their consent to share their details with the payment
provider (a few decline: their households are held back from the provider's file). Then three payment cycles are
prepared by the office's programme officer and approved by its cash approver (never the same person):
- C01: verified, approved, sent, reconciled from the provider's report (through staging, as an upload is) and
  closed; then monitored: the PDM form `liman_cash_pdm` published in the office, a sample of the households paid
  drawn, and four in five of them answered as ODK Collect sends the form (the summary on the cycle's page);
- C02: sent to the provider and waiting for its report; one head withdrew their consent after approval, so their
  household was held back when the file was written. Its signed payment file and a provider report with a few
  problems (a changed amount, a household reported twice, an unknown reference, a total that does not add up) are
  written to the demo files folder, for the user to check and reconcile;
- C03: verified against a partner's beneficiary list (built in memory from a few of the office's heads, spelled
  as partners spell them, among others): the overlaps are held, waiting for a decision. The same list is written
  to the demo files folder as CSV, to verify another list with on the page.

Istanbul pays through the postal bank's semicolon CSV (its report in Turkish words), Hatay through the generic CSV.
Runs once: a database that has the programme already is left alone.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import random
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from liman.core.choices import Role
from liman.core.demo import demo_username
from liman.core.models import Office, User

from . import services
from .choices import PaymentStatus
from .models import CashProgramme, PaymentCycle

PROGRAMME_CODE = "MPC-2026"
PROGRAMME_NAME = "Multipurpose cash 2026 (vulnerable refugee households)"
OFFICES = ("IST", "HTY")
PROVIDERS = {"IST": "ptt_csv", "HTY": "generic_csv"}
PARTNERS = {"IST": "Support to Life (İstanbul)", "HTY": "Hatay municipality social services"}
ELIGIBILITY = (
    'legal_status_current and legal_status != "irregular_migrant" '
    'and nationality in ["SYR", "AFG", "IRQ", "IRN", "PSE", "SOM"] and household_size >= 2 and not departed '
    "and (dependency_ratio >= 1 or has_disability or female_headed)"
)
#: The first version: by household size only.
FIRST_VALUE = "household_size >= 7 ? 22000 : 13000 + 1500 * (household_size - 2)"
#: The version in force: TRY 13,000 for two people, TRY 1,500 a member more, TRY 22,000 from seven; TRY 3,000 more
#: when a member has a disability (TRY 13,000-25,000).
VALUE = "(household_size >= 7 ? 22000 : 13000 + 1500 * (household_size - 2)) + (has_disability ? 3000 : 0)"
#: The provider's words for each outcome in its report.
OUTCOME_WORDS = {
    "ptt_csv": {PaymentStatus.PAID: "ödendi", PaymentStatus.FAILED: "başarısız", PaymentStatus.UNCOLLECTED: "alınmadı"},
    "generic_csv": {PaymentStatus.PAID: "paid", PaymentStatus.FAILED: "failed",
                    PaymentStatus.UNCOLLECTED: "uncollected"},
}  # fmt: skip
#: Partner records that overlap the office's heads, and partner records of other people.
PARTNER_OVERLAPS = 4
PARTNER_OTHERS = 16
OTHER_NAMES = [
    ("Hüseyin", "Mahmoud", "Al-Khalil", "M"), ("Rasha", "Ali", "Darwish", "F"), ("Bilal", "Omar", "Qasim", "M"),
    ("Zahra", "Reza", "Hosseini", "F"), ("Yaman", "Khaled", "Jaber", "M"), ("Huda", "Samir", "Barakat", "F"),
    ("Ziad", "Hassan", "Mansour", "M"), ("Farida", "Nasser", "Saleh", "F"), ("Tariq", "Yusuf", "Hamdan", "M"),
    ("Amal", "Faisal", "Khoury", "F"), ("Karim", "Walid", "Suleiman", "M"), ("Nadia", "Jamal", "Aziz", "F"),
]  # fmt: skip


def demo_files_dir() -> Path:
    """Where the seed writes the cash files to try (under the media folder, which tests point elsewhere)."""
    return Path(settings.MEDIA_ROOT) / "demo" / "cash"


def _user(role: str, code: str) -> User | None:
    return User.objects.filter(username=demo_username(role, code)).first()


def seed_cash(rng: random.Random, seed: int) -> None:
    if CashProgramme.objects.filter(code=PROGRAMME_CODE).exists():
        return
    offices = {office.code: office for office in Office.objects.filter(code__in=OFFICES)}
    staff = {code: (_user(Role.PROGRAMME_OFFICER, code), _user(Role.CASH_APPROVER, code)) for code in offices}
    offices = {code: office for code, office in offices.items() if all(staff[code])}
    if not offices:
        return
    first_officer = staff[sorted(offices)[0]][0]
    programme = services.programme_create(
        code=PROGRAMME_CODE, name=PROGRAMME_NAME, offices=list(offices.values()), eligibility=ELIGIBILITY,
        transfer_value=FIRST_VALUE, by=None,
    )  # fmt: skip
    services.rules_add(
        programme=programme, eligibility=ELIGIBILITY, transfer_value=VALUE, by=first_officer,
        note="Disability top-up of TRY 3,000 (post-earthquake MPC scale: TRY 13,000-25,000 by size and disability)",
    )  # fmt: skip
    folder = demo_files_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for code, office in sorted(offices.items()):
        officer, approver = staff[code]
        run = services.targeting_run(programme=programme, office=office, by=officer)
        enrolled = services.enrol(run=run, by=officer)
        _consents_at_enrolment(enrolled, officer, random.Random(f"liman-cash-consent:{seed}:{code}"))
        provider = PROVIDERS[code]

        closed = _approved_cycle(programme, office, provider, officer, approver)
        services.cycle_export(cycle=closed, by=officer)
        _reconcile(closed, _report(closed, rng, provider, problems=False), officer)
        services.cycle_close(cycle=closed, by=approver)
        _monitor(closed, officer, rng)

        sent = _approved_cycle(programme, office, provider, officer, approver)
        _withdraw_one(sent, officer)
        data, signature = services.cycle_export(cycle=sent, by=officer)
        (folder / f"{sent.reference}.csv").write_bytes(data)
        (folder / f"{sent.reference}.csv.sig").write_text(signature + "\n", encoding="ascii")
        report = _report(sent, rng, provider, problems=True)
        (folder / f"{sent.reference}-provider-report.csv").write_text(report, encoding="utf-8")

        verified = services.cycle_create(programme=programme, office=office, provider=provider, by=officer)
        partner = _partner_records(verified, rng, code)
        services.cycle_verify(cycle=verified, by=officer, partner_records=partner, partner_name=PARTNERS[code])
        _write_partner_file(folder / f"partner-beneficiaries-{code}.csv", partner)


#: Of the heads asked at enrolment, the share who decline to have their details shared with the payment provider.
DECLINE_SHARE = 0.04
#: Households a demo list keeps whatever the heads decline or withdraw (a small office's lists stay worth showing).
KEPT_ON_THE_LIST = 3


def _consents_at_enrolment(enrolments, officer: User, rng: random.Random) -> None:
    """The enrolment interview: each head whose consent to share with the payment provider is not already in force
    is asked for it, through the registry's service (audited); a few decline."""
    from liman.registry.choices import ConsentPurpose, LegalBasis
    from liman.registry.consent import consented_among
    from liman.registry.models import Household, Person
    from liman.registry.services import consent_record

    households = Household.objects.filter(pk__in=[e.household_id for e in enrolments], head__isnull=False)
    heads = sorted(households.values_list("head_id", flat=True))
    asked = sorted(set(heads) - consented_among(heads, ConsentPurpose.SHARING_PAYMENT_PROVIDER))
    # At least one declines (the cycle pages show what that does), never so many that the lists run short.
    declining = min(max(1, round(len(asked) * DECLINE_SHARE)), max(0, len(heads) - KEPT_ON_THE_LIST))
    declined = set(rng.sample(asked, min(declining, len(asked))))
    for head in Person.objects.filter(pk__in=asked).exclude(pk__in=declined).order_by("pk"):
        consent_record(
            person=head, purpose=ConsentPurpose.SHARING_PAYMENT_PROVIDER, legal_basis=LegalBasis.CONSENT, by=officer,
            note=f"Asked at enrolment in {PROGRAMME_CODE}",
        )  # fmt: skip


def _withdraw_one(cycle: PaymentCycle, officer: User) -> None:
    """A head on the approved list withdraws their consent to share with the payment provider before the file is
    written: the export holds their household back."""
    from liman.registry.choices import ConsentPurpose
    from liman.registry.consent import consent_for
    from liman.registry.services import consent_withdraw

    listed = cycle.payments.filter(status=PaymentStatus.LISTED)
    if listed.count() <= KEPT_ON_THE_LIST:
        return
    payment = listed.select_related("household").order_by("-pk").first()
    consent = consent_for(payment.household.head_id, ConsentPurpose.SHARING_PAYMENT_PROVIDER)
    if consent is not None:
        consent_withdraw(consent=consent, by=officer)


#: Monitoring answers of the demo: (received, share of the amount, spent on, problems, felt safe, complained).
PDM_ANSWERS = (
    ("full", 1, "food rent utilities", "none", "yes", "no"),
    ("full", 1, "food rent", "waiting", "yes", "no"),
    ("full", 1, "rent debt", "none", "yes", "no"),
    ("full", 1, "food health education", "distance waiting", "yes", "no"),
    ("partly", 0.9, "food rent", "fee", "no", "yes"),
    ("full", 1, "food clothes hygiene", "none", "yes", "no"),
    ("no", 0, "", "card_pin", "yes", "yes"),
)


def _monitor(cycle: PaymentCycle, officer: User, rng: random.Random) -> None:
    """Post-distribution monitoring of a closed cycle: the form published in the office, a sample drawn, and most
    of the sampled households' answers received as ODK Collect sends them (the rest not reached yet)."""
    import uuid

    from liman.dtm import services as dtm

    from . import pdm

    version = pdm.pdm_form_publish(office=cycle.office, by=officer)
    paid = cycle.payments.filter(status=PaymentStatus.PAID).count()
    if not paid:
        return
    sample = pdm.pdm_sample_draw(cycle=cycle, size=min(paid, 30), seed=rng.randrange(10**6), by=officer)
    visits = list(sample.visits.select_related("household", "payment").order_by("household__reference"))
    for number, visit in enumerate(visits[: len(visits) * 4 // 5]):
        received, share, spent, problems, safe, complained = PDM_ANSWERS[number % len(PDM_ANSWERS)]
        amount = f"<amount_received>{int(visit.payment.amount * decimal.Decimal(str(share)))}</amount_received>"
        day = (cycle.reconciled_at or timezone.now()).date() + datetime.timedelta(days=10 + number % 9)
        xml = (
            "<?xml version='1.0' ?>"
            '<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
            f'id="{pdm.PDM_FORM_ID}" version="{version.version}">'
            f"<today>{day.isoformat()}</today><who><cycle>{cycle.reference}</cycle>"
            f"<household>{visit.household.reference}</household><interviewed_on>{day.isoformat()}</interviewed_on>"
            f"</who><payment><received>{received}</received>{amount if received != 'no' else '<amount_received/>'}"
            f"<spent_on>{spent}</spent_on><problems>{problems}</problems><felt_safe>{safe}</felt_safe>"
            f"<complaint_made>{complained}</complaint_made></payment><note/>"
            f"<meta><instanceID>uuid:{uuid.UUID(int=rng.getrandbits(128))}</instanceID></meta></data>"
        ).encode()
        dtm.submission_receive(office=cycle.office, xml=xml)


def _approved_cycle(programme, office, provider, officer, approver) -> PaymentCycle:
    cycle = services.cycle_create(programme=programme, office=office, provider=provider, by=officer)
    services.cycle_verify(cycle=cycle, by=officer)
    return services.cycle_approve(cycle=cycle, by=approver)


def _report(cycle: PaymentCycle, rng: random.Random, provider: str, *, problems: bool) -> str:
    """The provider's report of a sent cycle, in Liman's columns and the provider's words and separators: most paid
    last month, a few failed or uncollected; with `problems`, the mistakes a reconciliation must catch."""
    words = OUTCOME_WORDS[provider]
    delimiter, comma = (";", True) if provider == "ptt_csv" else (",", False)
    paid_on = timezone.localdate() - datetime.timedelta(days=rng.randint(20, 35))
    lines = services.cycle_snapshots(cycle)
    rows = []
    for number, line in enumerate(lines):
        roll = rng.random()
        status = (
            PaymentStatus.PAID if roll < 0.9 else PaymentStatus.UNCOLLECTED if roll < 0.96 else PaymentStatus.FAILED
        )
        if number == 1:
            status = PaymentStatus.UNCOLLECTED  # at least one of each outcome
        elif number == 2:
            status = PaymentStatus.FAILED
        when = (paid_on + datetime.timedelta(days=rng.randint(0, 4))).isoformat()
        rows.append(
            [line["reference"], line["amount"], words[status], when if status == PaymentStatus.PAID else "",
             f"TX{cycle.pk:03d}{number:05d}" if status == PaymentStatus.PAID else ""]
        )  # fmt: skip
    total = sum((decimal.Decimal(line["amount"]) for line in lines), decimal.Decimal(0))
    if problems and len(rows) > 4:
        rows[0][1] = f"{decimal.Decimal(rows[0][1]) + 500:.2f}"  # an amount changed on the way
        twice = list(rows[3])
        twice[4] = f"TX{cycle.pk:03d}99999"
        rows.insert(5, twice)  # a household reported twice
        rows.append([f"{cycle.office.code}-H-ZZ9Q4KXW", "15500.00", words[PaymentStatus.PAID], paid_on.isoformat(),
                     f"TX{cycle.pk:03d}88888"])  # a reference not on the list  # fmt: skip
    rows.append(["TOTAL", f"{total:.2f}", "", "", ""])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["reference", "amount", "status", "date", "transaction_id"])
    for row in rows:
        writer.writerow([row[0], row[1].replace(".", ",") if comma else row[1], *row[2:]])
    return out.getvalue()


def _reconcile(cycle: PaymentCycle, report: str, by: User) -> None:
    """Through staging, as the upload page does: staged, checked row by row, committed."""
    from liman.core.models import ImportBatch
    from liman.core.staging import import_commit, import_stage

    batch = import_stage(
        kind="cash_provider_report", file=io.BytesIO(report.encode("utf-8")),
        file_name=f"{cycle.reference}-provider-report.csv", office=cycle.office, by=by,
        declared={"cycle": cycle.reference},
    )  # fmt: skip
    if batch.state != ImportBatch.State.VALID:
        raise RuntimeError(f"The demo's provider report of {cycle.reference} was refused: {batch.result}")
    import_commit(batch=batch, by=by)


def _partner_records(cycle: PaymentCycle, rng: random.Random, code: str) -> list[dict[str, str]]:
    """A partner's beneficiary list: a few heads of households on the list, as the partner spelled them (the
    father's name left out, the birth date to the year), and people the office does not serve."""
    from liman.dedup.records import person_records
    from liman.registry.models import Person

    heads = list(cycle.payments.values_list("household__head_id", flat=True))
    chosen = rng.sample(heads, min(PARTNER_OVERLAPS, len(heads)))
    records = []
    for number, record in enumerate(person_records(Person.objects.filter(pk__in=chosen)), start=1):
        record = dict(record, record_id=f"{code}-P{number:04d}", household_id=f"{code}-PH{number:03d}")
        if number % 2:
            record["father_name"] = ""
        if number % 3 == 0 and record.get("birth_date"):
            record["birth_date"] = record["birth_date"][:4]
        records.append(record)
    for number in range(len(records) + 1, len(records) + 1 + PARTNER_OTHERS):
        first, father, family, sex = rng.choice(OTHER_NAMES)
        born = datetime.date(rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28))
        records.append(
            {"record_id": f"{code}-P{number:04d}", "first_name": first, "father_name": father,
             "family_name": family, "sex": sex, "birth_date": born.isoformat(), "nationality": "SYR",
             "phone": f"+90532{rng.randint(1000000, 9999999)}", "foreigner_id": "",
             "household_id": f"{code}-PH{number:03d}"}
        )  # fmt: skip
    return records


def _write_partner_file(path: Path, records: list[dict[str, str]]) -> None:
    from liman.dedup.engine import COLUMNS

    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)


def demo_file_lines() -> list[str]:
    """What `liman seed` prints about cash: who prepares and approves, and the files to try."""
    cycles = PaymentCycle.objects.filter(programme__code=PROGRAMME_CODE, state="sent").select_related("office")
    cycles = list(cycles.order_by("reference"))
    if not cycles:
        return []
    folder = demo_files_dir()
    codes = sorted({cycle.office.code for cycle in cycles})
    lines = [
        f"  Cash ({PROGRAMME_CODE}): lists prepared by "
        + ", ".join(demo_username(Role.PROGRAMME_OFFICER, code) for code in codes)
        + ", approved by "
        + ", ".join(demo_username(Role.CASH_APPROVER, code) for code in codes)
        + ";",
        f"    files to try in {folder}:",
    ]
    for cycle in cycles:
        lines.append(
            f"    {cycle.reference}.csv (+ .sig): the payment file sent; "
            f"{cycle.reference}-provider-report.csv: the provider's report, with problems to reconcile"
        )
    lines.append("    partner-beneficiaries-<office>.csv: a partner's list that overlaps the office's households")
    return lines
