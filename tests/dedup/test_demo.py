"""The demo seed plants re-registrations and runs the matcher, so the review queue of `make run` is populated."""

from __future__ import annotations

import random

import pytest

from liman.core.demo import seed_core
from liman.core.models import User
from liman.dedup.choices import FoundBy, MatchStatus
from liman.dedup.demo import seed_duplicates, variant_spelling
from liman.dedup.models import DedupRun, MatchPair
from liman.dedup.selectors import match_pairs_for
from liman.registry.choices import DatePrecision
from liman.registry.demo import seed_registry
from liman.registry.models import Person
from liman.registry.names import VARIANT_SPELLINGS


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            seed_core(random.Random(3), 3)
            seed_registry(random.Random(3), 3)
            people = Person.objects.count()
            seed_duplicates(random.Random(3), 3)
            yield people
            transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_seed_plants_re_registrations_and_queues_them(seeded):
    planted = Person.objects.count() - seeded
    assert planted >= 10, "about one person in twenty is registered again"
    pairs = MatchPair.objects.filter(status=MatchStatus.OPEN, found_by=FoundBy.RUN)
    assert pairs.count() >= planted // 2, "most re-registrations are found"
    assert DedupRun.objects.get().pairs_found == MatchPair.objects.count()


@pytest.mark.django_db
def test_the_re_registrations_are_written_as_the_field_writes_them(seeded):
    newest = Person.objects.order_by("-pk")[: Person.objects.count() - seeded]
    assert any(person.birth_date_precision == DatePrecision.YEAR for person in newest)
    pairs = MatchPair.objects.select_related("person_l__office", "person_r__office")
    assert any(pair.person_l.office_id != pair.person_r.office_id for pair in pairs), "re-registered elsewhere"
    assert any(pair.person_l.first_name != pair.person_r.first_name for pair in pairs), "spelled otherwise"


@pytest.mark.django_db
def test_the_demo_reviewers_find_pairs_in_their_queue(seeded):
    country_admin = User.objects.get(username="administrator.ank")
    assert match_pairs_for(country_admin).exists()
    supervisors = User.objects.filter(username__startswith="supervisor.")
    assert any(match_pairs_for(supervisor).exists() for supervisor in supervisors)


@pytest.mark.django_db
def test_seeding_again_adds_nothing(seeded):
    people, pairs = Person.objects.count(), MatchPair.objects.count()
    seed_duplicates(random.Random(3), 3)
    assert (Person.objects.count(), MatchPair.objects.count()) == (people, pairs)


def test_a_known_name_is_spelled_another_way():
    spelled = variant_spelling(random.Random(1), "Mohammed")
    assert spelled != "Mohammed" and spelled.lower() in VARIANT_SPELLINGS["muhammad"]
