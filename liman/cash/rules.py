"""Programme rules as data: an eligibility rule and a transfer value rule, written in rule-engine's small, typed
expression language (no `eval`: the language has no calls into Python, no attribute access beyond the facts
declared below, and every symbol is type-checked when the rule is saved).

    eligibility:     nationality in ["SYR", "AFG"] and legal_status_current and household_size >= 3
    transfer value:  13000 + 2000 * (household_size - 1) + (has_disability ? 3000 : 0)

A household is described to the rules by the facts below, read from the registry in bulk (`household_facts`).
Protection- and medical-tier vulnerabilities are never among them: a payment list is no place for them.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from dataclasses import dataclass

import rule_engine
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.registry.choices import VULNERABILITY_TIERS, VulnerabilityType

D = rule_engine.DataType

#: fact -> (type, label). The one list of what a rule may read.
FACTS: dict[str, tuple[object, str]] = {
    "nationality": (D.STRING, gettext_lazy("nationality of the head (ISO 3166-1 alpha-3)")),
    "legal_status": (D.STRING, gettext_lazy("the head's current legal status")),
    "legal_status_current": (D.BOOLEAN, gettext_lazy("the head holds a legal status in force")),
    "province": (D.STRING, gettext_lazy("province p-code of the household")),
    "district": (D.STRING, gettext_lazy("district p-code of the household")),
    "household_size": (D.FLOAT, gettext_lazy("household size")),
    "children": (D.FLOAT, gettext_lazy("members under 18")),
    "under_five": (D.FLOAT, gettext_lazy("members under 5")),
    "elderly": (D.FLOAT, gettext_lazy("members aged 60 or more")),
    "adults": (D.FLOAT, gettext_lazy("members aged 18 to 59")),
    "dependency_ratio": (D.FLOAT, gettext_lazy("dependency ratio (children and elderly per working-age adult)")),
    "has_disability": (D.BOOLEAN, gettext_lazy("a member has a disability (Washington Group short set)")),
    "members_with_disability": (D.FLOAT, gettext_lazy("members with a disability")),
    "vulnerabilities": (D.ARRAY(D.STRING), gettext_lazy("vulnerabilities recorded for members")),
    "female_headed": (D.BOOLEAN, gettext_lazy("the head is a woman")),
    "enrolled_elsewhere": (D.BOOLEAN, gettext_lazy("enrolled in another cash programme")),
    "departed": (D.BOOLEAN, gettext_lazy("a member left the country (resettled or returned)")),
}
#: Vulnerabilities a rule may read: the normal-tier ones.
RULE_VULNERABILITIES = frozenset(
    v for v in VulnerabilityType.values if VULNERABILITY_TIERS.get(v, "normal") == "normal"
)

_CONTEXT = rule_engine.Context(
    type_resolver=rule_engine.type_resolver_from_dict({name: kind for name, (kind, _label) in FACTS.items()}),
    decimal_context=decimal.Context(prec=28),
)


class RuleProblem(ValueError):
    """A rule that cannot be saved: the message says what and where."""


def compile_rule(text: str, *, kind: str) -> rule_engine.Rule:
    """The rule, checked: known facts only, types that fit, and the right kind of result (a yes/no for eligibility,
    a number for the transfer value)."""
    text = (text or "").strip()
    if not text:
        raise RuleProblem(_("Write the rule."))
    try:
        rule = rule_engine.Rule(text, context=_CONTEXT)
    except rule_engine.SymbolResolutionError as exc:
        raise RuleProblem(
            _("“%(name)s” is not a fact a rule can read. Known facts: %(facts)s.")
            % {"name": exc.symbol_name, "facts": ", ".join(FACTS)}
        ) from exc
    except rule_engine.RuleSyntaxError as exc:
        where = ""
        token = getattr(exc, "token", None)
        if token is not None and getattr(token, "lexpos", None) is not None:
            where = _(" near “%(text)s”") % {"text": text[token.lexpos : token.lexpos + 20]}
        raise RuleProblem(_("The rule cannot be read%(where)s.") % {"where": where}) from exc
    except rule_engine.EngineError as exc:
        raise RuleProblem(_("The rule does not fit the facts' types: %(message)s") % {"message": exc.message}) from exc
    result = rule.statement.expression.result_type
    wanted = D.BOOLEAN if kind == "eligibility" else D.FLOAT
    if result not in (wanted, D.UNDEFINED):
        if kind == "eligibility":
            raise RuleProblem(_("An eligibility rule answers yes or no (a comparison, `and`, `or`)."))
        raise RuleProblem(_("A transfer value rule gives an amount (a number)."))
    return rule


# --- in words -----------------------------------------------------------------------------------------------

_COMPARISONS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "gt": gettext_lazy("is more than"),
    "ge": gettext_lazy("is at least"),
    "lt": gettext_lazy("is less than"),
    "le": gettext_lazy("is at most"),
}


def _same_logic(node, kind: str) -> list:
    """The terms of a chain of one logic operator (a and b and c), left to right."""
    from rule_engine import ast

    if isinstance(node, ast.LogicExpression) and node.type == kind:
        return _same_logic(node.left, kind) + _same_logic(node.right, kind)
    return [node]


def _words(node) -> str:
    from rule_engine import ast

    if isinstance(node, ast.SymbolExpression):
        return str(FACTS[node.name][1]) if node.name in FACTS else node.name
    if isinstance(node, ast.LogicExpression):
        joiner = _("and") if node.type == "and" else _("or")
        return "(" + f" {joiner} ".join(_words(term) for term in _same_logic(node, node.type)) + ")"
    if isinstance(node, ast.UnaryExpression) and node.type == "not":
        return _("not %(x)s") % {"x": _words(node.right)}
    if isinstance(node, ast.ComparisonExpression | ast.ArithmeticComparisonExpression):
        return f"{_words(node.left)} {_COMPARISONS.get(node.type, node.type)} {_words(node.right)}"
    if isinstance(node, ast.ContainsExpression):
        return _("%(member)s is one of %(container)s") % {
            "member": _words(node.member),
            "container": _words(node.container),
        }
    if isinstance(node, ast.ArrayExpression):
        return ", ".join(_words(value) for value in node.value)
    if isinstance(node, ast.TernaryExpression):
        words = _("%(then)s if %(condition)s, else %(otherwise)s") % {
            "condition": _words(node.condition),
            "then": _words(node.case_true),
            "otherwise": _words(node.case_false),
        }
        return f"({words})"
    # rule-engine parses + and − as their own node types (they also join strings), the rest as arithmetic.
    if isinstance(node, ast.ArithmeticExpression | ast.AddExpression | ast.SubtractExpression):
        signs = {"add": "+", "sub": "−", "mul": "×", "truediv": "÷", "floordiv": "÷", "mod": "mod", "pow": "^"}
        return f"({_words(node.left)} {signs.get(node.type, node.type)} {_words(node.right)})"
    if isinstance(node, ast.BooleanExpression):
        return _("yes") if node.value else _("no")
    if isinstance(node, ast.FloatExpression):
        value = node.value
        return f"{int(value):,}" if value == int(value) else f"{value}"
    if isinstance(node, ast.StringExpression):
        return f"“{node.value}”"
    return str(node)


def describe(text: str, *, kind: str) -> str:
    """The rule in words, for the programme page (the rule must compile)."""
    return _unwrap(_words(compile_rule(text, kind=kind).statement.expression))


def clauses(rule: rule_engine.Rule) -> list:
    """The top-level `and` terms of an eligibility rule: each is checked, and reported, on its own."""
    return _same_logic(rule.statement.expression, "and")


def symbols(rule: rule_engine.Rule) -> frozenset[str]:
    """The facts a compiled rule reads."""
    from rule_engine import ast

    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, ast.SymbolExpression):
            found.add(node.name)
            return
        names = set(getattr(node, "__dict__", ()))
        for klass in type(node).__mro__:  # some nodes keep their operands in __slots__
            slots = getattr(klass, "__slots__", ())
            names.update((slots,) if isinstance(slots, str) else slots)
        for name in names:
            value = getattr(node, name, None)
            for item in value if isinstance(value, tuple | list) else (value,):
                if isinstance(item, ast.ASTNodeBase):
                    walk(item)

    walk(rule.statement.expression)
    return frozenset(found)


# --- evaluation ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    eligible: bool
    amount: decimal.Decimal
    #: Met or not, for each of `CompiledRules.clause_words` (the top-level terms, then "gives an amount").
    met: tuple[bool, ...]


class CompiledRules:
    """One rule version compiled once, evaluated for many households. Households with the same facts get the same
    outcome, so each distinct set of facts is evaluated once (a registry has far fewer than it has households)."""

    def __init__(self, eligibility: str, transfer_value: str):
        self.eligibility = compile_rule(eligibility, kind="eligibility")
        self.transfer_value = compile_rule(transfer_value, kind="transfer_value")
        self.terms = clauses(self.eligibility)
        self.clause_words = [_unwrap(_words(term)) for term in self.terms] + [
            _("the transfer value rule gives an amount")
        ]
        self._seen: dict[tuple, Outcome] = {}
        #: The facts the two rules read: households that differ only in others share one evaluation.
        read = symbols(self.eligibility) | symbols(self.transfer_value)
        self._read = [name for name in FACTS if name in read]

    def evaluate(self, facts: dict) -> Outcome:
        key = tuple(facts[name] for name in self._read)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._evaluate(facts)
        return found

    def _evaluate(self, facts: dict) -> Outcome:
        met = [bool(term.evaluate(facts)) for term in self.terms]
        amount = decimal.Decimal(0)
        if all(met):
            value = self.transfer_value.evaluate(facts)
            amount = max(
                decimal.Decimal(str(value)).quantize(decimal.Decimal("1"), rounding=decimal.ROUND_HALF_UP),
                decimal.Decimal(0),
            )
        met.append(amount > 0 or not all(met))
        eligible = all(met)
        return Outcome(eligible=eligible, amount=amount if eligible else decimal.Decimal(0), met=tuple(met))

    def reasons(self, outcome: Outcome) -> list[tuple[str, bool]]:
        return list(zip(self.clause_words, outcome.met, strict=True))


def _unwrap(words: str) -> str:
    """The words without the parentheses around all of them (not those of "(a) + (b)")."""
    if not (words.startswith("(") and words.endswith(")")):
        return words
    depth = 0
    for index, char in enumerate(words[:-1]):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and index:
            return words
    return words[1:-1]


# --- the facts of households, in bulk ------------------------------------------------------------------------


def _age(born: datetime.date | None, on: datetime.date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def household_facts(household_ids: Iterable[int], *, programme_id: int | None = None) -> dict[int, dict]:
    """household id -> the facts rules read, for a batch of households, in a fixed handful of queries.

    A targeting run's batches are runs of an office's household keys: a batch whose keys are dense is read by key
    range (rows outside the batch dropped here) and through joins to the household, rather than as lists of
    thousands of keys turned into as many SQL parameters. Values, not model instances."""
    from django.db.models import Q

    from liman.cases.choices import RETURN_STATES_FROM_DEPARTURE, CaseType
    from liman.cases.models import Case
    from liman.movements.choices import BookingStatus
    from liman.movements.models import Booking
    from liman.registry.models import DisabilityAssessment, Household, HouseholdMember, LegalStatus, Vulnerability

    from .models import Enrolment

    ids = sorted(set(household_ids))
    if not ids:
        return {}
    wanted = set(ids)
    dense = ids[-1] - ids[0] < 4 * len(ids)

    def among(path: str) -> dict:
        return {f"{path}__gte": ids[0], f"{path}__lte": ids[-1]} if dense else {f"{path}__in": ids}

    today = datetime.date.today()
    households = {
        pk: (head, district, province)
        for pk, head, district, province in Household.objects.filter(**among("pk")).values_list(
            "pk", "head_id", "district__pcode", "district__parent__pcode"
        )
        if pk in wanted
    }
    members = [
        row
        for row in HouseholdMember.objects.filter(**among("household_id")).values_list(
            "household_id", "person_id", "person__birth_date", "person__sex", "person__nationality"
        )
        if row[0] in wanted
    ]
    # Rows of people are read through their membership (a person belongs to one household at most); people of
    # households outside the batch that fall in its key range are read too, and never looked at.
    members_of = among("person__membership__household_id")
    statuses: dict[int, tuple[str, bool]] = {}
    for person, status, ended in (
        LegalStatus.objects.filter(**among("person__headed_households__pk"))
        .order_by("person_id", "started_on", "id")
        .values_list("person_id", "status", "ended_on")
    ):
        statuses[person] = (status, ended is None or ended >= today)
    disabled = set(
        DisabilityAssessment.objects.filter(**members_of, has_disability=True).values_list("person_id", flat=True)
    )
    vulnerable: dict[int, set[str]] = {}
    for person, kind in (
        Vulnerability.objects.filter(**members_of, type__in=RULE_VULNERABILITIES)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))  # one that no longer applies counts for no one
        .values_list("person_id", "type")
    ):
        vulnerable.setdefault(person, set()).add(kind)
    departed = set(
        Booking.objects.filter(**members_of, status__in=[BookingStatus.DEPARTED, BookingStatus.ARRIVED]).values_list(
            "person_id", flat=True
        )
    ) | set(
        Case.objects.filter(
            **members_of, type=CaseType.AVRR, state__in=sorted(RETURN_STATES_FROM_DEPARTURE)
        ).values_list("person_id", flat=True)
    )
    elsewhere = set(
        Enrolment.objects.filter(**among("household_id"), ended_on__isnull=True)
        .exclude(Q(programme_id=programme_id) if programme_id else Q(pk__in=[]))
        .values_list("household_id", flat=True)
    )
    facts: dict[int, dict] = {}
    for pk, (head, district, province) in households.items():
        status, current = statuses.get(head, ("", False))
        facts[pk] = {
            "nationality": "",
            "legal_status": status if current else "",
            "legal_status_current": current,
            "province": province or "",
            "district": district or "",
            "household_size": 0,
            "children": 0,
            "under_five": 0,
            "elderly": 0,
            "adults": 0,
            "dependency_ratio": 0.0,
            "has_disability": False,
            "members_with_disability": 0,
            "vulnerabilities": set(),
            "female_headed": False,
            "enrolled_elsewhere": pk in elsewhere,
            "departed": False,
        }
    for household_id, person, born, sex, nationality in members:
        row = facts.get(household_id)
        if row is None:
            continue
        row["household_size"] += 1
        age = _age(born, today)
        if age is not None:
            row["children"] += age < 18
            row["under_five"] += age < 5
            row["elderly"] += age >= 60
            row["adults"] += 18 <= age < 60
        else:
            row["adults"] += 1
        if person in disabled:
            row["has_disability"] = True
            row["members_with_disability"] += 1
        row["vulnerabilities"] |= vulnerable.get(person, set())
        row["departed"] |= person in departed
        if households[household_id][0] == person:
            row["nationality"] = nationality or ""
            row["female_headed"] = sex == "F"
    for row in facts.values():
        row["dependency_ratio"] = round((row["children"] + row["elderly"]) / max(row["adults"], 1), 3)
        row["vulnerabilities"] = tuple(sorted(row["vulnerabilities"]))
    return facts
