"""Checks before commit: the registration page and the people import ask the matcher about the person typed."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from liman.core.choices import Role
from liman.core.models import ImportBatch
from liman.core.staging import import_commit, import_stage, problem_report
from liman.dedup.choices import FoundBy, MatchStatus
from liman.dedup.models import MatchPair
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
    response = client.post(reverse("person-create"), typed_again())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in body and original.reference in body
    assert 'name="duplicates-confirmed"' in body
    assert Person.objects.count() == 1


def test_registering_anyway_sends_the_pair_to_review(client, istanbul, caseworker):
    original = register(istanbul, **ORIGINAL)
    client.force_login(caseworker)
    confirmed = typed_again(**{"duplicates-seen": original.reference, "duplicates-confirmed": "yes"})
    response = client.post(reverse("person-create"), confirmed)
    assert response.status_code == 302
    new = Person.objects.exclude(pk=original.pk).get()
    pair = MatchPair.objects.get()
    assert {pair.person_l_id, pair.person_r_id} == {original.pk, new.pk}
    assert pair.found_by == FoundBy.REGISTRATION and pair.status == MatchStatus.OPEN


def test_confirming_without_the_tick_asks_again(client, istanbul, caseworker):
    original = register(istanbul, **ORIGINAL)
    client.force_login(caseworker)
    response = client.post(reverse("person-create"), typed_again(**{"duplicates-seen": original.reference}))
    assert "Tick the box if this person is none of the possible duplicates" in response.content.decode()
    assert Person.objects.count() == 1


def test_someone_else_registers_without_a_duplicate_warning(client, istanbul, caseworker):
    register(istanbul, **ORIGINAL)
    client.force_login(caseworker)
    different = typed_again(first_name="Zeynep", father_name="", family_name="Kaya", sex="F", birth_date="2001-09-09")
    assert client.post(reverse("person-create"), different).status_code == 302
    assert Person.objects.count() == 2 and not MatchPair.objects.exists()


def test_a_duplicate_in_an_office_the_registrar_cannot_see_is_not_shown(client, istanbul, izmir, caseworker):
    register(izmir, **ORIGINAL)
    client.force_login(caseworker)
    assert client.post(reverse("person-create"), typed_again()).status_code == 302


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
    return import_stage(kind="people", file=io.BytesIO(content), file_name="people.csv", office=office, by=user)


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
