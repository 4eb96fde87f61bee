"""200 concurrent issues of the same item from one location: the balance ends at the receipts minus the successful
issues and is never below zero.

    .venv/bin/python benchmarks/stock_concurrency.py [--issuers 200] [--quantity 5] [--stock 600] [--postgres URL]

Runs on the PostgreSQL database `--postgres` (or DATABASE_URL) names, which must be one you can throw away (the
script migrates it and adds rows), and which must allow a connection per issuer (`max_connections` of 300 for
200 issuers). Without either, it runs on a throwaway SQLite file in a temporary folder: there the issues queue on
the database's write lock (IMMEDIATE transactions, 20 s busy timeout) instead of on the balance row, and the same
invariants must hold.

Receives `--stock` units of blankets at a warehouse, then starts `--issuers` threads, each with its own database
connection (opened before the start), releases them together with a barrier, and has each issue `--quantity` units
through `services.stock_issue`, as a warehouse user; demand exceeds stock, so some are refused (`StockShort`). A
watcher on one more connection reads the balance row over and over while they run. Prints successes, refusals,
the final balance, receipts minus successful issues, the sum of the ledger, the lowest balance (in the ledger's
commit order, and as the watcher read it), the time per issue (p50, p95, from the release to the answer), and
two baselines measured in the same run on other warehouses of the same office:

1. the same issues through `services.stock_issue`, one after another on one connection: every issue locks the
   same balance row, so the issues cannot overlap and this is the floor the concurrent run can reach; what the
   concurrent run takes above it is the cost of the concurrency itself (200 connections waiting on one lock,
   waking up, the threads taking turns). The ratio of the two wall times is the figure.
2. the same number of bare `UPDATE … SET quantity = quantity - k WHERE … AND quantity >= k` statements at once,
   each on its own connection: the database's own floor for one row taken in turns, without the ledger entry,
   the audit event and the checks a real issue writes (the balance row is put back to the ledger afterwards).

Exits non-zero when any invariant fails: another error than a refusal, a success count other than what the
stock allows, a final balance other than receipts minus issues or the ledger's sum, a balance below zero, or a
balance row that differs from its ledger (`selectors.ledger_differences`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_CODE = "TUR-BENCH-1"


@dataclass
class Outcome:
    issued: bool
    started: float
    ended: float
    message: str = ""
    connection: object = None

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Run:
    outcomes: list[Outcome]
    errors: list[str]

    @property
    def issued(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.issued]

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.issued]

    @property
    def wall(self) -> float:
        """From the first release to the last answer (NaN when nobody answered: the invariants then fail)."""
        if not self.outcomes:
            return float("nan")
        return max(o.ended for o in self.outcomes) - min(o.started for o in self.outcomes)

    def percentile(self, fraction: float) -> float:
        times = sorted(o.seconds for o in self.outcomes) or [float("nan")]
        return times[min(len(times) - 1, round(fraction * (len(times) - 1)))]


def backend_connection_id() -> object:
    """What identifies this thread's database connection: the server process on PostgreSQL, the handle on SQLite."""
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
    return id(connection.connection)


def at_once(count: int, work) -> Run:
    """Run `work()` in `count` threads, each on its own connection (opened first), released together."""
    from django.db import connection

    barrier = threading.Barrier(count)
    outcomes: list[Outcome] = []
    errors: list[str] = []
    lock = threading.Lock()

    def thread() -> None:
        try:
            ident = backend_connection_id()
            barrier.wait(timeout=120)
            started = time.perf_counter()
            issued, message = work()
            outcome = Outcome(issued, started, time.perf_counter(), message, ident)
            with lock:
                outcomes.append(outcome)
        except Exception as exc:  # noqa: BLE001  (every other error fails the run: it is reported, not hidden)
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=thread) for _ in range(count)]
    for worker in threads:
        worker.start()
    for worker in threads:
        worker.join(timeout=300)
    return Run(outcomes, errors)


class Watcher(threading.Thread):
    """Reads one balance row over and over on its own connection until stopped; keeps the lowest value read."""

    def __init__(self, balance_id: int):
        super().__init__(daemon=True)
        self.balance_id = balance_id
        self.lowest: int | None = None
        self.reads = 0
        self.done = threading.Event()

    def run(self) -> None:
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                while not self.done.is_set():
                    cursor.execute("SELECT quantity FROM assistance_stockbalance WHERE id = %s", [self.balance_id])
                    value = cursor.fetchone()[0]
                    self.lowest = value if self.lowest is None else min(self.lowest, value)
                    self.reads += 1
                    time.sleep(0.001)  # a page refreshing often, not a second load on the server
        finally:
            connection.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issuers", type=int, default=200, help="concurrent issues (default 200)")
    parser.add_argument("--quantity", type=int, default=5, help="units each issue asks for (default 5)")
    parser.add_argument("--stock", type=int, default=600, help="units received before the issues (default 600)")
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL", ""), help="default: DATABASE_URL")
    args = parser.parse_args()
    if args.issuers * args.quantity <= args.stock:
        parser.error("the issues must ask for more than the stock holds (issuers × quantity > stock)")

    folder = Path(tempfile.mkdtemp(prefix="liman-bench-stock-concurrency-"))
    os.environ["LIMAN_VAR_DIR"] = str(folder)
    os.environ["DATABASE_URL"] = args.postgres or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "liman.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from liman.assistance import selectors, services
    from liman.assistance.models import Item, LedgerEntry, StockBalance, StockLocation
    from liman.core.choices import OfficeType, Role
    from liman.core.models import AdminArea, Office, RoleGrant, User

    backend = connection.vendor
    if backend == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), current_setting('max_connections')::int")
            version, max_connections = cursor.fetchone()
        # The issuers, the watcher, this thread; superuser_reserved_connections (3) are not ours to take.
        if max_connections - 3 < args.issuers + 2:
            sys.exit(
                f"PostgreSQL allows {max_connections} connections; {args.issuers} issuers need {args.issuers + 5}: "
                f"start the server with -c max_connections={args.issuers + 100}."
            )
        backend = f"postgresql {version}"
    print(f"database: {backend}; {args.issuers} issuers × {args.quantity} units, {args.stock} units received")
    call_command("migrate", verbosity=0)

    office = Office.objects.create(
        code="EDR",
        name="Edirne Mobile Team Base",
        type=OfficeType.MOBILE,
        province=AdminArea.objects.get(pcode="TUR022"),
    )
    keeper = User.objects.create(username="warehouse.bench")
    RoleGrant.objects.create(user=keeper, role=Role.WAREHOUSE, office=office)
    blankets = Item.objects.get(code="BLANKET")

    def stocked(name: str) -> tuple[StockLocation, int]:
        """A warehouse holding `--stock` blankets, and the id of its balance row."""
        location = services.location_create(office=office, name=name, by=keeper)
        services.stock_receive(
            location=location, item=blankets, quantity=args.stock, project_code=PROJECT_CODE, by=keeper
        )
        return location, StockBalance.objects.get(location=location, item=blankets).pk

    def issue(location: StockLocation) -> tuple[bool, str]:
        try:
            services.stock_issue(
                location=location,
                item=blankets,
                quantity=args.quantity,
                purpose="Bench interception",
                by=keeper,
            )
        except services.StockShort as refused:
            return False, refused.messages[0]
        return True, ""

    # Warm the caches (content types, the role check) once, as a server that has answered before would.
    issue(stocked("Warm-up warehouse")[0])

    # The figure: every issuer at once on the same balance row, watched.
    warehouse, balance_id = stocked("Edirne warehouse")
    watcher = Watcher(balance_id)
    watcher.start()
    concurrent = at_once(args.issuers, lambda: issue(warehouse))
    watcher.done.set()
    watcher.join()

    # Baseline 1: the same issues one after another, on this thread's one connection, watched the same way.
    sequential_warehouse, sequential_balance_id = stocked("Edirne warehouse, one after another")
    sequential_watcher = Watcher(sequential_balance_id)
    sequential_watcher.start()
    outcomes = []
    for _ in range(args.issuers):
        started = time.perf_counter()
        issued, message = issue(sequential_warehouse)
        outcomes.append(Outcome(issued, started, time.perf_counter(), message))
    sequential = Run(outcomes, [])
    sequential_watcher.done.set()
    sequential_watcher.join()

    # Baseline 2: bare conditional UPDATEs of one row, at once, each on its own connection (autocommit).
    _bare_warehouse, bare_balance_id = stocked("Edirne warehouse, bare updates")

    def bare_update() -> tuple[bool, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assistance_stockbalance SET quantity = quantity - %s WHERE id = %s AND quantity >= %s",
                [args.quantity, bare_balance_id, args.quantity],
            )
            return cursor.rowcount == 1, ""

    bare = at_once(args.issuers, bare_update)
    bare_final = StockBalance.objects.get(pk=bare_balance_id).quantity
    StockBalance.objects.filter(pk=bare_balance_id).update(quantity=args.stock)  # back to its ledger

    # What the concurrent run left.
    final = StockBalance.objects.get(pk=balance_id).quantity
    ledger = list(
        LedgerEntry.objects.filter(location=warehouse, item=blankets).order_by("id").values_list("kind", "quantity")
    )
    receipts = sum(quantity for kind, quantity in ledger if kind == "receipt")
    issued_units = -sum(quantity for kind, quantity in ledger if kind == "issue")
    running, lowest_in_ledger = 0, 0
    for _kind, quantity in ledger:  # ids are taken under the row lock: their order is the commit order
        running += quantity
        lowest_in_ledger = min(lowest_in_ledger, running)
    expected_successes = args.stock // args.quantity
    left = args.stock - expected_successes * args.quantity
    short_message = f"Only {left} × Blanket left at Edirne warehouse; {args.quantity} asked for."
    successes, refusals = len(concurrent.issued), len(concurrent.refused)
    differences = selectors.ledger_differences()

    print(f"\n{args.issuers} concurrent issues through services.stock_issue (same item, same location):")
    connections_used = len({o.connection for o in concurrent.outcomes})
    print(f"  connections: {connections_used} distinct, released together by a barrier")
    print(f"  successes: {successes}; refusals (StockShort): {refusals}; other errors: {len(concurrent.errors)}")
    print(f"  final balance: {final}")
    issued_by_count = successes * args.quantity
    print(f"  receipts − successful issues: {receipts} − {issued_by_count} = {receipts - issued_by_count}")
    print(f"  sum of the ledger: {running} ({len(ledger)} entries; {issued_units} units issued)")
    print(
        f"  lowest balance: {lowest_in_ledger} in the ledger's commit order; {watcher.lowest} read by the watcher "
        f"({watcher.reads:,} reads while the issues ran)"
    )
    print(
        f"  time per issue (release to answer): p50 {ms(concurrent.percentile(0.5))}, "
        f"p95 {ms(concurrent.percentile(0.95))}; all {args.issuers} in {ms(concurrent.wall)} "
        f"({args.issuers / concurrent.wall:,.0f} issues/s)"
    )
    print(f"  a refusal says: {concurrent.refused[0].message if concurrent.refused else '—'}")
    print(f"\nbaseline 1, the same {args.issuers} issues one after another on one connection:")
    print(
        f"  successes: {len(sequential.issued)}; refusals: {len(sequential.refused)}; time per issue: "
        f"p50 {ms(sequential.percentile(0.5))}, p95 {ms(sequential.percentile(0.95))}; all in {ms(sequential.wall)}"
    )
    print(f"  lowest balance read by its watcher: {sequential_watcher.lowest} ({sequential_watcher.reads:,} reads)")
    print(f"baseline 2, {args.issuers} bare UPDATE … WHERE quantity >= {args.quantity} at once, a connection each:")
    print(
        f"  successes: {len(bare.issued)}; refused: {len(bare.refused)}; errors: {len(bare.errors)}; "
        f"final {bare_final}; p50 {ms(bare.percentile(0.5))}, p95 {ms(bare.percentile(0.95))}; all in {ms(bare.wall)}"
    )
    print(f"\nratio to baseline 1 (wall time of all {args.issuers}, concurrent / one after another): "
          f"{concurrent.wall / sequential.wall:.2f}")  # fmt: skip
    print(f"ratio to baseline 2 (wall time, concurrent issues / bare updates): {concurrent.wall / bare.wall:.1f}")

    checks = {
        "every issuer answered, with an issue or a refusal": successes + refusals == args.issuers
        and not concurrent.errors,
        f"one connection per issuer ({args.issuers})": connections_used == args.issuers,
        f"successes are what the stock allows ({expected_successes})": successes == expected_successes,
        "final balance = receipts − successful issues": final == receipts - issued_by_count,
        "final balance = sum of the ledger": final == running,
        "the ledger holds the successful issues, no more": issued_units == issued_by_count,
        "the balance never went below zero": lowest_in_ledger >= 0
        and watcher.lowest is not None
        and watcher.lowest >= 0
        and sequential_watcher.lowest is not None
        and sequential_watcher.lowest >= 0,
        "every refusal names the balance left": all(o.message == short_message for o in concurrent.refused),
        "baselines reach the same successes": len(sequential.issued) == expected_successes == len(bare.issued)
        and not bare.errors,
        "every balance row equals its ledger (liman stock check)": not differences,
    }
    print("\ninvariants:")
    for name, held in checks.items():
        print(f"  {'ok    ' if held else 'FAILED'} {name}")
    for error in concurrent.errors[:5] + bare.errors[:5]:
        print(f"  error: {error}")
    for difference in differences[:5]:
        print(f"  difference: {difference}")
    if not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
