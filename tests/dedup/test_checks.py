"""Checks before commit: the registration page and the people import ask the matcher about the person typed."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from liman.core.choices import Role
from liman.core.models import ImportBatch
from liman.core.staging import ImportRefused, import_commit, import_stage, problem_report
from liman.dedup.choices import FoundBy, MatchStatus
from liman.dedup.models import MatchPair
from liman.dedup.services import office_thresholds_set
from liman.registry import services as registry
from liman.registry.choices import IdentifierType
from liman.registry.merge import person_merge
from liman.registry.models import Person
from tests.factories import staff

from .conftest import ORIGINAL, register

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_second_factor")]


def typed_again(**overrides) -> dict:
    """The registration form as a registrar fills it in for the man of ORIGINAL, spelled otherwise."""
    data = {
        "first_name": "Muhammad",
        "father_name": "Ahmed",
        "family_name": "Hassan",
        "sex": "M",
        "birth_date": "1985",
        "nationality": "SYR",
        "phone": "0555 987 65 43",
        "household": "new",
        "legal_basis": "consent",
        "consent_given": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def caseworker(istanbul):
    return staff(Role.CASEWORKER, istanbul)


def test_the_registration_page_shows_a_planted_duplicate_and_saves_nothing(client, istanbul, caseworker):
    original = register(istanbul, **ORIGINAL)
    client.force_login(caseworker)
    response = client.post(reverse("registry:person-create"), typed_again())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in body and original.reference in body
    assert 'name="duplicates-confirmed"' in body
    assert Person.objects.count() == 1


def test_registering_anyway_sends_the_pair_to_review(client, istanbul, caseworker):
    original = register(istanbul, **ORIGINAL)
    client.force_login(caseworker)
    confirmed = typed_again(**{"duplicates-seen": original.reference, "duplicates-confirmed": "yes"})
    response = client.post(reverse("registry:person-create"), confirmed)
    assert response.status_code == 302
    new = Person.objects.exclude(pk=original.pk).get()
    pair = MatchPair.objects.get()
    assert {pair.person_l_id, pair.person_r_id} == {original.pk, new.pk}
    assert pair.found_by == FoundBy.REGISTRATION and pair.status == MatchStatus.OPEN


def test_confirming_without_the_tick_asks_again(client, istanbul, caseworker):
    original = register(istanbul, **ORIGINAL)
    client.force_login(caseworker)
    response = client.post(reverse("registry:person-create"), typed_again(**{"duplicates-seen": original.reference}))
    assert "Tick the box if this person is none of the possible duplicates" in response.content.decode()
    assert Person.objects.count() == 1


def test_someone_else_registers_without_a_duplicate_warning(client, istanbul, caseworker):
    register(istanbul, **ORIGINAL)
    client.force_login(caseworker)
    different = typed_again(first_name="Zeynep", father_name="", family_name="Kaya", sex="F", birth_date="2001-09-09")
    assert client.post(reverse("registry:person-create"), different).status_code == 302
    assert Person.objects.count() == 2 and not MatchPair.objects.exists()


def test_a_duplicate_in_an_office_the_registrar_cannot_see_is_not_shown(client, istanbul, izmir, caseworker):
    register(izmir, **ORIGINAL)
    client.force_login(caseworker)
    assert client.post(reverse("registry:person-create"), typed_again()).status_code == 302


# --- the people import -----------------------------------------------------------------------------------------

COLUMNS = [
    "first_name", "father_name", "family_name", "sex", "birth_date", "nationality", "phone", "foreigner_id",
    "household_ref", "relationship", "legal_status", "original_name",
]  # fmt: skip


def people_csv(*rows: dict) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({"household_ref": "H1", "relationship": "head", "legal_status": "temporary_protection", **row})
    return out.getvalue().encode("utf-8")


AGAIN_ROW = {
    "first_name": "Muhammad",
    "father_name": "Ahmed",
    "family_name": "Hassan",
    "sex": "M",
    "birth_date": "1985",
    "nationality": "SYR",
    "phone": "0555 987 65 43",
}
STRANGER_ROW = {
    "first_name": "Zeynep",
    "family_name": "Kaya",
    "sex": "F",
    "birth_date": "2001-09-09",
    "nationality": "TUR",
    "household_ref": "H2",
}


def stage(office, user, content: bytes) -> ImportBatch:
    return import_stage(
        kind="people",
        file=io.BytesIO(content),
        file_name="people.csv",
        office=office,
        by=user,
        declared={"legal_basis": "consent"},
    )


def test_the_import_report_warns_of_a_duplicate_row_without_blocking(istanbul, caseworker):
    original = register(istanbul, **ORIGINAL)
    batch = stage(istanbul, caseworker, people_csv(AGAIN_ROW, STRANGER_ROW))
    assert batch.state == ImportBatch.State.VALID and batch.warning_count == 1
    ((row, column, message, blocks),) = list(problem_report(batch))
    assert row == 2 and column == "" and not blocks
    assert message.startswith(f"Possible duplicate of {original.reference} (p=0.")


def test_committing_the_import_sends_the_pair_to_review(istanbul, caseworker):
    original = register(istanbul, **ORIGINAL)
    batch = import_commit(batch=stage(istanbul, caseworker, people_csv(AGAIN_ROW, STRANGER_ROW)), by=caseworker)
    assert batch.state == ImportBatch.State.COMMITTED
    imported = Person.objects.get(first_name="Muhammad")
    pair = MatchPair.objects.get()
    assert (pair.person_l_id, pair.person_r_id) == (original.pk, imported.pk)
    assert pair.found_by == FoundBy.IMPORT and pair.status == MatchStatus.OPEN


def test_the_import_checks_against_the_office_it_goes_into(istanbul, izmir):
    register(izmir, **ORIGINAL)
    batch = stage(istanbul, staff(Role.CASEWORKER, istanbul), people_csv(AGAIN_ROW))
    assert batch.warning_count == 0


def test_the_candidates_of_an_import_are_found_in_a_few_queries_whatever_the_rows(
    istanbul, caseworker, django_assert_max_num_queries
):
    from liman.dedup.checks import import_duplicates
    from liman.registry.checks import PersonDraft

    register(istanbul, **ORIGINAL)

    def drafts(count):
        return {n: PersonDraft(first_name=f"Given{n}", family_name=f"Family{n}", sex="M") for n in range(count)}

    with django_assert_max_num_queries(8) as few:
        import_duplicates(istanbul, drafts(3))
    with django_assert_max_num_queries(len(few)):
        import_duplicates(istanbul, drafts(300))


def test_an_import_row_finds_candidates_by_phone_whatever_the_name(istanbul, izmir):
    """A woman registered under her father's family name comes again under her husband's: no name key is shared,
    the phone (E.164, as the import gives it) still brings her in as a candidate, through its blind index."""
    from liman.dedup.checks import _candidates_by_phones
    from liman.registry.checks import PersonDraft

    by_phone = register(istanbul, "Amina", "Darwish", sex="F", phone="+905321112299")
    register(izmir, "Huda", "Nasser", sex="F", phone="+905321110000")  # another office: not a candidate
    drafts = {
        2: PersonDraft(first_name="Amina", family_name="Rahimi", sex="F", phone="+905321112299"),
        4: PersonDraft(first_name="Huda", family_name="Karimi", sex="F", phone="+905321110000"),
    }
    assert _candidates_by_phones(istanbul, drafts) == {by_phone.pk}


def test_a_row_with_a_registered_foreigner_id_is_refused_whatever_the_name(istanbul, caseworker):
    register(istanbul, "Rania", "Khalil", sex="F", foreigner_id="99012345678")
    batch = stage(istanbul, caseworker, people_csv({**STRANGER_ROW, "foreigner_id": "99012345678"}))
    assert batch.state == ImportBatch.State.INVALID
    blocking = [(row, column, message) for row, column, message, blocks in problem_report(batch) if blocks]
    assert [(row, column) for row, column, _message in blocking] == [(2, "foreigner_id")]
    assert "already registered" in blocking[0][2]


# --- the commit takes the staged check when nothing it reads has changed ---------------------------------------


@pytest.fixture
def checks_at_commit(monkeypatch):
    """How many times the people importer checked a whole batch (counted from here on)."""
    from liman.registry.importers import PeopleImporter

    calls = []
    original = PeopleImporter.check_batch

    def counted(self, rows):
        calls.append(len(rows))
        return original(self, rows)

    monkeypatch.setattr(PeopleImporter, "check_batch", counted)
    return calls


def test_an_unchanged_registry_is_not_checked_again_at_commit_and_the_pairs_still_go_to_review(
    istanbul, caseworker, checks_at_commit
):
    original = register(istanbul, **ORIGINAL)
    batch = stage(istanbul, caseworker, people_csv(AGAIN_ROW, STRANGER_ROW))
    assert checks_at_commit == [2]
    import_commit(batch=batch, by=caseworker)
    assert checks_at_commit == [2], "the registry did not change: the staged check holds"
    pair = MatchPair.objects.get()
    imported = Person.objects.get(first_name="Muhammad")
    assert (pair.person_l_id, pair.person_r_id) == (original.pk, imported.pk)
    assert pair.found_by == FoundBy.IMPORT and pair.match_probability == pytest.approx(
        ImportBatch.objects.get(pk=batch.pk).rows.get(row_number=2).problems[0]["detail"]["probability"]
    )


def _register_someone(office, people, by):
    register(office, "Yusuf", "Demir", birth_date=datetime.date(1990, 2, 3))


def _edit_a_person(office, people, by):
    registry.person_update(person=people[0], changes={"family_name": "Al-Hasan"}, by=by)


def _add_an_identifier(office, people, by):
    registry.identifier_add(
        person=people[1], data=registry.IdentifierInput(IdentifierType.FOREIGNER_ID, "99555666774"), by=by
    )


def _merge_two_people(office, people, by):
    person_merge(survivor=people[0], merged=people[1], by=by)


def _set_thresholds(office, people, by):
    office_thresholds_set(office=office, auto_link=0.95, review=0.05, by=by)


@pytest.mark.parametrize(
    "change", [_register_someone, _edit_a_person, _add_an_identifier, _merge_two_people, _set_thresholds]
)
def test_any_change_the_check_reads_makes_the_commit_check_again(istanbul, caseworker, checks_at_commit, change):
    supervisor = staff(Role.SUPERVISOR, istanbul, username="supervisor.ist")
    people = [register(istanbul, **ORIGINAL), register(istanbul, "Omar", "Karimi")]
    batch = stage(istanbul, caseworker, people_csv(AGAIN_ROW, STRANGER_ROW))
    change(istanbul, people, supervisor)
    import_commit(batch=batch, by=caseworker)
    assert checks_at_commit == [2, 2]


def test_a_foreigner_id_registered_after_staging_still_blocks_the_commit(istanbul, caseworker):
    batch = stage(istanbul, caseworker, people_csv({**STRANGER_ROW, "foreigner_id": "99555666774"}))
    assert batch.state == ImportBatch.State.VALID
    register(istanbul, "Zeynep", "Kaya", sex="F", foreigner_id="99555666774")
    with pytest.raises(ImportRefused, match="Something changed since the file was checked"):
        import_commit(batch=batch, by=caseworker)
    assert Person.objects.filter(office=istanbul, first_name="Zeynep").count() == 1  # the one registered, only
