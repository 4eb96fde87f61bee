"""The one consent check, for one person and for many at once: `consented_among` says what `consent_for` says for
each person, whether given a list of people or a queryset of their ids (read as a subquery, in one query)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liman.registry import services as registry
from liman.registry.choices import ConsentPurpose
from liman.registry.consent import consent_for, consented_among
from liman.registry.models import Person

pytestmark = pytest.mark.django_db

PROVIDER = ConsentPurpose.SHARING_PAYMENT_PROVIDER


def _person(office, name: str) -> Person:
    return registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=name, family_name="Haddad", sex="F", nationality="SYR"),
        by=None,
    )


@pytest.fixture
def people(istanbul) -> dict[str, Person]:
    today = timezone.localdate()
    found = {name: _person(istanbul, name) for name in ("given", "withdrawn", "later", "other", "none", "again")}
    registry.consent_record(person=found["given"], purpose=PROVIDER, legal_basis="consent", by=None)
    withdrawn = registry.consent_record(person=found["withdrawn"], purpose=PROVIDER, legal_basis="consent", by=None)
    registry.consent_withdraw(consent=withdrawn, by=None)
    registry.consent_record(
        person=found["later"], purpose=PROVIDER, legal_basis="consent", by=None,
        given_on=today + datetime.timedelta(days=3),
    )  # fmt: skip
    registry.consent_record(person=found["other"], purpose=ConsentPurpose.CONTACT, legal_basis="consent", by=None)
    # Withdrawn, then given again: in force.
    first = registry.consent_record(
        person=found["again"], purpose=PROVIDER, legal_basis="consent", by=None,
        given_on=today - datetime.timedelta(days=30),
    )  # fmt: skip
    registry.consent_withdraw(consent=first, by=None, on=today - datetime.timedelta(days=20))
    registry.consent_record(person=found["again"], purpose=PROVIDER, legal_basis="consent", by=None)
    return found


def test_many_at_once_agree_with_one_at_a_time(people):
    expected = {person.pk for person in people.values() if consent_for(person, PROVIDER) is not None}
    assert expected == {people["given"].pk, people["again"].pk}
    assert consented_among(list(people.values()), PROVIDER) == expected
    assert consented_among([person.pk for person in people.values()], PROVIDER) == expected
    assert consented_among(Person.objects.values("pk"), PROVIDER) == expected
    later = timezone.localdate() + datetime.timedelta(days=5)
    assert people["later"].pk in consented_among(Person.objects.values("pk"), PROVIDER, on=later)


def test_a_queryset_of_ids_is_read_in_one_query(people, istanbul):
    for number in range(20):
        registry.consent_record(person=_person(istanbul, f"more{number}"), purpose=PROVIDER, legal_basis="consent",
                                by=None)  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        found = consented_among(Person.objects.filter(office=istanbul).values("pk"), PROVIDER)
    assert len(queries) == 1 and len(found) == 22


def test_consents_loaded_with_the_people_give_the_same_answers_without_a_query(people):
    """A page that loads the consents with the person (the person page) answers every check from them, by the same
    rules as the queries: each purpose, past, present and future days, the withdrawn list."""
    from django.db.models import prefetch_related_objects

    from liman.registry.consent import withdrawn

    today = timezone.localdate()
    days = [today - datetime.timedelta(days=25), today, today + datetime.timedelta(days=5)]
    purposes = [PROVIDER, ConsentPurpose.CONTACT, ConsentPurpose.RESEARCH]
    read = {
        (name, purpose, day): (consent_for(person, purpose, on=day), withdrawn(person, on=day),
                               withdrawn(person, purposes=[purpose], on=day))
        for name, person in people.items() for purpose in purposes for day in days
    }  # fmt: skip
    among = {
        (purpose, day): consented_among(list(people.values()), purpose, on=day) for purpose in purposes for day in days
    }
    loaded = list(Person.objects.filter(pk__in=[person.pk for person in people.values()]))
    prefetch_related_objects(loaded, "consents")
    by_name = {name: next(p for p in loaded if p.pk == person.pk) for name, person in people.items()}
    with CaptureQueriesContext(connection) as queries:
        for (name, purpose, day), expected in read.items():
            person = by_name[name]
            assert (consent_for(person, purpose, on=day), withdrawn(person, on=day),
                    withdrawn(person, purposes=[purpose], on=day)) == expected, (name, purpose, day)  # fmt: skip
        for (purpose, day), expected in among.items():
            assert consented_among(loaded, purpose, on=day) == expected, (purpose, day)
    assert len(queries) == 0
    assert any(found for found, _all, _one in read.values())
    assert any(stopped for _found, stopped, _one in read.values())
