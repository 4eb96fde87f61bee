"""Every read the duplicate pages and API show, scoped to the user first.

A pair is shown only to a user who may see both of its people: `MatchPair.scope` covers the first record, and
`match_pairs_for` adds the second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core.access import get_visible_or_404, has_role
from liman.core.models import Office, User
from liman.core.text import masked
from liman.registry.forms import country_name
from liman.registry.models import HouseholdMember, Identifier, Person

from . import comparison, engine
from .choices import MatchStatus
from .models import REVIEW_ROLES, THRESHOLD_ROLES, DedupRun, MatchPair, OfficeThresholds
from .records import records_by_id
from .thresholds import default_thresholds

_OFFICE_CODE = re.compile(r"[A-Z0-9_-]{1,16}")


def match_pairs_for(
    user: User, *, band: str = "", status: str = "", office: str = "", person: Person | None = None
) -> QuerySet[MatchPair]:
    """Pairs whose two people `user` may both see, most likely first, with both people and offices loaded."""
    pairs = MatchPair.objects.visible_to(user)
    if not getattr(user, "is_superuser", False):
        pairs = pairs.filter(person_r__in=Person.objects.visible_to(user).values("pk"))
    if band:
        pairs = pairs.filter(band=band)
    if status:
        pairs = pairs.filter(status=status)
    code = office.strip().upper()
    if code:
        if not _OFFICE_CODE.fullmatch(code):
            return pairs.none()  # no office has such a code (and a NUL byte must not reach the database)
        pairs = pairs.filter(Q(person_l__office__code=code) | Q(person_r__office__code=code))
    if person is not None:
        pairs = pairs.involving(person.pk)
    return pairs.select_related("person_l__office", "person_r__office", "decided_by").order_by(
        "-match_probability", "id"
    )


def queue_counts(user: User, *, office: str = "") -> dict[str, dict[str, int]]:
    """How many pairs the user sees, by status and band (one query)."""
    counts: dict[str, dict[str, int]] = {}
    rows = match_pairs_for(user, office=office).order_by().values_list("status", "band").annotate(n=Count("id"))
    for status, band, n in rows:
        counts.setdefault(status, {})[band] = n
    return counts


def match_pair_get(user: User, pk: int) -> MatchPair:
    """The pair if `user` may see both its people, else 404."""
    return get_visible_or_404(match_pairs_for(user), user, pk=pk)


def next_open_pair(user: User, *, after: MatchPair) -> MatchPair | None:
    """The next pair waiting for a decision, for "decide and go on"."""
    return match_pairs_for(user, status=MatchStatus.OPEN).exclude(pk=after.pk).first()


def review_offices(user: User) -> list[Office]:
    """Offices the user reviews in (for the queue's office filter and the run page)."""
    offices = Office.objects.visible_to(user).order_by("code")
    if getattr(user, "is_superuser", False):
        return list(offices)
    return [office for office in offices if has_role(user, REVIEW_ROLES, office=office)]


# --- the side-by-side page -----------------------------------------------------------------------------------


#: How a line of the comparison agrees, in words (colour alone says nothing to some readers).
AGREEMENT_LABELS = {
    engine.Agreement.AGREE: gettext_lazy("Agrees"),
    engine.Agreement.CLOSE: gettext_lazy("Close"),
    engine.Agreement.DISAGREE: gettext_lazy("Differs"),
    engine.Agreement.MISSING: gettext_lazy("Missing on one side"),
}
AGREEMENT_SIGNS = {
    engine.Agreement.AGREE: "✓",
    engine.Agreement.CLOSE: "≈",
    engine.Agreement.DISAGREE: "✗",
    engine.Agreement.MISSING: "?",
}


@dataclass
class ComparedRow:
    """One line of the comparison: the two values, and how they agree (empty: not compared by the matcher)."""

    key: str
    label: str
    left: str
    right: str
    agreement: str = ""
    note: str = ""

    @property
    def agreement_label(self) -> str:
        return str(AGREEMENT_LABELS.get(self.agreement, ""))

    @property
    def agreement_sign(self) -> str:
        return AGREEMENT_SIGNS.get(self.agreement, "")


@dataclass
class PersonFacts:
    person: Person
    identifiers: list[Identifier] = field(default_factory=list)
    membership: HouseholdMember | None = None
    #: What later apps count for the person (comparison.PERSON_COUNTS), by key: {"cases": 2}.
    counts: dict[str, int] = field(default_factory=dict)


def _facts(user: User, pair: MatchPair) -> tuple[PersonFacts, PersonFacts]:
    ids = [pair.person_l_id, pair.person_r_id]
    identifiers = Identifier.objects.visible_to(user).filter(person_id__in=ids).order_by("type", "created_at")
    memberships = {
        member.person_id: member
        for member in HouseholdMember.objects.visible_to(user).filter(person_id__in=ids).select_related("household")
    }
    counts = comparison.counts_for(user, ids)
    facts = []
    for person in (pair.person_l, pair.person_r):
        facts.append(
            PersonFacts(
                person=person,
                identifiers=[identifier for identifier in identifiers if identifier.person_id == person.pk],
                membership=memberships.get(person.pk),
                counts={key: by_person[person.pk] for key, by_person in counts.items()},
            )
        )
    return facts[0], facts[1]


def _birth(person: Person) -> str:
    if person.birth_date is None:
        return ""
    text = person.birth_date_display
    if person.birth_date_precision != "day":
        text += f" ({person.get_birth_date_precision_display().lower()})"
    return text


def _household(facts: PersonFacts) -> str:
    if facts.membership is None:
        return ""
    return f"{facts.membership.household.reference} · {facts.membership.get_relationship_display()}"


def pair_comparison(user: User, pair: MatchPair) -> tuple[list[ComparedRow], PersonFacts, PersonFacts]:
    """The two records side by side, each line marked as the matcher sees it (agree, close, disagree, missing)."""
    left, right = _facts(user, pair)
    records = records_by_id([pair.person_l_id, pair.person_r_id])
    agreements = engine.compare(records[pair.person_l_id], records[pair.person_r_id])
    a, b = pair.person_l, pair.person_r

    def ids_of(facts: PersonFacts) -> str:
        return ", ".join(f"{item.get_type_display()} {masked(item.value)}" for item in facts.identifiers)

    rows = [
        ComparedRow("first_name", _("First name"), a.first_name, b.first_name, agreements["first_name"]),
        ComparedRow("father_name", _("Father's name"), a.father_name, b.father_name, agreements["father_name"]),
        ComparedRow("family_name", _("Family name"), a.family_name, b.family_name, agreements["family_name"]),
        ComparedRow("original_name", _("Name in original script"), a.original_name, b.original_name),
        ComparedRow("sex", _("Sex"), a.get_sex_display(), b.get_sex_display(), agreements["sex"]),
        ComparedRow("birth_date", _("Date of birth"), _birth(a), _birth(b), agreements["birth_date"]),
        ComparedRow(
            "nationality",
            _("Nationality"),
            country_name(a.nationality),
            country_name(b.nationality),
            agreements["nationality"],
        ),
        ComparedRow("phone", _("Phone"), masked(a.phone), masked(b.phone), agreements["phone"]),
        ComparedRow(
            "foreigner_id",
            _("Identifiers"),
            ids_of(left),
            ids_of(right),
            agreements["foreigner_id"],
            note=_("The matcher compares the foreigner ID (YKN)."),
        ),
        ComparedRow(
            "household_id",
            _("Household"),
            _household(left),
            _household(right),
            agreements["household_id"],
            note=_("Two members of one household are two people."),
        ),
        ComparedRow("office", _("Office"), a.office.name, b.office.name),
        ComparedRow(
            "registered",
            _("Registered"),
            a.created_at.date().isoformat(),
            b.created_at.date().isoformat(),
        ),
    ]
    rows.extend(
        ComparedRow(count.key, str(count.label), str(left.counts[count.key]), str(right.counts[count.key]))
        for count in comparison.PERSON_COUNTS
    )
    return rows, left, right


# --- runs and thresholds -------------------------------------------------------------------------------------


def runs_for(user: User) -> QuerySet[DedupRun]:
    return DedupRun.objects.visible_to(user).select_related("office", "started_by", "progress")


def run_get(user: User, pk: int) -> DedupRun:
    return get_visible_or_404(runs_for(user), user, pk=pk)


@dataclass
class OfficeSetting:
    office: Office
    auto_link: float
    review: float
    is_default: bool
    editable: bool


def thresholds_for(user: User) -> list[OfficeSetting]:
    """The thresholds of each office the user reviews in, and whether they may change them."""
    offices = review_offices(user)
    own = {
        item.office_id: item
        for item in OfficeThresholds.objects.visible_to(user).filter(office__in=[office.pk for office in offices])
    }
    default = default_thresholds()
    shown = []
    for office in offices:
        item = own.get(office.pk)
        shown.append(
            OfficeSetting(
                office=office,
                auto_link=item.auto_link if item else default.auto_link,
                review=item.review if item else default.review,
                is_default=item is None,
                editable=has_role(user, THRESHOLD_ROLES, office=office),
            )
        )
    return shown
