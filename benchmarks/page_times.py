"""Every page as each demo role: server time with the demo data, the slowest ten, against a goal of 300 ms.

    .venv/bin/python benchmarks/page_times.py [--seeded DIR] [--runs 3] [--office IST] [--csv FILE]

The pages: for each demo role of the office (Istanbul: viewer.ist, caseworker.ist, supervisor.ist, …), every entry
of every menu the role is shown (the main bar and the apps' tabs), the home page, and for each of those list pages
the first record it links to (a detail page below the list's own address, such as /cases/IST-C-…/). Each page is
asked once to warm up, then `--runs` times; the figure is the median, in milliseconds, of the time the request
spends in Django (Django's test client: every middleware, the view, the templates, the session; no socket), with
the number of database queries one request makes. A page answering other than 200 is listed with its status.

The baseline, measured in the same run: the bare login page (no database query but the session's), asked as often;
each page's ratio to it is printed beside it.

Runs on a copy of a seeded demo data directory (`--seeded DIR`, made with `LIMAN_VAR_DIR=DIR liman migrate &&
LIMAN_VAR_DIR=DIR liman seed`); without it the script migrates and seeds a new one first (about two minutes). The
copy is thrown away; the second factor asked of administrators is switched off in this process only.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LIMAN = ROOT / ".venv" / "bin" / "liman"
GOAL_MS = 300.0
SLOWEST = 10
LINK = re.compile(r'href="(/[^"?#]*)"')


@dataclass
class Timed:
    role: str
    path: str
    status: int
    ms: float
    queries: int


def seeded_copy(seeded: str | None, work: Path) -> Path:
    target = work / "var"
    if seeded:
        shutil.copytree(seeded, target, ignore=shutil.ignore_patterns("static", "*.log"))
        env = {**os.environ, "LIMAN_VAR_DIR": str(target)}
        subprocess.run([str(LIMAN), "migrate", "--no-input"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        return target
    env = {**os.environ, "LIMAN_VAR_DIR": str(target)}
    print("Seeding the demo data set (about two minutes)…", flush=True)
    subprocess.run([str(LIMAN), "migrate", "--no-input"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    subprocess.run([str(LIMAN), "seed", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return target


def timed(client, path: str, runs: int) -> tuple[int, float, int]:
    """(status, median ms over `runs` after one warm-up, queries of one request)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)
    if response.status_code != 200:
        return response.status_code, 0.0, 0
    reset_queries()  # the log keeps 9,000 queries at most: once full, a capture would find none
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return 200, statistics.median(times), len(queries.captured_queries)


def first_record_link(client, list_path: str) -> str | None:
    """The first link of the list page's content to an address below it (a record of the list)."""
    html = client.get(list_path).content.decode(errors="replace")
    main = html.split('<main id="main">', 1)[-1].split("</main>", 1)[0]
    for link in LINK.findall(main):
        if link.startswith(list_path) and link != list_path and link.count("/") == list_path.count("/") + 1:
            if not link.endswith((".pdf", ".xlsx", ".csv", ".json", ".geojson", ".png", ".zip")):
                return link
    return None


def pages_for(client, user) -> list[str]:
    from liman.core import navigation

    menus = sorted({item.menu for item in navigation.NAV_ITEMS})
    lists = []
    for menu in menus:
        for entry in navigation.items_for(user, "/", menu):
            if entry["url"] not in lists:
                lists.append(entry["url"])
    if "/" not in lists:
        lists.insert(0, "/")
    pages = list(lists)
    for path in lists:
        if path == "/":
            continue
        record = first_record_link(client, path)
        if record and record not in pages:
            pages.append(record)
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeded", help="a seeded demo data directory to copy")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--office", default="IST")
    parser.add_argument("--csv", help="also write every measurement to this CSV file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="liman-page-times-") as folder:
        var = seeded_copy(args.seeded, Path(folder))
        os.environ["LIMAN_VAR_DIR"] = str(var)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liman.settings")
        os.environ["LIMAN_SECOND_FACTOR_ROLES"] = ""
        import django

        django.setup()
        from django.conf import settings
        from django.test import Client

        from liman.core import demo
        from liman.core.choices import Role
        from liman.core.models import User

        settings.LIMAN_SECOND_FACTOR_ROLES = []
        results: list[Timed] = []
        anonymous = Client()
        _status, baseline, _queries = timed(anonymous, "/login/", args.runs * 3)
        for role in Role.values:
            username = demo.demo_username(role, args.office)
            user = User.objects.filter(username=username).first()
            if user is None:
                print(f"  (no demo user {username})")
                continue
            client = Client()
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            for path in pages_for(client, user):
                status, ms, queries = timed(client, path, args.runs)
                results.append(Timed(username, path, status, ms, queries))
            print(f"  {username}: {sum(1 for r in results if r.role == username)} pages", flush=True)

    answered = [result for result in results if result.status == 200]
    failed = [result for result in results if result.status != 200]
    print()
    print(f"baseline: the login page, {baseline:.1f} ms")
    print(f"{'role':<26} {'page':<52} {'ms':>8} {'× login':>8} {'queries':>8}")
    for result in sorted(results, key=lambda r: (r.role, r.path)):
        shown = (
            f"{result.ms:8.1f} {result.ms / baseline:8.1f}"
            if result.status == 200
            else f"{'HTTP ' + str(result.status):>17}"
        )
        print(f"{result.role:<26} {result.path[:52]:<52} {shown} {result.queries:>8}")
    print()
    print(f"The slowest {SLOWEST} (goal: {GOAL_MS:.0f} ms of server time):")
    print(f"{'ms':>8} {'× login':>8} {'queries':>8}  role / page")
    for result in sorted(answered, key=lambda r: -r.ms)[:SLOWEST]:
        print(f"{result.ms:8.1f} {result.ms / baseline:8.1f} {result.queries:>8}  {result.role} {result.path}")
    over = [result for result in answered if result.ms > GOAL_MS]
    print()
    print(
        f"{len(answered)} pages answered, median {statistics.median(r.ms for r in answered):.1f} ms; "
        f"{len(over)} over {GOAL_MS:.0f} ms; {len(failed)} answered other than 200"
    )
    for result in failed:
        print(f"  HTTP {result.status}: {result.role} {result.path}")
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["role", "page", "status", "ms", "ratio_to_login", "queries"])
            for result in results:
                writer.writerow(
                    [result.role, result.path, result.status, f"{result.ms:.1f}", f"{result.ms / baseline:.2f}",
                     result.queries]
                )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
