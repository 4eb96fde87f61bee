"""A family registered at once (issue 20, item 1): the head, the members and the household on one page, each
person checked for duplicates before anything is saved, everything written by `family_enrol` or nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from liman.core.choices import AuditAction, Role
from liman.core.models import AdminArea, AuditEvent
from liman.dedup.models import MatchPair
from liman.registry import services as registry
from liman.registry.choices import LegalStatusType, Relationship
from liman.registry.forms import carried_names, names_from_search
from liman.registry.models import Consent, Household, HouseholdMember, LegalStatus, Person
from tests.factories import staff

pytestmark = pytest.mark.django_db

URL = "/people/new/family/"


@pytest.fixture
def caseworker(istanbul):
    return staff(Role.CASEWORKER, istanbul)


def family_post(members: int = 3, **overrides) -> dict:
    """Karim Nouri Haddad, his wife Amina, their son Omar and daughter Sara, in Esenyurt."""
    data = {
        "search-name": "Karim Nouri Haddad",
        "members": str(members),
        "head-first_name": "Karim",
        "head-father_name": "Nouri",
        "head-family_name": "Haddad",
        "head-sex": "M",
        "head-birth_date": "1984-03-12",
        "head-nationality": "SYR",
        "head-legal_status": LegalStatusType.TEMPORARY_PROTECTION,
        "head-phone": "0532 444 55 66",
        "member-0-relationship": "spouse",
        "member-0-first_name": "Amina",
        "member-0-father_name": "Yusuf",
        "member-0-family_name": "Darwish",
        "member-0-sex": "F",
        "member-0-birth_date": "1988-07-02",
        "member-1-relationship": "child",
        "member-1-first_name": "Omar",
        "member-1-father_name": "Karim",
        "member-1-family_name": "Haddad",
        "member-1-sex": "M",
        "member-1-birth_date": "2012-05",
        "member-2-relationship": "child",
        "member-2-first_name": "Sara",
        "member-2-father_name": "Karim",
        "member-2-family_name": "Haddad",
        "member-2-sex": "F",
        "member-2-birth_date": "2016",
        "member-2-nationality": "TUR",
        "district": "Esenyurt",
        "address": "Namık Kemal Mah. 1203 Sk. No 7",
        "legal_basis": "consent",
        "consent_given": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_search_karim_nouri_haddad_fills_the_three_name_fields(client, caseworker):
    client.force_login(caseworker)
    html = client.get(URL, {"name": "Karim Nouri Haddad"}).content.decode()
    assert 'name="head-first_name" value="Karim"' in html
    assert 'name="head-father_name" value="Nouri"' in html
    assert 'name="head-family_name" value="Haddad"' in html
    html = client.get(reverse("registry:person-create"), {"name": "Karim Nouri Haddad"}).content.decode()
    assert 'name="first_name" value="Karim"' in html and 'name="father_name" value="Nouri"' in html
    assert 'name="family_name" value="Haddad"' in html


def test_names_from_search_reads_one_two_and_three_words():
    assert names_from_search("Haddad") == {"family_name": "Haddad"}
    assert names_from_search("Karim Haddad") == {"first_name": "Karim", "family_name": "Haddad"}
    assert names_from_search(" Karim  Nouri Haddad ") == {
        "first_name": "Karim",
        "father_name": "Nouri",
        "family_name": "Haddad",
    }
    assert names_from_search("") == {}


def test_a_child_carries_the_fathers_first_name_and_the_family_name_a_spouse_nothing():
    head = {"head_first_name": "Karim", "head_father_name": "Nouri", "head_family_name": "Haddad"}
    assert carried_names(Relationship.CHILD, head_sex="M", **head) == {"family_name": "Haddad", "father_name": "Karim"}
    assert carried_names(Relationship.CHILD, head_sex="F", **head) == {"family_name": "Haddad"}
    assert carried_names(Relationship.SIBLING, head_sex="M", **head) == {
        "father_name": "Nouri",
        "family_name": "Haddad",
    }
    assert carried_names(Relationship.SPOUSE, head_sex="M", **head) == {}


def test_the_family_page_asks_for_a_search_first(client, caseworker):
    client.force_login(caseworker)
    response = client.get(URL)
    assert response.status_code == 302 and response.url == reverse("registry:person-search")


def test_a_viewer_cannot_open_the_family_page(client, istanbul):
    client.force_login(staff(Role.VIEWER, istanbul))
    assert client.get(URL, {"name": "Karim Nouri Haddad"}).status_code == 404


def test_a_family_of_four_is_registered_in_one_post_in_a_new_household(client, istanbul, caseworker):
    client.force_login(caseworker)
    response = client.post(URL, family_post())
    household = Household.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "registry:household-detail", args=[household.reference]
    )
    assert household.office == istanbul and household.district == AdminArea.objects.get(pcode="TUR034018")
    assert household.address == "Namık Kemal Mah. 1203 Sk. No 7"
    assert household.head.full_name == "Karim Nouri Haddad"
    relationships = dict(HouseholdMember.objects.values_list("person__first_name", "relationship"))
    assert relationships == {"Karim": "head", "Amina": "spouse", "Omar": "child", "Sara": "child"}
    omar = Person.objects.get(first_name="Omar")
    assert (omar.father_name, omar.family_name, omar.nationality) == ("Karim", "Haddad", "SYR")
    assert omar.birth_date == datetime.date(2012, 5, 1) and omar.birth_date_precision == "month"
    assert Person.objects.get(first_name="Sara").nationality == "TUR"
    # The members share the head's legal status; each has their registration consent.
    assert LegalStatus.objects.filter(status=LegalStatusType.TEMPORARY_PROTECTION).count() == 4
    assert Consent.objects.count() == 4
    created = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="registry.person", actor=caseworker)
    assert created.count() == 4
    assert "4 people are registered in household" in client.get(response.url).content.decode()


def test_a_member_left_empty_is_left_out(client, caseworker):
    client.force_login(caseworker)
    emptied = {f"member-2-{name}": "" for name in ("relationship", "first_name", "sex", "birth_date")}
    response = client.post(URL, family_post(**emptied))
    assert response.status_code == 302
    assert sorted(Person.objects.values_list("first_name", flat=True)) == ["Amina", "Karim", "Omar"]


def test_a_member_with_a_missing_field_saves_nobody(client, caseworker):
    client.force_login(caseworker)
    response = client.post(URL, family_post(**{"member-1-sex": None}))
    html = response.content.decode()
    assert response.status_code == 200 and "Nothing was saved" in html
    assert 'id="field-member-1-sex"' in html
    assert not Person.objects.exists() and not Household.objects.exists()


def test_adding_a_member_without_javascript_brings_the_page_back_with_a_row_and_saves_nothing(client, caseworker):
    client.force_login(caseworker)
    response = client.post(URL, family_post(members=0, **{"add-member": "1", "member-0-first_name": None}))
    html = response.content.decode()
    assert response.status_code == 200 and not Person.objects.exists()
    assert 'name="members" value="1"' in html
    # What was typed for the head stays, and the new row starts with the head's family name.
    assert 'name="head-first_name" value="Karim"' in html
    assert 'name="member-0-family_name" value="Haddad"' in html
    assert "Nothing was saved" not in html


def test_each_member_is_checked_for_duplicates_before_anything_is_saved(client, istanbul, caseworker):
    already = registry.person_register(
        office=istanbul,
        data=registry.PersonInput(
            first_name="Omar",
            father_name="Karim",
            family_name="Haddad",
            sex="M",
            nationality="SYR",
            birth_date=datetime.date(2012, 5, 20),
        ),
        by=None,
    )
    client.force_login(caseworker)
    # The search for the head finds Omar too: the registrar ticks that none of those listed is the head.
    post = family_post(**{"member-1-birth_date": "2012-05-20", "confirmed_new": "on"})
    response = client.post(URL, post)
    html = response.content.decode()
    assert response.status_code == 200 and "Nothing was saved" in html
    assert 'name="duplicates-confirmed-member-1"' in html and already.reference in html
    assert 'name="duplicates-confirmed-head"' not in html
    assert Person.objects.count() == 1

    confirmed = {**post, "duplicates-seen-member-1": already.reference, "duplicates-confirmed-member-1": "yes"}
    response = client.post(URL, confirmed)
    assert response.status_code == 302
    new_omar = Person.objects.exclude(pk=already.pk).get(first_name="Omar")
    pair = MatchPair.objects.get()
    assert {pair.person_l_id, pair.person_r_id} == {already.pk, new_omar.pk}


def test_the_service_writes_nothing_when_one_member_is_refused(istanbul, caseworker):
    head = registry.PersonInput(first_name="Karim", family_name="Haddad", sex="M", nationality="SYR")
    member = registry.PersonInput(first_name="Omar", family_name="Haddad", sex="M", nationality="SYR")
    with pytest.raises(ValidationError):
        registry.family_enrol(
            office=istanbul,
            head=head,
            members=[(member, Relationship.CHILD), (member, Relationship.HEAD)],
            legal_basis="consent",
            by=caseworker,
        )
    assert not Person.objects.exists() and not Household.objects.exists()


def test_the_household_to_join_is_found_by_a_members_name_and_picked(client, istanbul, izmir, caseworker):
    client.force_login(caseworker)
    client.post(URL, family_post())
    household = Household.objects.get()
    elsewhere = registry.person_enrol(
        office=izmir,
        data=registry.PersonInput(first_name="Karim", family_name="Haddad", sex="M", nationality="SYR"),
        legal_basis="consent",
        start_household=True,
        by=None,
    )
    html = client.get(reverse("registry:household-pick"), {"household-query": "Omar Haddad"}).content.decode()
    assert f'value="{household.reference}" checked' in html and "headed by Karim Nouri Haddad" in html
    assert elsewhere.membership.household.reference not in html
    html = client.get(
        reverse("registry:household-pick"), {"household-query": household.reference[-4:]}
    ).content.decode()
    assert household.reference in html
    assert (
        "No household in your offices"
        in client.get(reverse("registry:household-pick"), {"household-query": "Zzz"}).content.decode()
    )


def test_find_without_javascript_brings_the_registration_page_back_with_the_households(client, caseworker):
    client.force_login(caseworker)
    client.post(URL, family_post())
    household = Household.objects.get()
    post = {
        "search-name": "Layla Haddad",
        "first_name": "Layla",
        "family_name": "Haddad",
        "household": "join",
        "household-query": "Karim Haddad",
        "household-find": "1",
    }
    response = client.post(reverse("registry:person-create"), post)
    html = response.content.decode()
    assert response.status_code == 200 and Person.objects.count() == 4
    assert 'name="first_name" value="Layla"' in html
    assert f'value="{household.reference}" checked' in html


def test_a_viewer_finds_no_household_to_pick(client, istanbul):
    client.force_login(staff(Role.VIEWER, istanbul))
    assert client.get(reverse("registry:household-pick"), {"household-query": "Haddad"}).status_code == 404


def test_the_person_search_pages_beyond_the_first_twenty(client, istanbul, caseworker, django_assert_max_num_queries):
    for n in range(25):
        registry.person_register(
            office=istanbul,
            data=registry.PersonInput(
                first_name=f"Rami{chr(65 + n)}", family_name="Haddad", sex="M", nationality="SYR"
            ),
            by=None,
        )
    client.force_login(caseworker)
    first = client.get(reverse("registry:person-search"), {"name": "Haddad"})
    assert len(first.context["matches"]) == 20
    html = first.content.decode()
    assert "Matches 1–20" in html and 'href="?name=Haddad&amp;page=2"' in html
    with django_assert_max_num_queries(20):
        second = client.get(reverse("registry:person-search"), {"name": "Haddad", "page": "2"})
    assert len(second.context["matches"]) == 5 and "Matches 21–25" in second.content.decode()
    shown = {match.person.pk for match in first.context["matches"]} | {m.person.pk for m in second.context["matches"]}
    assert len(shown) == 25
    assert second.context["search_page"]["next"] is None
    assert (
        client.get(reverse("registry:person-search"), {"name": "Haddad", "page": "x"}).context["search_page"]["number"]
        == 1
    )


def test_picking_a_household_costs_the_same_queries_for_many(
    client, istanbul, caseworker, django_assert_max_num_queries
):
    for n in range(12):
        registry.person_enrol(
            office=istanbul,
            data=registry.PersonInput(
                first_name=f"Nabil{chr(65 + n)}", family_name="Haddad", sex="M", nationality="SYR"
            ),
            legal_basis="consent",
            start_household=True,
            by=None,
        )
    client.force_login(caseworker)
    client.get(reverse("registry:household-pick"), {"household-query": "Haddad"})
    with django_assert_max_num_queries(15):
        html = client.get(reverse("registry:household-pick"), {"household-query": "Haddad"}).content.decode()
    assert html.count('name="household_reference"') == 10
