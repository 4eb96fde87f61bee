"""A payment cycle of 100,000 households end to end: the draft list, verification with duplicate checks (this list and
a partner's beneficiary file), four-eyes approval, the signed provider file, and a 100,000-row provider report
reconciled through staging; against the goals verification ≤ 120 s, export ≤ 10 s, reconciliation ≤ 30 s.

    .venv/bin/python benchmarks/cash_cycle.py [--households 100000] [--duplicates 300] [--partner 5000]
        [--overlaps 500] [--seed 15] [--postgres URL] [--profile FILE] [--keep]

Runs on a throwaway SQLite file in a temporary folder; with `--postgres URL` (or DATABASE_URL) on a new database
created on that server and dropped afterwards (the database the URL names is not touched).

The registry is this script's own, bulk-loaded with SQL around the services: 100,000 households enrolled in a
multipurpose cash programme (1–9 members; heads with names, father's names, birth dates, phones and, for most,
foreigner IDs, and a legal status in force), among them a few hundred households registered a second time by the same
head (`--duplicates`: another transliteration, a typo, a father's name left out, a year-only or 1 January birth date,
a changed or missing phone, the foreigner ID missing), plus 1,000 enrolled households the cycle must leave out (the
head's status ended, or the head returned through AVRR). Each head consented to their details going to the payment
provider (the cycle checks it for the whole list), except `--without-consent` of them, held back at verification.
A partner's beneficiary file (`--partner` records in the
columns of `liman dedup file`) names `--overlaps` of the heads on the list, as the partner spelled them, and people
who are not in the registry.

Timed, each through the services as the pages and commands call them: `cycle_create`, `cycle_verify` (with the
partner's records), `cycle_approve` (by a cash approver, not the preparer), `cycle_export` and the check of its
signature, and the provider's report (one row per payment on the list, most paid, some failed or uncollected, and
the total row) reconciled through staging as `liman cash reconcile` does it (stage, then commit).

Baselines measured in the same run: `liman dedup file` over the same head records (what the verification's record
linkage costs on its own), `csv.writer` writing the same payment file, a `csv.reader` pass over the same report.

Printed: each step's seconds, CPU time, statements and peak memory; the held households against the planted
duplicates and partner overlaps (recall, precision); the ratios to the baselines; the goals.

The partner's records are also linked with their foreigner IDs turned into the registry's blind-index tokens (what
the registry's records carry), to show what that changes.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime
import decimal
import io
import os
import platform
import pstats
import random
import re
import sys
import time
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cash_targeting as common  # noqa: E402 - the bulk loader, the throwaway database, the watches

GOALS = {"verify": 120.0, "export": 10.0, "reconcile": 30.0}
PROVINCE = "TUR034"
DROPPED = 1000  # enrolled households the cycle leaves out: 700 with the head's status ended, 300 returned (AVRR)

log = common.log

FIRST_M = ["Mohammed", "Ahmad", "Omar", "Khaled", "Hassan", "Hussein", "Ali", "Yusuf", "Mahmoud", "Ibrahim", "Mustafa",
           "Abdullah", "Hamza", "Bilal", "Samir", "Walid", "Karim", "Nasser", "Jamal", "Rashid", "Tariq", "Hamid",
           "Reza", "Mehdi", "Javad", "Farid", "Habib", "Qasim", "Zaher", "Murtaza", "Sayed", "Abdulrahman", "Anas",
           "Firas", "Ghassan", "Haitham", "Imad", "Jihad", "Louay", "Maher", "Nabil", "Osama", "Raed", "Saeed",
           "Yaser", "Ziad", "Ammar", "Basel", "Fadi", "Hadi"]  # fmt: skip
FIRST_F = ["Fatima", "Aisha", "Maryam", "Zainab", "Huda", "Rania", "Layla", "Nour", "Amina", "Sara", "Hala", "Rasha",
           "Samira", "Yasmin", "Dima", "Reem", "Lina", "Salma", "Hiba", "Asma", "Zahra", "Farzana", "Parisa", "Shirin",
           "Marzia", "Halima", "Khadija", "Amal", "Nadia", "Suha", "Rukaya", "Ghada", "Bushra", "Dalal", "Eman",
           "Fadia", "Ghalia", "Hanan", "Inas", "Jamila", "Kholoud", "Lama", "Manal", "Najwa", "Rawan", "Sawsan",
           "Tahani", "Wafa", "Yara", "Zeina"]  # fmt: skip
#: Other spellings of some names, as another registrar or a partner writes them (not taken from liman's own tables).
SPELLINGS = {
    "Mohammed": ["Muhammad", "Mohamad", "Mehmet", "Mohamed"], "Ahmad": ["Ahmed", "Ehmed"], "Hassan": ["Hasan"],
    "Hussein": ["Hussain", "Huseyin", "Husein"], "Khaled": ["Khalid", "Halit"], "Omar": ["Umar", "Ömer"],
    "Yusuf": ["Youssef", "Yousef"], "Mahmoud": ["Mahmud", "Mahmut"], "Ibrahim": ["Ebrahim", "İbrahim"],
    "Mustafa": ["Moustafa", "Mostafa"], "Abdullah": ["Abdallah", "Abdulla"], "Abdulrahman": ["Abdul Rahman",
    "Abdelrahman"], "Osama": ["Usama"], "Saeed": ["Said", "Sayid"], "Yaser": ["Yasser", "Yasir"],
    "Fatima": ["Fatma", "Fatemeh"], "Aisha": ["Ayşe", "Aysha", "Aicha"], "Maryam": ["Meryem", "Mariam"],
    "Zainab": ["Zeynep", "Zaynab"], "Khadija": ["Hatice", "Khadijah"], "Layla": ["Leyla", "Laila"],
    "Nour": ["Nur", "Noor"], "Amina": ["Emine", "Aminah"], "Huda": ["Hoda"], "Eman": ["Iman", "Imen"],
    "Hanan": ["Hanaa"], "Zeina": ["Zaina", "Zeynah"],
}  # fmt: skip
SYLLABLES_START = ("Kar", "Bar", "Sal", "Mah", "Har", "Zan", "Dar", "Jab", "Nas", "Qad", "Tah", "Sab", "Raw", "Kha",
                   "Ghaz", "Sham", "Fal", "Lab", "Wad", "Haw", "Mar", "Bak", "Sul", "Naj", "Ras", "Had")  # fmt: skip
SYLLABLES_MIDDLE = ("a", "i", "ou", "aa", "ee", "o", "u", "ay", "e")
SYLLABLES_END = ("dan", "ri", "wi", "bi", "jani", "zai", "mi", "shi", "lani", "tani", "ki", "hani", "di", "si",
                 "rawi", "bour", "tout", "mani", "dani", "kawi", "zadeh", "pour", "i", "an", "oun")  # fmt: skip
NATIONALITY_SHARES = {"SYR": 80, "AFG": 8, "IRQ": 7, "IRN": 5}


def families(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        name = rng.choice(SYLLABLES_START) + rng.choice(SYLLABLES_MIDDLE) + rng.choice(SYLLABLES_END)
        if rng.random() < 0.3:
            name = rng.choice(SYLLABLES_START) + name.lower()
        if rng.random() < 0.25:
            name = "Al-" + name
        names.add(name)
    return sorted(names)


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("drop", "double", "swap", "change"))
    if edit == "drop":
        return word[:at] + word[at + 1 :]
    if edit == "double":
        return word[:at] + word[at] + word[at:]
    if edit == "swap":
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + rng.choice("aeiklmnrstuy") + word[at + 1 :]


def respell(rng: random.Random, name: str) -> str:
    """Another spelling of a given name: a known variant when there is one, else a typo."""
    if name in SPELLINGS and rng.random() < 0.8:
        return rng.choice(SPELLINGS[name])
    return typo(rng, name)


def respell_family(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if name.startswith("Al-") and roll < 0.5:
        return rng.choice(["Al ", "Al", "El-", ""]) + name[3:]
    if roll < 0.7:
        return name.replace("ou", "u").replace("aa", "a").replace("ee", "i") if rng.random() < 0.5 else typo(rng, name)
    return typo(rng, name)


def phone_number(rng: random.Random) -> str:
    return f"+905{rng.randint(30, 59)}{rng.randint(0, 9_999_999):07d}"


# --- the registry ---------------------------------------------------------------------------------------------


class Registry:
    """The enrolled households (originals, re-registered duplicates, the ones the cycle leaves out) and the
    partner's file; remembers the truth to score the verification against."""

    def __init__(self, rng: random.Random, args, office, today: datetime.date):
        self.rng, self.args, self.office, self.today = rng, args, office, today
        self.families = families(random.Random(args.seed + 1), 15_000)
        self.family_weights = list(accumulate(1 / (rank + 8) for rank in range(len(self.families))))
        self.size = common.Picker(rng, common.SIZE_SHARES)
        self.heads: dict[int, dict] = {}  # household id -> the head's record (as the matcher's columns, plain)
        self.duplicate_of: dict[int, int] = {}  # re-registered household -> the original
        self.partner: list[dict] = []
        self.partner_overlap: dict[str, int] = {}  # partner record id -> household on the list
        self.numbers: set[str] = set()

    def person(self, sex: str, low: int, high: int, family: str, nationality: str) -> dict:
        rng = self.rng
        born = common.born_aged(rng, self.today, low, high)
        precision = "day"
        if rng.random() < 0.08:
            born, precision = datetime.date(born.year, 1, 1), "year"
        return {
            "first_name": rng.choice(FIRST_M if sex == "M" else FIRST_F),
            "father_name": rng.choice(FIRST_M),
            "family_name": family,
            "sex": sex,
            "birth_date": born,
            "precision": precision,
            "nationality": nationality,
            "phone": "",
            "foreigner_id": "",
        }

    def foreigner_id(self) -> str:
        from liman.registry.identifiers import ykn_with_checksum

        while True:
            number = ykn_with_checksum(f"99{self.rng.randrange(10_000_000):07d}")
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def head(self, nationality: str, family: str) -> dict:
        rng = self.rng
        sex = "F" if rng.random() < 0.25 else "M"
        head = self.person(sex, 19, 70, family, nationality)
        head["phone"] = phone_number(rng) if rng.random() < 0.92 else ""
        head["foreigner_id"] = self.foreigner_id() if rng.random() < 0.85 else ""
        return head

    def household(self, nationality: str) -> list[dict]:
        rng = self.rng
        family = rng.choices(self.families, cum_weights=self.family_weights)[0]
        size = self.size()
        head = self.head(nationality, family)
        people = [head]
        if size >= 2 and rng.random() < 0.8:
            spouse = self.person("F" if head["sex"] == "M" else "M", 18, 65, family, nationality)
            people.append(spouse)
        while len(people) < size:
            child = self.person(rng.choice("MF"), 0, 17, family, nationality)
            child["father_name"] = head["first_name"] if head["sex"] == "M" else rng.choice(FIRST_M)
            people.append(child)
        return people

    def reregistered(self, original: list[dict]) -> list[dict]:
        """The same household registered again: its head written differently, often without the ID."""
        rng = self.rng
        head = dict(original[0])
        edits = rng.sample(["first", "family", "father", "birth", "phone", "id"], rng.randint(1, 3))
        if "first" in edits:
            head["first_name"] = respell(rng, head["first_name"])
        if "family" in edits:
            head["family_name"] = respell_family(rng, head["family_name"])
        if "father" in edits:
            head["father_name"] = "" if rng.random() < 0.6 else respell(rng, head["father_name"])
        if "birth" in edits and head["birth_date"] is not None:
            born = head["birth_date"]
            roll = rng.random()
            if roll < 0.4:
                head["birth_date"], head["precision"] = datetime.date(born.year, 1, 1), "year"
            elif roll < 0.7:
                head["birth_date"] = datetime.date(born.year, 1, 1)
            elif born.day <= 12:
                head["birth_date"] = datetime.date(born.year, born.day, born.month)
        if "phone" in edits:
            head["phone"] = phone_number(rng) if rng.random() < 0.6 else ""
        if "id" in edits or rng.random() < 0.4:
            head["foreigner_id"] = ""  # re-registered without the card
        members = [dict(member, first_name=respell(rng, member["first_name"])) if rng.random() < 0.3 else dict(member)
                   for member in original[1:]]  # fmt: skip
        for member in members:
            member["family_name"] = head["family_name"]
        return [head, *members]

    def partner_record(self, record_id: str, head: dict) -> dict:
        """A partner's record of the same person, as the partner spelled it."""
        rng = self.rng
        born = head["birth_date"]
        birth = "" if born is None else (str(born.year) if head["precision"] == "year" else born.isoformat())
        if birth and rng.random() < 0.15:
            birth = str(born.year)
        phone = head["phone"]
        roll = rng.random()
        if roll < 0.15:
            phone = ""
        elif roll < 0.25:
            phone = phone_number(rng)
        return {
            "record_id": record_id,
            "first_name": respell(rng, head["first_name"]) if rng.random() < 0.5 else head["first_name"],
            "father_name": "" if rng.random() < 0.3 else head["father_name"],
            "family_name": respell_family(rng, head["family_name"]) if rng.random() < 0.4 else head["family_name"],
            "sex": head["sex"],
            "birth_date": birth,
            "nationality": head["nationality"],
            "phone": phone,
            "foreigner_id": head["foreigner_id"] if rng.random() < 0.7 else "",
            "household_id": f"PH-{record_id[2:]}",
        }

    def load(self, rules_version, programme) -> dict:
        from liman.cases.models import Case
        from liman.cash.models import Enrolment
        from liman.core import crypto
        from liman.core.choices import ProgrammeArea
        from liman.core.models import AdminArea, Programme
        from liman.registry.models import Consent, Household, HouseholdMember, Identifier, LegalStatus, Person

        rng, args, office, today = self.rng, self.args, self.office, self.today
        districts = list(AdminArea.objects.filter(level=2, parent__pcode=PROVINCE).values_list("pk", flat=True))
        nationality = common.Picker(rng, NATIONALITY_SHARES)
        phone_index = Person._meta.get_field("phone_index")
        value_index = Identifier._meta.get_field("value_index")
        originals = args.households - args.duplicates
        plan: list[tuple[str, int | None]] = [("original", None)] * originals
        duplicated = rng.sample(range(1, originals + 1), args.duplicates)
        plan += [("duplicate", original) for original in duplicated]
        plan += [("status ended", None)] * 700 + [("returned", None)] * (DROPPED - 700)
        self.without_consent = set(rng.sample(range(1, originals + 1), args.without_consent))
        loaded: dict[int, list[dict]] = {}
        returned: list[int] = []
        models = [Person, Household, HouseholdMember, Identifier, LegalStatus, Consent, Enrolment]
        with common.BulkLoader(models) as loader:
            people = loader.table(Person, ["id", "office", "reference", "first_name", "father_name", "family_name",
                                           "sex", "birth_date", "birth_date_precision", "nationality", "phone",
                                           "phone_index"])  # fmt: skip
            homes = loader.table(Household, ["id", "office", "reference", "head", "district"])
            members = loader.table(HouseholdMember, ["id", "household", "person", "relationship", "joined_on"])
            identifiers = loader.table(Identifier, ["id", "person", "type", "value", "value_index"])
            statuses = loader.table(LegalStatus, ["id", "person", "status", "started_on", "ended_on"])
            consents = loader.table(Consent, ["id", "person", "purpose", "legal_basis", "given_on"])
            enrolments = loader.table(Enrolment, ["id", "programme", "office", "household", "rules", "amount",
                                                  "enrolled_on"])  # fmt: skip
            empty_phone = crypto.encrypt("")
            person_id = identifier_id = 0
            for number, (kind, original) in enumerate(plan, start=1):
                if kind == "duplicate":
                    household = self.reregistered(loaded[original])
                    self.duplicate_of[number] = original
                else:
                    household = self.household(nationality())
                if number <= originals:
                    loaded[number] = household
                head_id = person_id + 1
                for position, member in enumerate(household):
                    person_id += 1
                    phone = member["phone"]
                    people.add(person_id, office.pk, f"{office.code}-P{person_id:08d}", member["first_name"],
                               member["father_name"], member["family_name"], member["sex"], member["birth_date"],
                               member["precision"], member["nationality"],
                               crypto.encrypt(phone) if phone else empty_phone,
                               phone_index.get_prep_value(phone) if phone else None)  # fmt: skip
                    relationship = "head" if position == 0 else ("spouse" if member["sex"] != household[0]["sex"]
                                                                 and position == 1 else "child")  # fmt: skip
                    members.add(person_id, number, person_id, relationship, datetime.date(2020, 3, 1))
                    if member["foreigner_id"]:
                        identifier_id += 1
                        ykn = member["foreigner_id"]
                        identifiers.add(identifier_id, person_id, "foreigner_id", crypto.encrypt(ykn),
                                        value_index.get_prep_value(ykn))  # fmt: skip
                ended = today - datetime.timedelta(days=rng.randint(1, 200)) if kind == "status ended" else None
                status = "temporary_protection" if household[0]["nationality"] == "SYR" else (
                    "international_protection_applicant")  # fmt: skip
                statuses.add(number, head_id, status, datetime.date(2018, 1, 1), ended)
                if number not in self.without_consent:
                    asked = today - datetime.timedelta(days=60)  # at enrolment
                    consents.add(number, head_id, "sharing_payment_provider", "consent", asked)
                homes.add(number, office.pk, f"{office.code}-H{number:07d}", head_id, rng.choice(districts))
                size = len(household)
                amount = common.amount_for(size, False)
                enrolments.add(number, programme.pk, office.pk, number, rules_version.pk, decimal.Decimal(amount),
                               today - datetime.timedelta(days=60))  # fmt: skip
                if kind in ("original", "duplicate"):
                    self.heads[number] = dict(household[0], person_id=head_id)
                if kind == "returned":
                    returned.append(head_id)
                if number % 25_000 == 0:
                    log(f"  {number:,} households, {person_id:,} people")
            for writer in (people, homes, members, identifiers, statuses, consents, enrolments):
                writer.flush()
            counts = {"households": homes.count, "people": people.count, "foreigner IDs": identifiers.count,
                      "enrolments": enrolments.count, "consents to share": consents.count}  # fmt: skip
            log("building indexes")
        avrr = Programme.objects.get(code=ProgrammeArea.AVRR)
        Case.objects.bulk_create(
            [
                Case(
                    reference=f"{office.code}-AV{n:05d}",
                    type="avrr",
                    person_id=head,
                    office=office,
                    programme=avrr,
                    state="departed",
                )
                for n, head in enumerate(returned, start=1)
            ]  # fmt: skip
        )
        # The partner's file: heads of the list as the partner wrote them, and people not in the registry.
        overlap = rng.sample(sorted(set(range(1, originals + 1)) - set(duplicated)), args.overlaps)
        for n, household in enumerate(overlap, start=1):
            record_id = f"P-{n:06d}"
            self.partner.append(self.partner_record(record_id, self.heads[household]))
            self.partner_overlap[record_id] = household
        for n in range(args.overlaps + 1, args.partner + 1):
            stranger = self.head(nationality(), rng.choices(self.families, cum_weights=self.family_weights)[0])
            self.partner.append(self.partner_record(f"P-{n:06d}", stranger))
        rng.shuffle(self.partner)
        counts["partner records"] = len(self.partner)
        return counts


# --- measuring ------------------------------------------------------------------------------------------------


class Step:
    """Wall and CPU seconds, statements and peak memory of one step."""

    def __init__(self, name: str, profile: str = ""):
        self.name, self.profile = name, profile
        self.wall = self.cpu = self.peak = 0.0
        self.statements = common.Statements()

    def __enter__(self) -> Step:
        from django.db import connection

        log(f"{self.name} (load average {common.load_average()})")
        common.peak_reset()
        self._wrapper = connection.execute_wrapper(self.statements)
        self._wrapper.__enter__()
        self._profiler = cProfile.Profile() if self.profile else None
        self._started, self._cpu = time.perf_counter(), time.process_time()
        if self._profiler:
            self._profiler.enable()
        return self

    def __exit__(self, *exc) -> None:
        if self._profiler:
            self._profiler.disable()
        self.wall = time.perf_counter() - self._started
        self.cpu = time.process_time() - self._cpu
        self._wrapper.__exit__(*exc)
        self.peak = common.peak_mib()
        if self._profiler and exc[0] is None:
            path = f"{self.profile}.{self.name.replace(' ', '-')}"
            self._profiler.dump_stats(path)
            out = io.StringIO()
            pstats.Stats(self._profiler, stream=out).sort_stats("tottime").print_stats(15)
            self.profile_text = f"profile in {path}; top by own time:\n{out.getvalue()}"

    def line(self) -> str:
        return (f"{self.wall:7.1f} s  (CPU {self.cpu:.1f} s, {self.statements.count:,} statements taking "
                f"{self.statements.seconds:.1f} s, peak {self.peak:,.0f} MiB)")  # fmt: skip


def stage_and_commit(cycle, path: Path, by) -> tuple[float, float, object]:
    """What `liman cash reconcile` does: stage the report in a transaction, then commit it."""
    from django.db import transaction

    from liman.core.models import ImportBatch
    from liman.core.staging import import_commit, import_stage, problem_report

    started = time.perf_counter()
    with transaction.atomic(), path.open("rb") as stream:
        batch = import_stage(
            kind="cash_provider_report",
            file=stream,
            file_name=path.name,
            office=cycle.office,
            by=by,
            declared={"cycle": cycle.reference},
        )
    staged = time.perf_counter()
    if batch.state != ImportBatch.State.VALID:
        problems = list(problem_report(batch))[:10]
        raise SystemExit(f"the provider report was refused: {problems}")
    batch = import_commit(batch=batch, by=by)
    return staged - started, time.perf_counter() - staged, batch


def write_report(path: Path, lines: list[list[str]], rng: random.Random) -> dict[str, int]:
    """The provider's report of the payment file's rows: most paid, some failed or uncollected; the total row."""
    outcomes = {"paid": 0, "failed": 0, "uncollected": 0}
    total = decimal.Decimal(0)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["reference", "amount", "status", "date", "transaction_id"])
        for n, (reference, amount) in enumerate(lines, start=1):
            roll = rng.random()
            status = "paid" if roll < 0.95 else ("failed" if roll < 0.98 else "uncollected")
            outcomes[status] += 1
            total += decimal.Decimal(amount)
            date = f"2026-12-{1 + n % 20:02d}" if status == "paid" else ""
            writer.writerow([reference, amount, status, date, f"TX{n:09d}" if status == "paid" else ""])
        writer.writerow(["TOTAL", f"{total:.2f}", "", "", ""])
    return outcomes


def head_records_file(path: Path, heads: dict[int, int]) -> int:
    """The heads' matcher records (as the verification reads them) in the columns of `liman dedup file`."""
    from liman.dedup.engine import COLUMNS
    from liman.dedup.records import person_records
    from liman.registry.models import Person

    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
        writer.writeheader()
        for record in person_records(Person.objects.filter(pk__in=list(heads))):
            writer.writerow(record)
            count += 1
    return count


def false_hold_examples(registry: Registry, held: dict[int, str], count: int) -> list[str]:
    """A few holds at p ≥ 0.90 that are neither a planted duplicate nor a partner overlap, the two records side by
    side (as generated: the registry's head, and the other head or the partner's record)."""
    true = set(registry.duplicate_of) | set(registry.partner_overlap.values())
    partner = {record["record_id"]: record for record in registry.partner}

    def text(record: dict) -> str:
        born = record["birth_date"]
        if isinstance(born, datetime.date):
            born = str(born.year) if record.get("precision") == "year" else born.isoformat()
        name = f"{record['first_name']} {record['father_name'] or '-'} {record['family_name']}"
        number = "ID" if record["foreigner_id"] else "no ID"
        return f"{name}, {record['sex']}, {born or '-'}, {record['phone'] or 'no phone'}, {number}"

    lines = []
    for household, reason in sorted(held.items()):
        found = re.search(r"p = ([0-9.]+)", reason)
        if household in true or household not in registry.heads or not found or float(found.group(1)) < 0.90:
            continue
        other = re.search(r"household (\d+)", reason) or re.search(r"record (P-\d+)", reason)
        if other is None:
            continue
        key = other.group(1)
        other_record = registry.heads.get(int(key)) if key.isdigit() else partner.get(key)
        if other_record is None:
            continue
        lines.append(f"{text(registry.heads[household])}  ~  {text(other_record)}  ({reason[:40]}…)")
        if len(lines) == count:
            break
    return lines


def score_holds(registry: Registry, held: dict[int, str]) -> dict:
    """Held households against the truth: the later household of each planted pair, each partner overlap."""
    duplicates = set(registry.duplicate_of)
    overlaps = set(registry.partner_overlap.values())
    true = duplicates | overlaps
    found = set(held) & true
    pairs_reason = sum(1 for h in duplicates & set(held) if "on this list" in held[h] or "Same head" in held[h])
    partner_reason = sum(1 for h in overlaps & set(held) if "beneficiary list" in held[h])
    probability = {h: float(m.group(1)) if (m := re.search(r"p = ([0-9.]+)", reason)) else 1.0
                   for h, reason in held.items()}  # fmt: skip
    bands = {}
    for band, low in (("p ≥ 0.90 (auto-link)", 0.90), ("0.02 ≤ p < 0.90 (review)", -1.0)):
        chosen = {h for h, p in probability.items() if (p >= low if low > 0 else p < 0.90)}
        bands[band] = {
            "held": len(chosen),
            "true": len(chosen & true),
            "false": len(chosen - true),
            "precision": len(chosen & true) / len(chosen) if chosen else 1.0,
            "recall": len(chosen & true) / len(true) if true else 1.0,
        }
    false_kinds: dict[str, int] = {}
    for h in set(held) - true:
        kind = "partner's list" if "beneficiary list" in held[h] else "same head on this list"
        kind += ", p ≥ 0.90" if probability[h] >= 0.90 else ", p < 0.90"
        false_kinds[kind] = false_kinds.get(kind, 0) + 1
    return {
        "bands": bands,
        "false_kinds": false_kinds,
        "held": len(held),
        "duplicates": len(duplicates),
        "duplicates_found": len(duplicates & set(held)),
        "duplicates_named": pairs_reason,
        "overlaps": len(overlaps),
        "overlaps_found": len(overlaps & set(held)),
        "overlaps_named": partner_reason,
        "false": len(set(held) - true),
        "precision": len(found) / len(held) if held else 1.0,
        "recall": len(found) / len(true) if true else 1.0,
    }


def partner_link_recall(registry: Registry, tokens: bool) -> tuple[float, int, float]:
    """Link the list's heads that are on the partner's file (and 2,000 others) with the partner's records, as
    `cycle_verify` does; with `tokens`, the partner's foreigner IDs first turned into the registry's blind-index
    tokens (what the registry's records carry). (recall of the overlaps, pairs, seconds)."""
    from liman.dedup import engine
    from liman.dedup.records import person_records
    from liman.registry.models import Identifier, Person

    rng = random.Random(7)
    households = set(registry.partner_overlap.values()) | set(rng.sample(sorted(registry.heads), 2000))
    person_of = {registry.heads[h]["person_id"]: h for h in households}
    mine = list(person_records(Person.objects.filter(pk__in=list(person_of))))
    partner = registry.partner
    if tokens:
        index = Identifier._meta.get_field("value_index")
        partner = [dict(r, foreigner_id=index.get_prep_value(r["foreigner_id"]) if r["foreigner_id"] else "")
                   for r in partner]  # fmt: skip
    started = time.perf_counter()
    pairs = engine.link(mine, partner)
    seconds = time.perf_counter() - started
    linked = {(person_of[int(p.record_id_l)], p.record_id_r) for p in pairs}
    found = sum(1 for record, household in registry.partner_overlap.items() if (household, record) in linked)
    return found / len(registry.partner_overlap), len(pairs), seconds


# --- the run --------------------------------------------------------------------------------------------------


def setup_world():
    from liman.cash import services
    from liman.core.choices import OfficeType, Role
    from liman.core.models import AdminArea
    from liman.core.services import office_create, role_grant_add, user_create

    office = office_create(code="IST", name="Istanbul Sub-Office", province=AdminArea.objects.get(pcode=PROVINCE),
                           type=OfficeType.SUB, by=None)  # fmt: skip
    officer = user_create(username="po.ist", password=None, by=None)
    role_grant_add(user=officer, role=Role.PROGRAMME_OFFICER, office=office, by=None)
    approver = user_create(username="approver.ist", password=None, by=None)
    role_grant_add(user=approver, role=Role.CASH_APPROVER, office=office, by=None)
    programme = services.programme_create(
        code="MPC", name="Multipurpose cash", offices=[office], eligibility=common.ELIGIBILITY,
        transfer_value=common.TRANSFER_VALUE, by=officer,
    )  # fmt: skip
    return office, officer, approver, programme


FINDINGS: list[str] = []


def run(args) -> int:
    from django.conf import settings
    from django.core.management import call_command

    from liman.cash import services
    from liman.cash.choices import CycleState, PaymentStatus
    from liman.cash.models import Enrolment, Payment
    from liman.core import crypto
    from liman.dedup import engine

    rng = random.Random(args.seed)
    today = datetime.date.today()
    print(
        f"cash cycle: {common.database_label()}; {args.households:,} households on the list ({args.duplicates} "
        f"registered twice), a partner file of {args.partner:,} records ({args.overlaps} on the list); "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, DEBUG {settings.DEBUG}; "
        f"load average {common.load_average()} at the start"
    )
    log("migrating a throwaway database")
    call_command("migrate", verbosity=0)
    office, officer, approver, programme = setup_world()
    log(f"generating and loading {args.households + DROPPED:,} enrolled households")
    started = time.perf_counter()
    registry = Registry(rng, args, office, today)
    counts = registry.load(programme.current_rules, programme)
    log(f"loaded in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    folder = Path(os.environ["LIMAN_VAR_DIR"])
    steps: dict[str, Step] = {}
    profile = args.profile

    # 1. The draft list.
    create = Step("cycle_create", profile)
    with create:
        cycle = services.cycle_create(programme=programme, office=office, provider="generic_csv", by=officer)
    steps[create.name] = create
    payments = Payment.objects.filter(cycle=cycle)
    listed = payments.count()
    left_out = Enrolment.objects.filter(programme=programme, ended_on__isnull=False).count()

    # 2. Verification: duplicates on this list and on the partner's file.
    timers = {name: common.Timed(engine, name) for name in ("dedupe", "link")}
    verify = Step("cycle_verify", profile)
    with verify:
        outcome = services.cycle_verify(
            cycle=cycle, by=officer, partner_records=registry.partner, partner_name="Partner NGO"
        )
    for timer in timers.values():
        timer.restore()
    steps[verify.name] = verify
    held = dict(payments.filter(status=PaymentStatus.HELD).values_list("household_id", "hold_reason"))
    scored = score_holds(registry, held)

    # 3. Approval by a second person, then the signed file.
    approve = Step("cycle_approve", profile)
    with approve:
        services.cycle_approve(cycle=cycle, by=approver)
    steps["cycle_approve"] = approve
    cycle.refresh_from_db()
    export = Step("cycle_export", profile)
    with export:
        data, signature = services.cycle_export(cycle=cycle, by=officer)
    steps["cycle_export"] = export
    started = time.perf_counter()
    signature_ok = crypto.payment_verify(data, signature)
    verify_signature_s = time.perf_counter() - started
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 0x01
    tamper_refused = not crypto.payment_verify(bytes(tampered), signature)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    header, file_rows = rows[0], rows[1:]

    # Baselines of the export and of the verification.
    started = time.perf_counter()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(file_rows)
    out.getvalue().encode("utf-8")
    export_base = time.perf_counter() - started
    heads = dict(
        Payment.objects.filter(cycle=cycle).values_list("household__head_id", "household_id")
    )  # every head on the list, as the verification reads them
    records_path, pairs_path = folder / "heads.csv", folder / "pairs.csv"
    head_records_file(records_path, heads)
    log("baseline: liman dedup file over the same head records")
    started = time.perf_counter()
    call_command("dedup", "file", str(records_path), "--output", str(pairs_path), stdout=io.StringIO())
    dedup_base = time.perf_counter() - started
    log("the partner's records linked as they come, and with their foreigner IDs as tokens")
    plain_recall, plain_pairs, plain_s = partner_link_recall(registry, tokens=False)
    token_recall, token_pairs, token_s = partner_link_recall(registry, tokens=True)

    # 4. The provider's report, reconciled through staging.
    cycle.refresh_from_db()
    report_path = folder / "report.csv"
    reported = write_report(report_path, [[r[0], r[header.index("amount")]] for r in file_rows], rng)
    started = time.perf_counter()
    with report_path.open(encoding="utf-8", newline="") as stream:
        report_rows = sum(1 for _row in csv.reader(stream))
    read_base = time.perf_counter() - started
    from liman.cash.importers import ProviderReportImporter

    checks_run = common.Timed(ProviderReportImporter, "check_batch")
    reconcile = Step("reconcile", profile)
    with reconcile:
        stage_s, commit_s, batch = stage_and_commit(cycle, report_path, officer)
    steps["reconcile"] = reconcile
    checks_run.restore()
    cycle.refresh_from_db()

    # --- the report ---
    print(f"\n{listed:,} payments listed ({left_out:,} enrolments ended first: status ended or returned); "
          f"{outcome['held']:,} held at verification, {outcome['no_consent']:,} held back without consent to share "
          f"(planted {args.without_consent:,}); {cycle.households:,} payments approved, "
          f"{cycle.total:,.2f} {cycle.programme.currency}")  # fmt: skip
    print("\nsteps:")
    for name, step in steps.items():
        print(f"  {name:50} {step.line()}")
        if name.startswith("cycle_verify"):
            print(f"    of it: engine.dedupe {timers['dedupe'].seconds:.1f} s, engine.link (partner) "
                  f"{timers['link'].seconds:.1f} s")  # fmt: skip
        if name.startswith("cycle_export"):
            print(f"  {'the signature checked':50} {verify_signature_s * 1000:7.1f} ms ({len(data) / 1e6:.1f} MB)")
        if name.startswith("reconcile"):
            print(f"    staging {stage_s:.1f} s, commit {commit_s:.1f} s; the importer's check ran {checks_run.calls} "
                  f"times ({checks_run.seconds:.1f} s); marked {batch.result.get('created')}")  # fmt: skip
    print("\nduplicates held at verification:")
    print(f"  registered twice on this list: {scored['duplicates_found']} of {scored['duplicates']} held "
          f"(recall {scored['duplicates_found'] / max(scored['duplicates'], 1):.3f}; {scored['duplicates_named']} "
          "with 'same head' as the reason)")  # fmt: skip
    print(f"  on the partner's file:         {scored['overlaps_found']} of {scored['overlaps']} held "
          f"(recall {scored['overlaps_found'] / max(scored['overlaps'], 1):.3f}; {scored['overlaps_named']} with "
          "the partner's list as the reason)")  # fmt: skip
    print(f"  held and neither: {scored['false']:,}; precision {scored['precision']:.3f}, recall "
          f"{scored['recall']:.3f} over both")  # fmt: skip
    for band, figures in scored["bands"].items():
        print(f"    holds at {band}: {figures['held']:,} ({figures['true']:,} planted, {figures['false']:,} not): "
              f"precision {figures['precision']:.3f}, recall {figures['recall']:.3f}")  # fmt: skip
    if scored["false_kinds"]:
        print("    the holds that are neither, by reason: " + ", ".join(
            f"{kind} {n:,}" for kind, n in scored["false_kinds"].items()))  # fmt: skip
        for line in false_hold_examples(registry, held, 4):
            print(f"      {line}")
    print(f"  the partner's records linked as they come (foreigner IDs as numbers): recall {plain_recall:.3f} "
          f"({plain_pairs:,} pairs, {plain_s:.1f} s); with the IDs as the registry's blind-index tokens: "
          f"{token_recall:.3f} ({token_pairs:,} pairs, {token_s:.1f} s)")  # fmt: skip
    print("\nbaselines (same run):")
    print(f"  liman dedup file over the same {len(heads):,} head records: {dedup_base:.1f} s; verification / it = "
          f"{verify.wall / dedup_base:.1f}")  # fmt: skip
    print(f"  csv.writer writing the same {len(file_rows):,} rows: {export_base:.2f} s; export / it = "
          f"{export.wall / export_base:.0f}")  # fmt: skip
    print(
        f"  csv.reader over the {report_rows - 1:,}-row report: {read_base:.2f} s; reconciliation / it = "
        f"{reconcile.wall / read_base:.0f}"
    )

    checks = {
        f"one payment per enrolled household left after the review ({listed:,} = {args.households:,})": listed
        == args.households,
        "the file's signature verifies": signature_ok,
        "a file changed by one bit is refused": tamper_refused,
        f"the file lists the approved payments ({len(file_rows):,} = {cycle.households:,})": len(file_rows)
        == cycle.households,
        "the cycle is reconciled": cycle.state == CycleState.RECONCILED,
        f"the report's outcomes were all marked ({batch.result.get('created')} = {reported})": {
            k: int(v) for k, v in (batch.result.get("created") or {}).items()
        }
        == reported,
    }
    marked = sum(payments.filter(status__in=["paid", "failed", "uncollected"]).values_list("amount", flat=True),
                 decimal.Decimal(0))  # fmt: skip
    checks[f"paid + failed + uncollected = the list's total ({marked:,.2f} = {cycle.total:,.2f})"] = (
        marked == cycle.total
    )
    print("\nchecks:")
    for name, held_ok in checks.items():
        print(f"  {'ok    ' if held_ok else 'FAILED'} {name}")
    for text in FINDINGS:
        print(f"  FINDING: {text}")
    print("\ngoals:")
    figures = {"verify": verify.wall, "export": export.wall, "reconcile": reconcile.wall}
    for name, goal in GOALS.items():
        seconds = figures[name]
        verdict = "met" if seconds <= goal else f"MISSED by {seconds - goal:.0f} s"
        extra = ""
        which = {"verify": verify.name, "export": export.name, "reconcile": reconcile.name}[name]
        print(f"  {name} ≤ {goal:.0f} s ({which}): {verdict} ({seconds:.1f} s{extra})")
    for step in steps.values():
        if getattr(step, "profile_text", ""):
            print(f"\n{step.name}: {step.profile_text}")
    return 0 if all(checks.values()) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000, help="households on the list (default 100,000)")
    parser.add_argument("--duplicates", type=int, default=300, help="of them, registered a second time (default 300)")
    parser.add_argument("--partner", type=int, default=5000, help="records in the partner's file (default 5,000)")
    parser.add_argument("--overlaps", type=int, default=500, help="of them, heads on the list (default 500)")
    parser.add_argument("--without-consent", type=int, default=0,
                        help="heads on the list without consent to share with the provider (default 0)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL", ""), help="a PostgreSQL server's URL")
    parser.add_argument("--profile", default="", help="write a cProfile of each step to FILE.<step>")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()
    postgres = args.postgres if args.postgres.startswith(("postgres://", "postgresql://")) else ""
    with common.throwaway_database(postgres, "cash_cycle", keep=args.keep):
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
