"""The CTDC export: the standard's columns, ages in its bands, nothing that identifies, k-anonymity, audited."""

import csv
import datetime
import itertools

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from liman.cases import ctdc, services
from liman.core.models import AuditEvent
from tests.cases.builders import days_ago, register, step, trafficking_identified

BANDS = {label for _low, _high, label in ctdc.AGE_BANDS}


@pytest.mark.parametrize(
    ("age", "band"),
    [(0, "0--8"), (8, "0--8"), (9, "9--17"), (17, "9--17"), (18, "18--20"), (20, "18--20"), (21, "21--23"),
     (23, "21--23"), (24, "24--26"), (26, "24--26"), (27, "27--29"), (29, "27--29"), (30, "30--38"), (38, "30--38"),
     (39, "39--47"), (47, "39--47"), (48, "48+"), (90, "48+"), (None, "")],
)  # fmt: skip
def test_ages_fall_in_the_ctdc_bands(age, band):
    assert ctdc.age_band(age) == band


def test_majority_status_splits_at_eighteen():
    assert (ctdc.majority_status(17), ctdc.majority_status(18), ctdc.majority_status(None)) == ("Minor", "Adult", "")


def test_a_row_says_what_was_done_to_the_victim_and_nothing_that_names_them():
    victim = ctdc.Victim(
        registered_on=datetime.date(2025, 3, 1),
        sex="F",
        age=25,
        citizenship="SYR",
        exploitation_types=("forced_labour", "sexual"),
        means_of_control=("withholds_documents",),
        recruiter_relation="friend",
        country_of_exploitation="TUR",
    )
    row = ctdc.victim_row(victim)
    assert list(row) == ctdc.COLUMNS
    assert (row["yearOfRegistration"], row["gender"], row["ageBroad"]) == ("2025", "Female", "24--26")
    assert row["citizenship"] == "SY"
    assert (row["isSexAndLabour"], row["isForcedMarriage"], row["CountryOfExploitation"]) == ("1", "0", "TR")
    assert (row["meansOfControlWithholdsDocuments"], row["meansOfControlNotSpecified"]) == ("1", "0")
    assert (row["recruiterRelationFriend"], row["recruiterRelationFamily"]) == ("1", "0")


def test_a_cell_that_looks_like_a_formula_is_written_as_text():
    import io

    stream = io.StringIO()
    ctdc.write_csv(stream, [{"CountryOfExploitation": "=HYPERLINK(1)", "ageBroad": "48+"}])
    row = stream.getvalue().splitlines()[1]
    assert "'=HYPERLINK(1)" in row and ",48+," in row


def groups_are_at_least(rows, columns, k) -> bool:
    counts: dict = {}
    for row in rows:
        key = tuple(row[column] for column in columns)
        counts[key] = counts.get(key, 0) + 1
    return all(count >= k for count in counts.values())


PUBLISHED = {
    "yearOfRegistration": ["2023", "2024", "2025"],
    "gender": ["Male", "Female"],
    "ageBroad": sorted(BANDS),
    "citizenship": ["SY", "AF", "IQ", "UZ"],
    "isForcedLabour": ["0", "1"],
    "meansOfControlThreats": ["0", "1"],
}
row_strategy = st.fixed_dictionaries({column: st.sampled_from(values) for column, values in PUBLISHED.items()})


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(row_strategy, max_size=80), k=st.integers(min_value=2, max_value=15))
def test_every_combination_of_published_values_is_shared_by_at_least_k(rows, k):
    columns = list(PUBLISHED)
    result = ctdc.k_anonymise(rows, k=k, columns=columns)
    assert len(result.rows) + result.suppressed == len(rows)
    for size in range(1, len(columns) + 1):
        for subset in itertools.combinations(columns, size):
            assert groups_are_at_least(result.rows, subset, k), subset


def test_a_victim_alone_in_a_group_is_left_out_rather_than_published():
    same = {"gender": "Female", "ageBroad": "24--26"}
    rows = [dict(same) for _ in range(12)] + [{"gender": "Male", "ageBroad": "48+"}]
    result = ctdc.k_anonymise(rows, k=11, columns=["gender", "ageBroad"])
    assert (len(result.rows), result.suppressed, result.generalised) == (12, 1, [])


def test_columns_are_generalised_before_victims_are_left_out():
    rows = [{"gender": "Female", "citizenship": code} for code in ["SY", "AF", "IQ", "UZ"] * 5]
    result = ctdc.k_anonymise(rows, k=11, columns=["gender", "citizenship"])
    assert result.generalised == ["citizenship"] and len(result.rows) == 20
    assert {row["citizenship"] for row in result.rows} == {""}


# --- the command ----------------------------------------------------------------------------------------------


@pytest.fixture
def victims(db, istanbul, caseworker):
    """Fourteen identified victims much alike, one unlike any other, and a potential victim not yet identified."""
    people = []
    for n in range(14):
        people.append(register(istanbul, first_name=f"Victim{n}", birth_date=datetime.date(2000, 1, 1)))
    born = datetime.date(1960, 5, 5)
    people.append(register(istanbul, first_name="Unusual", sex="M", nationality="UZB", birth_date=born))
    for person in people:
        case = trafficking_identified(person, by=caseworker, identified_on=days_ago(5))
        services.case_facts_update(
            case=case,
            by=caseworker,
            changes={"exploitation_types": ["forced_labour"], "country_of_exploitation": "TUR"},
        )
    services.case_open(person=register(istanbul, first_name="Potential"), type="counter_trafficking", by=caseworker)
    return people


def read(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.django_db
def test_the_export_has_the_ctdc_columns_and_no_names_or_identifiers(tmp_path, victims):
    target = tmp_path / "ctdc.csv"
    call_command("export", "ctdc", "--output", str(target))
    text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0].split(",") == ctdc.COLUMNS
    for person in victims:
        assert person.first_name not in text and person.reference not in text
        for case in person.cases.all():
            assert case.reference not in text
    assert "Haddad" not in text and "IST-" not in text


@pytest.mark.django_db
def test_the_export_publishes_only_groups_of_at_least_k(tmp_path, victims):
    target = tmp_path / "ctdc.csv"
    call_command("export", "ctdc", "--output", str(target))
    rows = read(target)
    assert len(rows) == 14  # the unusual victim is left out; the potential victim was never identified
    assert {row["ageBroad"] for row in rows} <= BANDS | {""}
    assert groups_are_at_least(rows, ctdc.QUASI_IDENTIFIERS, 11)
    for pair in itertools.combinations(ctdc.QUASI_IDENTIFIERS, 2):
        assert groups_are_at_least(rows, pair, 11), pair


@pytest.mark.django_db
def test_k_is_configurable(tmp_path, victims, settings):
    settings.LIMAN_CTDC_K = 20
    target = tmp_path / "ctdc.csv"
    call_command("export", "ctdc", "--output", str(target))
    assert read(target) == []
    call_command("export", "ctdc", "--output", str(target), "--k", "5")
    assert len(read(target)) == 14


@pytest.mark.django_db
def test_the_export_is_audited(tmp_path, victims):
    call_command("export", "ctdc", "--output", str(tmp_path / "ctdc.csv"))
    event = AuditEvent.objects.get(action="export", object_type="cases.ctdc")
    assert event.changes["victims"] == [None, "15"] and event.changes["rows"] == [None, "14"]
    assert event.changes["k"] == [None, "11"] and event.actor_username.startswith("command line")


@pytest.mark.django_db
def test_an_export_as_a_user_covers_only_what_they_see(tmp_path, victims, izmir):
    from liman.core.choices import Role
    from tests.factories import staff

    target = tmp_path / "ctdc.csv"
    call_command("export", "ctdc", "--output", str(target), "--as-user", staff(Role.CASEWORKER, izmir).username)
    assert read(target) == []
    assert AuditEvent.objects.get(action="export").actor_username == "caseworker.izm"


@pytest.mark.django_db
def test_a_victim_with_two_cases_counts_once(tmp_path, istanbul, caseworker):
    person = register(istanbul, first_name="Twice")
    first = trafficking_identified(person, by=caseworker, identified_on=days_ago(50))
    step(first, "closed", caseworker, closure_reason="goals_met")
    trafficking_identified(person, by=caseworker, identified_on=days_ago(5))
    call_command("export", "ctdc", "--output", str(tmp_path / "ctdc.csv"), "--k", "2")
    assert AuditEvent.objects.get(action="export").changes["victims"] == [None, "1"]


@pytest.mark.django_db
def test_a_k_below_two_is_refused_and_nothing_is_written(tmp_path):
    from django.core.management.base import CommandError

    target = tmp_path / "ctdc.csv"
    with pytest.raises(CommandError, match="k must be at least 2"):
        call_command("export", "ctdc", "--output", str(target), "--k", "1")
    assert not target.exists() and not AuditEvent.objects.filter(action="export").exists()
