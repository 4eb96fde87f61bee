"""Programme rules: typed, checked when saved, shown in words, evaluated clause by clause."""

import decimal

import pytest

from liman.cash import rules

FACTS = {
    "nationality": "SYR", "legal_status": "temporary_protection", "legal_status_current": True, "province": "TUR034",
    "district": "TUR034001", "household_size": 5, "children": 3, "under_five": 1, "elderly": 0, "adults": 2,
    "dependency_ratio": 1.5, "has_disability": True, "members_with_disability": 1,
    "vulnerabilities": ("single_parent",), "female_headed": True, "enrolled_elsewhere": False, "departed": False,
}  # fmt: skip


def test_a_rule_is_evaluated_clause_by_clause_with_reasons():
    compiled = rules.CompiledRules(
        'nationality in ["SYR", "AFG"] and household_size >= 6 and not departed',
        "13000 + 2000 * (household_size - 2) + (has_disability ? 3000 : 0)",
    )
    outcome = compiled.evaluate(FACTS)
    assert not outcome.eligible and outcome.amount == 0
    reasons = compiled.reasons(outcome)
    assert [met for _text, met in reasons] == [True, False, True, True]
    assert reasons[1][0] == "household size is at least 6"
    outcome = compiled.evaluate(dict(FACTS, household_size=6))
    assert outcome.eligible and outcome.amount == decimal.Decimal(13000 + 8000 + 3000)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("income > 3", "eligibility", "not a fact a rule can read"),
        ("household_size >", "eligibility", "cannot be read"),
        ("household_size + 1", "eligibility", "answers yes or no"),
        ("household_size > 2", "transfer_value", "gives an amount"),
        ("nationality + 1 > 2", "eligibility", "types"),
        ("", "eligibility", "Write the rule"),
        ("__import__('os')", "eligibility", "cannot be read|not a fact"),
    ],
)
def test_a_bad_rule_is_refused_with_what_is_wrong(text, kind, message):
    with pytest.raises(rules.RuleProblem, match=message):
        rules.compile_rule(text, kind=kind)


def test_a_rule_reads_in_words():
    words = rules.describe(
        'legal_status_current and nationality in ["SYR"] and household_size >= 3', kind="eligibility"
    )
    assert words == (
        "the head holds a legal status in force and nationality of the head (ISO 3166-1 alpha-3) is one of “SYR” "
        "and household size is at least 3"
    )


def test_protection_vulnerabilities_are_not_facts():
    assert "victim_of_trafficking" not in rules.RULE_VULNERABILITIES
    assert "survivor_of_violence" not in rules.RULE_VULNERABILITIES
    assert "single_parent" in rules.RULE_VULNERABILITIES


def test_a_transfer_value_reads_in_words():
    words = rules.describe("13000 + 2000 * (household_size - 2) + (has_disability ? 3000 : 0)", kind="transfer_value")
    assert words == (
        "(13,000 + (2,000 × (household size − 2))) + (3,000 if a member has a disability (Washington Group short "
        "set), else 0)"
    )


def test_households_with_the_same_facts_the_rule_reads_share_one_evaluation():
    compiled = rules.CompiledRules("household_size >= 3", "13000")
    first = compiled.evaluate(FACTS)
    second = compiled.evaluate(dict(FACTS, district="TUR034002", children=1, nationality="AFG"))
    assert first is second and len(compiled._seen) == 1
    assert not compiled.evaluate(dict(FACTS, household_size=2)).eligible


@pytest.mark.django_db
def test_a_vulnerability_that_no_longer_applies_is_not_a_fact(istanbul):
    import datetime

    from liman.registry import services as registry
    from tests.cash.conftest import family

    household = family(istanbul, "Amira", "Haddad", 2)
    head = household.head
    flag = registry.vulnerability_add(person=head, type="single_parent", by=None)
    assert rules.household_facts([household.pk])[household.pk]["vulnerabilities"] == ("single_parent",)
    flag.__class__.objects.filter(pk=flag.pk).update(ended_on=datetime.date.today())
    assert rules.household_facts([household.pk])[household.pk]["vulnerabilities"] == ()
