"""Stock never goes below zero under concurrent issues: real transactions, one database connection per thread.

On PostgreSQL the balance row is locked (`SELECT … FOR UPDATE`) and the second issuer waits for the first to
commit, then finds what is left; on SQLite the IMMEDIATE transaction takes the write lock at BEGIN. Either way
one issue of the last units succeeds and the other is refused with the balance.

SQLite's test database lives in memory with a shared cache, where a second writer fails at once ("database table
is locked") instead of waiting as it does on the file database Liman runs on: these tests copy it to a file first.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from liman.assistance import selectors, services
from liman.assistance.models import Item, StockBalance
from liman.core.choices import OfficeType
from tests.factories import OfficeFactory

# Serialized rollback: the migrations' rows (provinces, the catalogue) are back even after another test's flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def file_database(transactional_db, tmp_path):
    """On SQLite, run the test on a file copy of the in-memory test database (as production runs, on a file)."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    in_memory = connections["default"]
    in_memory.ensure_connection()
    path = tmp_path / "concurrency.sqlite3"
    copy = sqlite3.connect(path)
    in_memory.connection.backup(copy)
    copy.close()
    settings_dict = connections.settings["default"]
    name = settings_dict["NAME"]
    # Every connection opened from now on (this thread's, each worker thread's) opens the file.
    settings_dict["NAME"] = str(path)
    connections["default"] = connections.create_connection("default")
    try:
        yield
    finally:
        connections["default"].close()
        settings_dict["NAME"] = name
        connections["default"] = in_memory


@pytest.fixture
def line(file_database):
    office = OfficeFactory(code="EDR", name="Edirne Mobile Team Base", type=OfficeType.MOBILE)
    location = services.location_create(
        office=office, name="Edirne van 1", kind="vehicle", vehicle_plate="22 LM 101", by=None
    )
    warehouse = services.location_create(office=office, name="Edirne warehouse", by=None)
    item = Item.objects.get(code="BLANKET")
    return office, warehouse, location, item


def load(warehouse, van, item, quantity: int) -> None:
    services.stock_receive(location=warehouse, item=item, quantity=quantity, project_code="TUR-ECHO-1", by=None)
    transfer = services.transfer_dispatch(
        from_location=warehouse, to_location=van, item=item, quantity=quantity, by=None
    )
    services.transfer_receive(transfer=transfer, by=None)


def issue_at_once(location, item, quantities: list[int]) -> tuple[list[int], list[str]]:
    """Start one thread per issue, release them together; returns (issued quantities, refusal messages)."""
    barrier = threading.Barrier(len(quantities))
    issued, refused, errors = [], [], []
    lock = threading.Lock()

    def issue(quantity: int) -> None:
        try:
            barrier.wait()
            services.stock_issue(location=location, item=item, quantity=quantity, purpose="Interception", by=None)
            with lock:
                issued.append(quantity)
        except ValidationError as exc:
            with lock:
                refused.extend(exc.messages)
        except Exception as exc:  # noqa: BLE001  (reported below: the test must fail on any other error)
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(quantity,)) for quantity in quantities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return issued, refused


def test_two_issues_of_the_last_units_at_once_one_succeeds_one_is_refused(line):
    _office, warehouse, van, item = line
    load(warehouse, van, item, 3)

    issued, refused = issue_at_once(van, item, [3, 3])

    assert issued == [3]
    assert refused == ["Only 0 × Blanket left at Edirne van 1; 3 asked for."]
    assert StockBalance.objects.get(location=van, item=item).quantity == 0


def test_fifty_concurrent_issues_leave_receipts_minus_successful_issues(line):
    _office, warehouse, van, item = line
    load(warehouse, van, item, 100)

    issued, refused = issue_at_once(van, item, [1, 2, 3, 4, 5] * 10)

    final = StockBalance.objects.get(location=van, item=item).quantity
    assert final == 100 - sum(issued) >= 0
    assert len(issued) + len(refused) == 50 and refused, "150 asked of 100: some must be refused"
    assert all(message.startswith("Only ") for message in refused)
    assert selectors.ledger_differences() == []
