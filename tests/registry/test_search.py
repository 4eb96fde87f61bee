"""The person search a registrar runs before registering someone: fuzzy by name, by date of birth, exact by
identifier and phone, and never beyond the offices and tiers the registrar may see."""

from __future__ import annotations

import datetime

import pytest

from liman.core.choices import Role, Sensitivity
from liman.registry import services
from liman.registry.choices import DatePrecision, IdentifierType
from liman.registry.models import NameKeyKind, Person, PersonNameKey
from liman.registry.search import person_lookup, person_search
from tests.factories import staff

pytestmark = pytest.mark.django_db


def register(office, first: str, family: str, **fields) -> Person:
    identifiers = [services.IdentifierInput(kind, value) for kind, value in fields.pop("identifiers", [])]
    data = services.PersonInput(
        first_name=first,
        family_name=family,
        sex=fields.pop("sex", "M"),
        nationality=fields.pop("nationality", "SYR"),
        identifiers=identifiers,
        **fields,
    )
    return services.person_register(office=office, data=data, by=None)


def found(user, text: str = "", **kwargs) -> list[str]:
    return [match.person.full_name for match in person_search(user, text=text, **kwargs)]


@pytest.fixture
def registrar(istanbul):
    return staff(Role.CASEWORKER, istanbul)


@pytest.mark.parametrize("spelling", ["Muhammad", "Mohamad", "Muhammed", "Mohamed", "Mehmet"])
def test_mohammed_finds_the_other_transliterations(istanbul, registrar, spelling):
    register(istanbul, spelling, "Haddad")
    assert found(registrar, "Mohammed Haddad") == [f"{spelling} Haddad"]


@pytest.mark.parametrize("spelling", ["Abdulrahman", "Abdurrahman", "Abdelrahman", "Abdul Rahman", "Abdirahman"])
def test_abd_al_rahman_finds_the_joined_spellings(istanbul, registrar, spelling):
    register(istanbul, spelling, "Al-Khatib")
    assert found(registrar, "Abd al-Rahman Khatib") == [f"{spelling} Al-Khatib"]


def test_a_variant_spelling_says_so_and_ranks_below_the_same_spelling(istanbul, registrar):
    register(istanbul, "Mohamad", "Haddad")
    register(istanbul, "Mohammed", "Haddad")
    matches = person_search(registrar, text="Mohammed Haddad")
    assert [match.person.first_name for match in matches] == ["Mohammed", "Mohamad"]
    assert matches[0].reasons == ["Name matches"] and matches[0].score == 1.0
    assert matches[1].reasons == ["Name matches in another spelling"] and matches[1].score < 1.0


@pytest.mark.parametrize("typed", ["İSMAİL IŞIK", "ISMAIL ISIK", "ismail işık", "Ismail Isik"])
def test_turkish_capitals_and_dotless_i_find_the_name(istanbul, registrar, typed):
    register(istanbul, "İsmail", "Işık", nationality="TUR")
    assert found(registrar, typed) == ["İsmail Işık"]


def test_ayse_in_capitals_without_cedilla_finds_ayse(istanbul, registrar):
    register(istanbul, "Ayşe", "Yılmaz", sex="F", nationality="TUR")
    assert found(registrar, "AYSE YILMAZ") == ["Ayşe Yılmaz"]


@pytest.mark.parametrize("typed", ["Omar Kanaam", "Omar Kanan", "Omr Kanaan", "Omar Knaaan", "Kanaam"])
def test_a_one_letter_typo_still_finds_the_person(istanbul, registrar, typed):
    register(istanbul, "Omar", "Kanaan")
    assert "Omar Kanaan" in found(registrar, typed)


def test_a_typo_in_the_first_letter_is_found_through_the_other_word(istanbul, registrar):
    register(istanbul, "Yusuf", "Tarabishi")
    assert found(registrar, "Yusuf Marabishi") == ["Yusuf Tarabishi"]


def test_words_in_any_order_and_the_article_left_out_find_the_name(istanbul, registrar):
    register(istanbul, "Khaled", "Al-Hassan", father_name="Ahmad")
    assert found(registrar, "hassan khaled") == ["Khaled Ahmad Al-Hassan"]


def test_the_turkish_form_of_a_name_finds_the_arabic_one(istanbul, registrar):
    register(istanbul, "Khadija", "Darwish", sex="F")
    assert found(registrar, "Hatice Derviş") == ["Khadija Darwish"]


def test_a_search_in_arabic_script_finds_the_latin_spelling(istanbul, registrar):
    register(istanbul, "Khadija", "Haddad", sex="F")
    matches = person_search(registrar, text="خديجة حداد")
    assert [match.person.full_name for match in matches] == ["Khadija Haddad"]


def test_the_name_in_original_script_is_searched_too(istanbul, registrar):
    register(istanbul, "M.", "Z.", original_name="محمد الزعبي")
    matches = person_search(registrar, text="Mohammed Zoubi")
    assert [match.person.original_name for match in matches] == ["محمد الزعبي"]
    assert matches[0].reasons == ["Name in original script matches"]


def test_a_lookalike_name_ranks_below_the_name_searched(istanbul, registrar):
    register(istanbul, "Hussein", "Ali")
    register(istanbul, "Hassan", "Ali")
    matches = person_search(registrar, text="Hassan Ali")
    assert [match.person.first_name for match in matches][:2] == ["Hassan", "Hussein"]
    assert matches[1].score < 0.9


def test_an_unrelated_name_is_not_a_likely_match(istanbul, registrar):
    register(istanbul, "Fatima", "Rahimi", sex="F")
    assert found(registrar, "Burak Öztürk") == []


def test_the_same_date_of_birth_ranks_first_and_says_so(istanbul, registrar):
    register(istanbul, "Mohammed", "Haddad", birth_date=datetime.date(1988, 2, 11))
    register(istanbul, "Mohammed", "Haddad", father_name="Ali", birth_date=datetime.date(1990, 5, 3))
    matches = person_search(registrar, text="Mohammed Haddad", birth_date=datetime.date(1990, 5, 3))
    assert matches[0].person.birth_date == datetime.date(1990, 5, 3)
    assert "Same date of birth" in matches[0].reasons
    assert matches[0].score > matches[1].score


def test_a_year_only_date_of_birth_agrees_with_any_day_of_that_year(istanbul, registrar):
    register(istanbul, "Ahmad", "Najjar", birth_date=datetime.date(1975, 1, 1), birth_date_precision=DatePrecision.YEAR)
    register(istanbul, "Ahmad", "Najjar", father_name="Omar", birth_date=datetime.date(1979, 6, 30))
    matches = person_search(registrar, text="Ahmed Najjar", birth_date=datetime.date(1975, 8, 14))
    assert matches[0].person.birth_date_display == "1975"
    assert "Same year of birth" in matches[0].reasons


def test_a_date_of_birth_alone_finds_people_born_that_day_or_recorded_by_year(istanbul, registrar):
    register(istanbul, "Ali", "Rezaei", birth_date=datetime.date(2001, 9, 9))
    register(istanbul, "Zainab", "Karimi", sex="F", birth_date=datetime.date(2001, 1, 1), birth_date_precision="year")
    register(istanbul, "Omar", "Karimi", birth_date=datetime.date(2002, 9, 9))
    matches = person_search(registrar, birth_date=datetime.date(2001, 9, 9))
    assert [match.person.first_name for match in matches] == ["Ali", "Zainab"]
    assert matches[0].reasons == ["Same date of birth"]


def test_people_of_another_office_are_never_returned(istanbul, izmir, registrar):
    register(izmir, "Mohammed", "Haddad", phone="+905321112233", identifiers=[(IdentifierType.PASSPORT, "N123456")])
    assert person_search(registrar, text="Mohammed Haddad") == []
    assert person_search(registrar, text="Haddad") == []
    assert person_lookup(registrar, identifier="N123456", phone="0532 111 22 33") == []


def test_protection_sensitive_people_are_hidden_from_a_viewer(istanbul):
    person = register(istanbul, "Layla", "Shami", sex="F")
    Person.objects.filter(pk=person.pk).update(sensitivity=Sensitivity.PROTECTION)
    assert found(staff(Role.CASEWORKER, istanbul), "Leyla Shami") == ["Layla Shami"]
    assert found(staff(Role.VIEWER, istanbul), "Leyla Shami") == []


def test_a_person_moved_to_another_office_is_found_there_and_no_longer_here(istanbul, izmir, registrar):
    person = register(istanbul, "Layla", "Shami", sex="F")
    services.person_update(person=person, changes={"office": izmir}, by=registrar, reason="moved to Izmir")
    assert found(registrar, "Layla Shami") == []
    assert found(staff(Role.CASEWORKER, izmir), "Layla Shami") == ["Layla Shami"]


def test_a_key_left_stale_never_shows_a_person_the_user_may_not_see(istanbul, izmir, registrar):
    person = register(istanbul, "Layla", "Shami", sex="F")
    Person.objects.filter(pk=person.pk).update(office=izmir)  # behind the services' back: the keys still say IST
    assert found(registrar, "Layla Shami") == []


def test_merged_people_are_not_returned(istanbul, registrar):
    kept = register(istanbul, "Yusuf", "Barzani")
    merged = register(istanbul, "Youssef", "Barzani")
    Person.objects.filter(pk=merged.pk).update(merged_into=kept)
    assert found(registrar, "Yusuf Barzani") == ["Yusuf Barzani"]


def test_renaming_a_person_refreshes_their_search_keys(istanbul, registrar):
    person = register(istanbul, "Omar", "Kanaan", birth_date=datetime.date(1990, 1, 2))
    services.person_update(person=person, changes={"family_name": "Barghouti"}, by=registrar)
    assert found(registrar, "Omar Kanaan") == []
    assert found(registrar, "Omar Barghouthi") == ["Omar Barghouti"]
    assert not PersonNameKey.objects.filter(person=person, key__contains="knn").exists()
    assert PersonNameKey.objects.filter(person=person, kind=NameKeyKind.BIRTH, key="1990-01-02").exists()


def test_lookup_by_identifier_matches_whatever_the_spacing_and_case(istanbul, registrar):
    person = register(istanbul, "Ali", "Hosseini", identifiers=[(IdentifierType.PASSPORT, "U1234567")])
    matches = person_lookup(registrar, identifier="u 1234-567")
    assert [match.person for match in matches] == [person]
    assert matches[0].reasons == ["Passport matches"]


def test_lookup_by_phone_accepts_the_local_format(istanbul, registrar):
    person = register(istanbul, "Ali", "Hosseini", phone="+905321234567")
    assert [match.person for match in person_lookup(registrar, phone="0532 123 45 67")] == [person]
    assert person_lookup(registrar, phone="not a phone") == []


def test_lookup_by_identifier_and_phone_of_one_person_gives_one_match_with_both_reasons(istanbul, registrar):
    register(
        istanbul, "Ali", "Hosseini", phone="+905321234567", identifiers=[(IdentifierType.FOREIGNER_ID, "99123456786")]
    )
    matches = person_lookup(registrar, identifier="99123456786", phone="+90 532 123 4567")
    assert len(matches) == 1
    assert matches[0].reasons == ["Foreigner ID number (YKN) matches", "Phone matches"]


def test_an_empty_search_finds_no_one(istanbul, registrar):
    register(istanbul, "Ali", "Hosseini")
    assert person_search(registrar, text="  al- bin ") == []
    assert person_lookup(registrar) == []


def test_a_search_costs_the_same_few_queries_however_many_people_match(
    istanbul, registrar, django_assert_max_num_queries
):
    for number in range(30):
        register(istanbul, ["Mohammed", "Muhammad", "Mohamad"][number % 3], "Haddad", father_name=f"Ali{number}")
    registrar.grants  # noqa: B018  (the user's grants are loaded once per request, not per search)
    with django_assert_max_num_queries(10):
        matches = person_search(registrar, text="Mohamed Hadad", birth_date=datetime.date(1990, 1, 1), limit=25)
    assert len(matches) == 25


def test_demo_people_carry_the_keys_and_audit_events_the_services_write(istanbul):
    from liman.core import audit
    from liman.registry.demo import seed_office
    from liman.registry.search import search_keys

    assert seed_office(istanbul, seed=7, people=40) >= 40
    people = list(Person.objects.filter(office=istanbul).prefetch_related("search_keys"))
    for person in people:
        assert {(key.kind, key.key) for key in person.search_keys.all()} == search_keys(person)
    assert audit.verify() == []
    registrar = staff(Role.SUPERVISOR, istanbul)
    someone = people[len(people) // 2]
    assert someone in [match.person for match in person_search(registrar, text=someone.full_name)]
    assert seed_office(istanbul, seed=7, people=40) == 0


@pytest.mark.parametrize("typed", ["Mohammed", "Ahmad", "Haddad", "Hadad", "Ahmed"])
def test_one_word_finds_a_person_by_any_word_of_their_name(istanbul, registrar, typed):
    register(istanbul, "Mohammed", "Al-Haddad", father_name="Ahmad")
    register(istanbul, "Alihan", "Demir", nationality="TUR")
    assert found(registrar, typed) == ["Mohammed Ahmad Al-Haddad"]


def test_a_word_does_not_find_the_longer_words_it_begins(istanbul, registrar):
    register(istanbul, "Ali", "Kaya", nationality="TUR")
    register(istanbul, "Alihan", "Demir", nationality="TUR")
    assert found(registrar, "Alihan") == ["Alihan Demir"]
    assert "Ali Kaya" in found(registrar, "Ali")


def test_the_keys_written_afresh_are_the_keys_the_services_wrote(istanbul, registrar):
    from liman.registry.search import rebuild_search_keys

    for first, family in [("Mohammed", "Haddad"), ("Fatima", "Al-Zahra"), ("Omar", "Kanaan"), ("Ali", "Kaya")]:
        register(istanbul, first, family, birth_date=datetime.date(1990, 1, 1))
    columns = ("person_id", "office_id", "sensitivity", "kind", "key")
    written = set(PersonNameKey.objects.values_list(*columns))
    PersonNameKey.objects.all().delete()
    assert rebuild_search_keys(chunk=3) == len(written)  # in chunks smaller than the registry
    assert set(PersonNameKey.objects.values_list(*columns)) == written
    assert found(registrar, "Omar Kanaan") == ["Omar Kanaan"]
