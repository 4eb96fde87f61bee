"""Sustained OpenRosa submissions per second: ODK Collect's POSTs to Liman served by gunicorn on PostgreSQL.

    .venv/bin/python benchmarks/openrosa_ingest.py [--submissions 3000] [--clients 8] [--auth digest|basic]
                                                   [--postgres URL]

Publishes the demo flow-count form for an office and creates a field user, serves the app with gunicorn on
loopback, then has `--clients` phones post instance XML as Collect does (multipart, HTTP Digest with the
nonce reused and the count increased, as Collect does over plain HTTP, or `--auth basic`, as it does over
HTTPS; a photo with one in ten, one in ten sent twice). Each submission becomes flow counts and their
monthly rollup. Prints sustained
submissions per second, checks that every distinct instance was stored exactly once and became its counts,
and compares with the same clients calling `/health` (one query per request) in the same run. Goal: at
least 100 submissions a second with no lost or doubled submission. Without `--postgres`, a throwaway
PostgreSQL cluster on port 55442 is started and stopped afterwards.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from dtm_aggregate import throwaway_postgres  # noqa: E402

GOAL_PER_SECOND = 100
USERNAME, PASSWORD = "enumerator.bench", "bench-password-2026"
POINTS = ["EDR-PAZARKULE", "EDR-KAPIKULE", "EDR-IPSALA", "EDR-BUS"]
NATIONALITIES = ["AFG", "SYR", "IRQ", "PAK", "IRN", "SOM"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup(database_url: str, var_dir: Path) -> str:
    """Migrate, then publish the flow-count form for EDR and create the field user; returns the form version."""
    os.environ.update(DATABASE_URL=database_url, LIMAN_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="liman.settings")
    import django

    django.setup()
    import datetime

    from django.core.management import call_command

    from liman.core.models import AdminArea, Office
    from liman.dtm import services
    from liman.dtm.targets import suggest_mapping

    call_command("migrate", verbosity=0)
    office = Office.objects.create(
        code="EDR", name="Edirne", type="mobile", province=AdminArea.objects.get(pcode="TUR022")
    )
    operation = services.operation_create(
        office=office, code="BENCH", name="Bench", kind="flow", started_on=datetime.date(2023, 1, 1), by=None
    )
    for code in POINTS:
        services.flow_point_create(
            office=office, code=code, name=code, type="border_crossing", operation=operation,
            district=AdminArea.objects.get(pcode="TUR022001"), by=None,
        )  # fmt: skip
    path = ROOT / "liman" / "dtm" / "data" / "forms" / "dtm_flow_count.xlsx"
    version = services.form_upload(office=office, content=path.read_bytes(), file_name=path.name, by=None)
    services.form_bind(
        form=version.form, target="flow_count", mapping=suggest_mapping("flow_count", version.fields),
        operation=operation, by=None,
    )  # fmt: skip
    services.field_user_create(office=office, username=USERNAME, password=PASSWORD, by=None)
    from django.db import connections

    connections.close_all()
    return version.version


def instance_xml(version: str, rng: random.Random) -> bytes:
    rows = "".join(
        f"<row><nationality>{rng.choice(NATIONALITIES)}</nationality><sex>{sex}</sex><age_group>{age}</age_group>"
        f"<individuals>{rng.randint(1, 40)}</individuals></row>"
        for sex, age in rng.sample([(s, a) for s in "FM" for a in ("0_4", "5_17", "18_59", "60")], k=rng.randint(3, 8))
    )
    day = random_day(rng)
    return (
        "<?xml version='1.0' ?><data xmlns:jr=\"http://openrosa.org/javarosa\" "
        f'xmlns:orx="http://openrosa.org/xforms" id="dtm_flow_count" version="{version}">'
        f"<start>{day}T08:01:00.000+03:00</start><end>{day}T08:09:12.000+03:00</end><today>{day}</today>"
        f"<deviceid>collect:bench{rng.randint(1, 99)}</deviceid><username>{USERNAME}</username>"
        f"<point>{rng.choice(POINTS)}</point><counted_on>{day}</counted_on><direction>outgoing</direction>{rows}"
        f"<meta><instanceID>uuid:{uuid.UUID(int=rng.getrandbits(128))}</instanceID></meta></data>"
    ).encode()


def random_day(rng: random.Random) -> str:
    return f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def multipart(xml: bytes, photo: bytes | None) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="instance.xml"\r\n'
        "Content-Type: text/xml\r\n\r\n".encode()
        + xml
        + b"\r\n"
    ]
    if photo is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="1700000000000.jpg"; filename="1700000000000.jpg"'
            "\r\nContent-Type: image/jpeg\r\n\r\n".encode()
            + photo
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Phone:
    """One phone: a keep-alive connection and Collect's cached Digest challenge (nonce reused, count increased),
    or its Basic credentials sent with every request."""

    auth = "digest"

    def __init__(self, port: int):
        from liman.dtm.openrosa import digest_authorization

        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.authorize = digest_authorization
        self.nonce, self.count = "", 0
        self.basic = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        for _attempt in range(3):
            headers = {"X-OpenRosa-Version": "1.0", **(headers or {})}
            if self.auth == "basic":
                headers["Authorization"] = self.basic
            elif self.nonce:
                self.count += 1
                headers["Authorization"] = self.authorize(
                    username=USERNAME, password=PASSWORD, realm="Liman", nonce=self.nonce, method=method, uri=path,
                    nc=self.count,
                )  # fmt: skip
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            if response.status == 401:
                self.nonce = re.search(r'nonce="([^"]+)"', response.getheader("WWW-Authenticate")).group(1)
                self.count = 0
                continue
            return response.status, content
        raise RuntimeError(f"{method} {path}: no answer after three attempts")


def hammer(port: int, clients: int, work: list, send) -> tuple[float, list]:
    """Share `work` among `clients` threads, each a Phone calling `send(phone, item)`; returns seconds, results."""
    results, lock, queue = [], threading.Lock(), list(reversed(work))

    def run():
        phone = Phone(port)
        phone.request("HEAD", "/openrosa/submission")  # Collect asks first, and gets its challenge
        while True:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            outcome = send(phone, item)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--auth", choices=["digest", "basic"], default="digest", help="how the phones sign in")
    parser.add_argument("--postgres", help="postgres://… of an empty database (default: a throwaway cluster)")
    args = parser.parse_args()
    Phone.auth = args.auth

    var_dir = Path(tempfile.mkdtemp(prefix="liman-bench-ingest-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, var_dir, True)
        url = args.postgres or stack.enter_context(throwaway_postgres())
        version = setup(url, var_dir)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "LIMAN_VAR_DIR": str(var_dir), "LIMAN_DEBUG": "0",
               "LIMAN_DB_CONN_MAX_AGE": "60", "LIMAN_LOG_LEVEL": "ERROR"}  # fmt: skip
        gunicorn = subprocess.Popen(  # noqa: S603  (the project's own server, fixed arguments)
            [str(Path(sys.executable).with_name("gunicorn")), "liman.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads), "--keep-alive", "30"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        stack.callback(gunicorn.wait, 30)
        stack.callback(gunicorn.terminate)
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.2)

        rng = random.Random(2026)
        photo = bytes(rng.getrandbits(8) for _ in range(50_000))
        distinct = [instance_xml(version, rng) for _ in range(args.submissions)]
        # Phones resend: one in ten instances goes twice (a lost answer, a retry).
        work = [multipart(xml, photo if n % 10 == 0 else None) for n, xml in enumerate(distinct)]
        work += [multipart(xml, None) for xml in rng.sample(distinct, args.submissions // 10)]
        rng.shuffle(work)

        def submit(phone: Phone, item) -> int:
            body, content_type = item
            status, _content = phone.request("POST", "/openrosa/submission", body, {"Content-Type": content_type})
            return status

        # Warm up the workers (imports, connections) before timing anything.
        hammer(port, args.clients, [None] * 40, lambda phone, _: phone.request("GET", "/openrosa/formList")[0])
        health_seconds, health = hammer(
            port, args.clients, [None] * len(work), lambda phone, _: phone.request("GET", "/health")[0]
        )
        seconds, statuses = hammer(port, args.clients, work, submit)

        from liman.dtm import services
        from liman.dtm.models import FlowCount, Submission

        stored = Submission.objects.count()
        rollup_exact = not services.flow_monthly_differences()
        processed = Submission.objects.filter(state="processed").count()
        expected_counts = sum(xml.count(b"<row>") for xml in distinct)
        counts = FlowCount.objects.count()
        per_second = len(work) / seconds
        health_per_second = len(health) / health_seconds
        print(f"\nOpenRosa ingest, gunicorn {args.workers} workers × {args.threads} threads on PostgreSQL, "
              f"{args.clients} phones over loopback, HTTP {args.auth.title()}:")  # fmt: skip
        print(f"  {len(work):,} POSTs ({args.submissions:,} distinct instances, {len(work) - args.submissions:,} "
              f"resent) in {seconds:.1f} s")  # fmt: skip
        print(f"  sustained: {per_second:.0f} submissions/s ({args.submissions / seconds:.0f} distinct/s)   "
              f"goal ≥ {GOAL_PER_SECOND}/s: {'met' if per_second >= GOAL_PER_SECOND else 'MISSED'}")  # fmt: skip
        print(f"  baseline: GET /health {health_per_second:.0f} requests/s; submissions at "
              f"{per_second / health_per_second:.2f} × that")  # fmt: skip
        answers = {status: statuses.count(status) for status in set(statuses)}
        print(f"  answers: {answers}; stored {stored:,} (expected {args.submissions:,}), processed {processed:,}, "
              f"flow counts {counts:,} (expected {expected_counts:,})")  # fmt: skip
        lost_or_doubled = stored != args.submissions or counts != expected_counts or set(answers) != {201}
        print(f"  lost or doubled: {'YES' if lost_or_doubled else 'none'}; monthly flow rollup equals the counts: "
              f"{'yes' if rollup_exact else 'NO'}")  # fmt: skip
        from django.db import connections

        connections.close_all()
        if lost_or_doubled or not rollup_exact:
            sys.exit(1)


if __name__ == "__main__":
    main()
