"""Stock balance by location × item × lot over 5,000,000 ledger rows, and the check that balances equal the ledger.

    .venv/bin/python benchmarks/stock_balance.py [--rows 5000000] [--postgres URL]

Migrates a throwaway database (SQLite in a temporary folder, or the PostgreSQL database `--postgres` names),
creates 40 stock locations in 8 offices and loads N generated ledger rows with SQL, around the services, as a bulk
load would; the balance rows are then written from the generated movements (what the services keep with every
entry). Then it times, for a programme officer who sees every office:

- the stock balance by location × item × lot as the pages and the API read it (`selectors.balances_for`, which
  reads the balance rows the services keep);
- the baseline, measured in the same run: a plain `SUM(quantity) GROUP BY location, item, lot` over the ledger;
- `liman stock check`'s recomputation (`selectors.ledger_differences`), which must find no difference.

Prints each median time, the ratio to the baseline, and whether the goal (≤ 300 ms) is met.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 0.3
OFFICES = ["ANK", "IST", "IZM", "EDR", "GAZ", "HTY", "SUR", "VAN"]
LOTS_PER_ITEM = 6


def _median(run, times: int = 5) -> tuple[float, object]:
    run()  # warm the caches, as a page opened a second time would be
    timings, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="ledger rows to load (default 5,000,000)")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL to run on instead of SQLite")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="liman-bench-stock-"))
    os.environ["LIMAN_VAR_DIR"] = str(folder)
    os.environ["DATABASE_URL"] = args.postgres or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "liman.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from liman.assistance import selectors
    from liman.assistance.models import Item, StockBalance, StockLocation, StockLot
    from liman.core.models import AdminArea, Office, RoleGrant, User

    backend = connection.vendor
    print(f"database: {backend}; rows: {args.rows:,}")
    call_command("migrate", verbosity=0)
    province = AdminArea.objects.get(pcode="TUR006")
    locations = []
    for code in OFFICES:
        office = Office.objects.create(code=code, name=f"Bench {code}", type="field", province=province)
        locations.append(StockLocation.objects.create(office=office, name=f"{code} warehouse"))
        for number in range(1, 5):
            locations.append(
                StockLocation.objects.create(
                    office=office, name=f"{code} van {number}", kind="vehicle", vehicle_plate=f"{number} BN {code}"
                )
            )
    lines = []  # (office, location, item, lot)
    for item in Item.objects.all():
        lots = [None]
        if item.tracks_lots:
            lots = [
                StockLot.objects.create(item=item, code=f"{item.code}-{n}", expires_on=timezone.localdate())
                for n in range(LOTS_PER_ITEM)
            ]
        for location in locations:
            for lot in lots:
                lines.append((location.office_id, location.pk, item.pk, lot.pk if lot else None))
    print(f"lines (location × item × lot): {len(lines):,}")

    rng = random.Random(args.seed)
    now = timezone.now()
    totals: dict[tuple, int] = {}
    sql = (
        "INSERT INTO assistance_ledgerentry (office_id, location_id, item_id, lot_id, kind, quantity, at, reference, "
        "reason, purpose, issued_for_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', %s, '')"
    )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        batch = []
        for number in range(args.rows):
            office, location, item, lot = line = (
                lines[number % len(lines)] if number < len(lines) else rng.choice(lines)
            )
            balance = totals.get(line, 0)
            # Stock never goes below zero in the ledger either: an issue takes at most what the line holds.
            if balance > 0 and rng.random() < 0.6:
                quantity = -rng.randint(1, min(balance, 40))
                row = (office, location, item, lot, "issue", quantity, now, "", "Bench distribution")
            else:
                quantity = rng.randint(20, 120)
                row = (office, location, item, lot, "receipt", quantity, now, "TUR-BENCH-1", "")
            totals[line] = balance + quantity
            batch.append(row)
            if len(batch) == 50_000:
                cursor.executemany(sql, batch)
                batch.clear()
        cursor.executemany(sql, batch)
    StockBalance.objects.bulk_create(
        [
            StockBalance(office_id=o, location_id=loc, item_id=i, lot_id=lot, quantity=q)
            for (o, loc, i, lot), q in totals.items()
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE")
    print(f"loaded in {time.perf_counter() - started:.1f} s")

    user = User.objects.create(username="programme-officer.bench")
    RoleGrant.objects.create(user=user, role="programme_officer", office=None)

    def balances():
        return [(b.location_id, b.item_id, b.lot_id, b.quantity) for b in selectors.balances_for(user)]

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT location_id, item_id, lot_id, SUM(quantity) FROM assistance_ledgerentry "
                "GROUP BY location_id, item_id, lot_id"
            )
            return cursor.fetchall()

    balance_time, rows = _median(balances)
    baseline_time, sums = _median(baseline)
    check_time, differences = _median(selectors.ledger_differences, times=3)
    recomputed = {(loc, item, lot): total for loc, item, lot, total in sums}
    equal = not differences and recomputed == {(loc, item, lot): q for loc, item, lot, q in rows}

    print(f"stock balance by location × item × lot ({len(rows):,} lines): {balance_time * 1000:.1f} ms")
    print(f"baseline SUM … GROUP BY over the ledger:                   {baseline_time * 1000:.1f} ms")
    print(f"ratio to baseline: {balance_time / baseline_time:.4f}")
    print(f"liman stock check recomputation: {check_time * 1000:.1f} ms; balances equal the ledger: {equal}")
    print(f"goal ≤ {GOAL_SECONDS * 1000:.0f} ms: {'met' if balance_time <= GOAL_SECONDS else 'NOT met'}")
    if not equal:
        sys.exit(1)


if __name__ == "__main__":
    main()
