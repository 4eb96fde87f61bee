"""A read of many records at once is audited by each record's own tier, whatever mix of models the list holds and
however their primary keys happen to fall (the same number in two tables, or none shared)."""

import pytest

from liman.core import audit
from liman.core.access import record_tier
from liman.core.choices import AuditAction
from liman.core.models import AuditEvent
from tests.factories import _cases_world, secret, staff

pytestmark = pytest.mark.django_db


def _returned(event) -> set[str]:
    return set(event.changes["returned"]) if event is not None else set()


@pytest.mark.parametrize("normal_before", [0, 1, 7, 40])
def test_a_mixed_read_audits_exactly_the_records_above_the_normal_tier(istanbul, normal_before):
    """The normal secrets created first move the keys of one table against the others', so that a record's key
    meets another model's key in some runs and in none in others: the audit must not depend on it."""
    reader = staff("supervisor", istanbul, username="mixed-reader")
    normal = [secret(istanbul, title=f"plain {n}") for n in range(normal_before)]
    records = [*_cases_world(istanbul, "Mixed"), *normal, secret(istanbul, title="guarded", sensitivity="protection")]
    expected = {str(getattr(r, "reference", "") or r.pk) for r in records if record_tier(r) != "normal"}
    assert expected, "the mixed list must hold sensitive records for the test to mean anything"

    before = AuditEvent.objects.count()
    event = audit.record_read(reader, records, reason="a page that lists several kinds of records")

    assert AuditEvent.objects.count() == before + 1
    assert event.action == AuditAction.VIEW
    assert _returned(event) == expected
    assert event.sensitivity == "protection"


def test_a_read_of_normal_records_only_is_not_an_event(istanbul):
    reader = staff("supervisor", istanbul, username="plain-reader")
    assert audit.record_read(reader, [secret(istanbul, title=f"plain {n}") for n in range(3)], reason="list") is None
