"""The staff directory and the audit log as lists (core.lists): sort by a column, filters in the URL; the audit
log's usual order reads the number's index (the table is the largest there is), never a sort of every row."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from liman.core import audit, lists_core, selectors
from liman.core.choices import AuditAction, Role
from liman.core.lists import Listing
from tests.factories import UserFactory, grant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_no_second_factor")]


@pytest.fixture
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def admin_ist(istanbul):
    user = UserFactory(username="admin.ist", first_name="Ada", last_name="Yilmaz")
    grant(user, Role.ADMINISTRATOR, istanbul)
    return user


def _rows(response) -> list:
    return list(response.context["page"])


def test_the_staff_list_sorts_and_filters_by_office_role_and_name(client, admin_ist, istanbul, izmir):
    zeki = UserFactory(username="zeki", first_name="Zeki", last_name="Arslan")
    grant(zeki, Role.CASEWORKER, istanbul)
    emre = UserFactory(username="emre", first_name="Emre", last_name="Kaya")
    grant(emre, Role.SUPERVISOR, istanbul)
    gone = UserFactory(username="gone", first_name="Gone", last_name="Away", is_active=False)
    grant(gone, Role.CASEWORKER, istanbul)
    client.force_login(admin_ist)
    url = reverse("core:staff-list")

    assert [row.username for row in _rows(client.get(url))] == ["admin.ist", "emre", "zeki"]
    assert [row.username for row in _rows(client.get(url, {"sort": "name"}))] == ["zeki", "emre", "admin.ist"]
    assert [row.username for row in _rows(client.get(url, {"role": "caseworker"}))] == ["zeki"]
    assert [row.username for row in _rows(client.get(url, {"role": "caseworker", "inactive": "1"}))] == [
        "gone",
        "zeki",
    ]
    assert [row.username for row in _rows(client.get(url, {"q": "kay", "office": "IST"}))] == ["emre"]
    page = client.get(url, {"sort": "-username", "role": "supervisor"})
    body = page.content.decode()
    assert 'aria-sort="descending"' in body and "role=supervisor" in body
    refused = client.get(url, {"role": "emperor"})
    assert refused.status_code == 200 and "“emperor” is not a choice of role" in refused.content.decode()


def test_the_audit_list_filters_sorts_and_keeps_its_old_parameters(
    client, admin_ist, istanbul, django_assert_max_num_queries
):
    for number in range(5):
        audit.record(
            AuditAction.UPDATE, actor=admin_ist, office=istanbul, object_type="cases.case", object_repr=f"C-{number}"
        )
    audit.record(AuditAction.DELETE, actor=admin_ist, office=istanbul, object_type="registry.person", object_repr="P-1")
    client.force_login(admin_ist)
    url = reverse("core:audit-list")

    newest_first = _rows(client.get(url))
    assert len(newest_first) >= 6
    assert [event.seq for event in newest_first] == sorted((event.seq for event in newest_first), reverse=True)
    # The home page's link and the old form's parameters: action, actor, object_type.
    deleted = _rows(client.get(url, {"action": "delete", "actor": "admin", "object_type": "registry.person"}))
    assert [event.object_repr for event in deleted] == ["P-1"]
    oldest = _rows(client.get(url, {"sort": "seq", "object_type": "cases.case"}))
    assert [event.object_repr for event in oldest] == [f"C-{number}" for number in range(5)]
    body = client.get(url, {"sort": "-at"}).content.decode()
    assert 'aria-sort="descending"' in body
    refused = client.get(url, {"action": "shred", "sort": "hash"})
    assert refused.status_code == 200
    assert "is not a choice of action" in refused.content.decode()
    assert "cannot be sorted by “hash”" in refused.content.decode()
    for number in range(30):
        audit.record(
            AuditAction.UPDATE, actor=admin_ist, office=istanbul, object_type="cases.case", object_repr=f"D-{number}"
        )
    with django_assert_max_num_queries(16):
        page = client.get(url, {"sort": "action"})
    assert page.status_code == 200 and len(_rows(page)) >= 36


def test_the_audit_logs_usual_order_reads_the_index():
    """An administrator of every office reads the log in the number's unique index order: no sort of the table.
    (An office's administrator reads it through the office filter; the planner picks the office's index when the
    office holds few events, the number's when it holds many.)"""
    everywhere = UserFactory(username="admin.all")
    grant(everywhere, Role.ADMINISTRATOR, None)
    request = RequestFactory().get("/audit/")
    request.user = everywhere
    listing = Listing.read(request, lists_core.AUDIT)
    rows = listing.ordered(selectors.audit_events_for(everywhere))[:50]
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA index_list(core_auditevent)")
            indexes = [row[1] for row in cursor.fetchall()]
            on_seq = []
            for name in indexes:
                cursor.execute(f"PRAGMA index_info({name})")
                if [row[2] for row in cursor.fetchall()] == ["seq"]:
                    on_seq.append(name)
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
            # The number's unique index gives the order; nothing sorts the table.
            assert on_seq and f"SCAN core_auditevent USING INDEX {on_seq[0]}" in plan, plan
            assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
        else:
            # The test table is small, and its statistics depend on the tests run before: make reading every row
            # and sorting them as dear as on a real log, so the plan shows whether an index gives the order.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            lines = [row[0] for row in cursor.fetchall()]
            plan = " / ".join(lines)
            assert "Index Scan Backward using core_auditevent_seq" in plan, plan
            # At most an incremental sort of the tie-break within one number, never a sort of every row.
            assert not [line for line in lines if re.match(r"\s*(->\s*)?Sort\s+\(", line)], plan
