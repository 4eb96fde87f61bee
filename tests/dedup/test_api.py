"""The match-pairs API: scoped like the pages (both people visible), and a decision on one pair."""

from __future__ import annotations

import pytest

from liman.core.choices import Role
from liman.dedup import services
from liman.dedup.choices import MatchStatus
from liman.dedup.models import DedupRun, MatchPair
from liman.registry.models import Person
from tests.factories import staff

from .conftest import pair_of, register, twice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_second_factor")]


def found_pair(office, other_office=None, **extra) -> MatchPair:
    first, second = twice(office, other_office, **extra)
    services.dedup_run_execute(run=DedupRun.objects.create(office=None if other_office else office))
    return pair_of(first, second)


def test_the_list_shows_the_pairs_whose_two_people_the_caller_sees(client, istanbul, izmir, supervisor):
    mine = found_pair(istanbul)
    across = found_pair(istanbul, izmir)
    client.force_login(supervisor)
    listed = client.get("/api/match-pairs/").json()
    ids = {row["id"] for row in listed["results"]} if isinstance(listed, dict) else {row["id"] for row in listed}
    assert mine.pk in ids and across.pk not in ids
    assert client.get(f"/api/match-pairs/{across.pk}/").status_code == 404
    row = client.get(f"/api/match-pairs/{mine.pk}/").json()
    assert (
        row["person_l"] == mine.person_l.reference
        and row["status"] == "open"
        and row["band"] in ("review", "auto_link")
    )


def test_the_list_costs_the_same_queries_for_many_pairs(client, istanbul, supervisor, django_assert_max_num_queries):
    def make_pairs(count):
        for n in range(count):
            a = register(istanbul, f"Api{n}", "Family")
            b = register(istanbul, f"Api{n}", "Family")
            MatchPair.objects.create(person_l=a, person_r=b, match_probability=0.8, band="review", model_version="t")

    client.force_login(supervisor)
    make_pairs(2)
    with django_assert_max_num_queries(12) as few:
        client.get("/api/match-pairs/")
    make_pairs(15)
    with django_assert_max_num_queries(len(few)):
        assert client.get("/api/match-pairs/").status_code == 200


def test_a_reviewer_decides_through_the_api(client, istanbul, supervisor):
    pair = found_pair(istanbul)
    client.force_login(supervisor)
    response = client.post(
        f"/api/match-pairs/{pair.pk}/decide/",
        {"decision": "same_person", "survivor": pair.person_r.reference, "reason": "same passport"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "same_person" and response.json()["survivor"] == pair.person_r.reference
    assert Person.objects.get(pk=pair.person_l_id).merged_into_id == pair.person_r_id
    again = client.post(
        f"/api/match-pairs/{pair.pk}/decide/", {"decision": "different_people"}, content_type="application/json"
    )
    assert again.status_code == 400 and "already decided" in again.content.decode()


def test_a_caseworker_may_not_decide_through_the_api(client, istanbul):
    pair = found_pair(istanbul)
    client.force_login(staff(Role.CASEWORKER, istanbul))
    response = client.post(
        f"/api/match-pairs/{pair.pk}/decide/", {"decision": "different_people"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert MatchPair.objects.get(pk=pair.pk).status == MatchStatus.OPEN


def test_a_survivor_outside_the_pair_is_refused(client, istanbul, supervisor):
    pair = found_pair(istanbul)
    stranger = register(istanbul, "Zeynep", "Kaya", sex="F")
    client.force_login(supervisor)
    response = client.post(
        f"/api/match-pairs/{pair.pk}/decide/",
        {"decision": "same_person", "survivor": stranger.reference},
        content_type="application/json",
    )
    assert response.status_code == 400 and "survivor" in response.json()
