"""Counter-trafficking data in the CTDC data standard (Counter Trafficking Data Collaborative), de-identified.

One row per identified victim, with the CTDC column names; no name, reference, identifier or exact date; ages
in the CTDC bands. The names, and their order, are those of CTDC's k-anonymised "Global Victim of Trafficking"
dataset (its header as published in 2021: yearOfRegistration, Datasource, gender, ageBroad, majorityStatus, …,
isOrganRemoval, …, CountryOfExploitation, recruiterRelationIntimatePartner, …), less the columns the mission does
not record (majorityStatusAtExploit, majorityEntry, typeOfLabour*, typeOfSex*, isAbduction, the *Concatenated ones),
so that a file can be appended to it.

Then k-anonymity (CTDC uses k = 11): no combination of published values may be shared by fewer than k victims.
Columns are generalised first (a value is blanked for every row, the column with the most distinct values first:
the Datafly heuristic), and the victims still in too-small groups are left out.

Pure logic, no database: the service reads the cases, this module shapes and anonymises the rows. Cells are
written through core's `neutralise_formula`, so no cell runs as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pycountry

from liman.core.tabular import neutralise_formula

from .choices import ExploitationType, MeansOfControl, RecruiterRelation

#: CTDC's broad age bands (the global dataset writes them with a double hyphen).
AGE_BANDS: list[tuple[int, int | None, str]] = [
    (0, 8, "0--8"),
    (9, 17, "9--17"),
    (18, 20, "18--20"),
    (21, 23, "21--23"),
    (24, 26, "24--26"),
    (27, 29, "27--29"),
    (30, 38, "30--38"),
    (39, 47, "39--47"),
    (48, None, "48+"),
]

DATASOURCE = "Case Management"


def default_k() -> int:
    """The smallest group published: CTDC uses k = 11 (setting LIMAN_CTDC_K)."""
    from django.conf import settings

    return settings.LIMAN_CTDC_K


MEANS_OF_CONTROL_COLUMNS = {
    MeansOfControl.DEBT_BONDAGE: "meansOfControlDebtBondage",
    MeansOfControl.TAKES_EARNINGS: "meansOfControlTakesEarnings",
    MeansOfControl.RESTRICTS_FINANCIAL_ACCESS: "meansOfControlRestrictsFinancialAccess",
    MeansOfControl.THREATS: "meansOfControlThreats",
    MeansOfControl.PSYCHOLOGICAL_ABUSE: "meansOfControlPsychologicalAbuse",
    MeansOfControl.PHYSICAL_ABUSE: "meansOfControlPhysicalAbuse",
    MeansOfControl.SEXUAL_ABUSE: "meansOfControlSexualAbuse",
    MeansOfControl.FALSE_PROMISES: "meansOfControlFalsePromises",
    MeansOfControl.PSYCHOACTIVE_SUBSTANCES: "meansOfControlPsychoactiveSubstances",
    MeansOfControl.RESTRICTS_MOVEMENT: "meansOfControlRestrictsMovement",
    MeansOfControl.RESTRICTS_MEDICAL_CARE: "meansOfControlRestrictsMedicalCare",
    MeansOfControl.EXCESSIVE_WORKING_HOURS: "meansOfControlExcessiveWorkingHours",
    MeansOfControl.USES_CHILDREN: "meansOfControlUsesChildren",
    MeansOfControl.THREAT_OF_LAW_ENFORCEMENT: "meansOfControlThreatOfLawEnforcement",
    MeansOfControl.WITHHOLDS_NECESSITIES: "meansOfControlWithholdsNecessities",
    MeansOfControl.WITHHOLDS_DOCUMENTS: "meansOfControlWithholdsDocuments",
    MeansOfControl.OTHER: "meansOfControlOther",
}
EXPLOITATION_COLUMNS = {
    ExploitationType.FORCED_LABOUR: "isForcedLabour",
    ExploitationType.SEXUAL: "isSexualExploit",
    ExploitationType.OTHER: "isOtherExploit",
    ExploitationType.FORCED_MARRIAGE: "isForcedMarriage",
    ExploitationType.FORCED_MILITARY: "isForcedMilitary",
    ExploitationType.ORGAN_REMOVAL: "isOrganRemoval",
}
RECRUITER_COLUMNS = {
    RecruiterRelation.INTIMATE_PARTNER: "recruiterRelationIntimatePartner",
    RecruiterRelation.FRIEND: "recruiterRelationFriend",
    RecruiterRelation.FAMILY: "recruiterRelationFamily",
    RecruiterRelation.OTHER: "recruiterRelationOther",
    RecruiterRelation.UNKNOWN: "recruiterRelationUnknown",
}

COLUMNS: list[str] = [
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    *MEANS_OF_CONTROL_COLUMNS.values(),
    "meansOfControlNotSpecified",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isSexAndLabour",
    "isForcedMarriage",
    "isForcedMilitary",
    "isOrganRemoval",
    "CountryOfExploitation",
    *RECRUITER_COLUMNS.values(),
]
#: Every published column but the constant one: the k-anonymity groups are formed over all of these.
QUASI_IDENTIFIERS: list[str] = [column for column in COLUMNS if column != "Datasource"]


def age_band(age: int | None) -> str:
    if age is None or age < 0:
        return ""
    for low, high, label in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return ""


def majority_status(age: int | None) -> str:
    if age is None or age < 0:
        return ""
    return "Minor" if age < 18 else "Adult"


def alpha2(code: str) -> str:
    """CTDC writes countries as ISO 3166-1 alpha-2; the registry keeps alpha-3."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_3=code.upper())
    return country.alpha_2 if country else ""


def _flag(value: bool) -> str:
    return "1" if value else "0"


@dataclass(frozen=True)
class Victim:
    """The facts of one identified victim that the CTDC standard publishes (nothing that names them)."""

    registered_on: datetime.date
    sex: str  # "M" / "F" / ""
    age: int | None  # at registration
    citizenship: str  # ISO alpha-3
    exploitation_types: tuple[str, ...] = ()
    means_of_control: tuple[str, ...] = ()
    recruiter_relation: str = ""
    country_of_exploitation: str = ""  # ISO alpha-3


def victim_row(victim: Victim) -> dict[str, str]:
    row = {
        "yearOfRegistration": str(victim.registered_on.year),
        "Datasource": DATASOURCE,
        "gender": {"M": "Male", "F": "Female"}.get(victim.sex, ""),
        "ageBroad": age_band(victim.age),
        "majorityStatus": majority_status(victim.age),
        "citizenship": alpha2(victim.citizenship),
        "CountryOfExploitation": alpha2(victim.country_of_exploitation),
    }
    means = set(victim.means_of_control)
    for value, column in MEANS_OF_CONTROL_COLUMNS.items():
        row[column] = _flag(value in means)
    row["meansOfControlNotSpecified"] = _flag(not means)
    types = set(victim.exploitation_types)
    for value, column in EXPLOITATION_COLUMNS.items():
        row[column] = _flag(value in types) if types else ""
    both = ExploitationType.FORCED_LABOUR in types and ExploitationType.SEXUAL in types
    row["isSexAndLabour"] = _flag(both) if types else ""
    for value, column in RECRUITER_COLUMNS.items():
        row[column] = _flag(victim.recruiter_relation == value) if victim.recruiter_relation else ""
    return {column: row[column] for column in COLUMNS}


@dataclass
class Anonymised:
    """Rows ready to publish, and what was done to get them."""

    rows: list[dict[str, str]]
    k: int
    generalised: list[str] = field(default_factory=list)
    suppressed: int = 0


def _groups(rows: list[dict[str, str]], columns: list[str]) -> Counter:
    return Counter(tuple(row[column] for column in columns) for row in rows)


def _too_small(rows: list[dict[str, str]], columns: list[str], k: int) -> int:
    """How many rows sit in groups of fewer than k."""
    return sum(size for size in _groups(rows, columns).values() if size < k)


def k_anonymise(rows: Iterable[dict[str, str]], k: int, columns: list[str] | None = None) -> Anonymised:
    """Generalise columns (blank them), most distinct values first, until at most k rows sit in groups smaller
    than k; then leave those rows out. Every combination of values in `columns` is then shared by ≥ k rows."""
    if k < 1:
        raise ValueError("k must be at least 1.")
    columns = list(columns or QUASI_IDENTIFIERS)
    rows = [dict(row) for row in rows]
    generalised: list[str] = []
    while _too_small(rows, columns, k) > k:
        candidates = [column for column in columns if column not in generalised]
        if not candidates:
            break
        column = max(candidates, key=lambda name: (len({row[name] for row in rows}), -columns.index(name)))
        for row in rows:
            row[column] = ""
        generalised.append(column)
    sizes = _groups(rows, columns)
    kept = [row for row in rows if sizes[tuple(row[column] for column in columns)] >= k]
    # The order of rows must not tell the order of registration: sort by the published values.
    kept.sort(key=lambda row: tuple(row[column] for column in COLUMNS if column in row))
    return Anonymised(rows=kept, k=k, generalised=generalised, suppressed=len(rows) - len(kept))


def write_csv(stream, rows: list[dict[str, str]]) -> None:
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralise_formula(row.get(column, "")) for column in COLUMNS])
