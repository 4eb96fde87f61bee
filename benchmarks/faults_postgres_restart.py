"""Fault: PostgreSQL restarted while field phones submit. Requests fail cleanly (503 with Retry-After, or a refused
connection), the server recovers by itself, and no submission is lost, doubled or half-written.

    .venv/bin/python benchmarks/faults_postgres_restart.py [--submissions 600] [--clients 8] [--port 55463]

Starts a throwaway PostgreSQL cluster on `--port`, publishes the flow-count form (as benchmarks/openrosa_ingest.py
does), serves the app with gunicorn (2 processes × 4 threads, persistent connections LIMAN_DB_CONN_MAX_AGE=60 with
health checks), and has `--clients` phones post instances with HTTP Basic as ODK Collect does, each phone sending an
instance again after an error (Collect keeps it until the server says it has it). A third of the way in, the cluster
is restarted (`pg_ctl restart -m fast`: every connection is cut). Prints the answers seen (201 stored, 202 already
had, 503, anything else), how long the outage lasted from the phones' side against the restart itself, and checks
that every distinct instance was stored exactly once and became exactly its flow counts (and the monthly rollup
equals them). A 500 counts as a failure: the database going away must answer 503.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from openrosa_ingest import Phone, free_port, instance_xml, multipart, setup  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@contextlib.contextmanager
def cluster(port: int):
    """A PostgreSQL cluster for this run: yields (its URL, a function restarting it); removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="liman-faults-pg-"))
    data, sockets = base / "data", base / "sockets"
    data.mkdir()
    sockets.mkdir()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        for path in (base, data, sockets):
            shutil.chown(path, "postgres")

    def run(*command: str) -> None:
        subprocess.run([*as_postgres, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603

    pg_ctl = str(PG_BIN / "pg_ctl")
    run(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust", "--auth-host=trust",
        "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c shared_buffers=128MB"
    run(pg_ctl, "-D", str(data), "-w", "-l", str(base / "log"), "-o", options, "start")

    def restart() -> float:
        started = time.monotonic()
        run(pg_ctl, "-D", str(data), "-w", "-m", "fast", "-l", str(base / "log"), "-o", options, "restart")
        return time.monotonic() - started

    try:
        role, database = "CREATE ROLE liman LOGIN CREATEDB PASSWORD 'liman'", "CREATE DATABASE liman OWNER liman"
        run(str(PG_BIN / "psql"), "-h", str(sockets), "-p", str(port), "-U", "postgres", "-c", role, "-c", database)
        yield f"postgres://liman:liman@127.0.0.1:{port}/liman", restart
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            run(pg_ctl, "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=55463, help="port of the throwaway PostgreSQL cluster")
    args = parser.parse_args()
    Phone.auth = "basic"

    var_dir = Path(tempfile.mkdtemp(prefix="liman-faults-restart-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, var_dir, True)
        url, restart = stack.enter_context(cluster(args.port))
        version = setup(url, var_dir)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "LIMAN_VAR_DIR": str(var_dir), "LIMAN_DEBUG": "0",
               "LIMAN_DB_CONN_MAX_AGE": "60", "LIMAN_LOG_LEVEL": "CRITICAL"}  # fmt: skip
        gunicorn = subprocess.Popen(  # noqa: S603  (the project's own server, fixed arguments)
            [str(Path(sys.executable).with_name("gunicorn")), "liman.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
             "-k", "gthread", "--threads", "4", "--keep-alive", "30", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        stack.callback(gunicorn.wait, 30)
        stack.callback(gunicorn.terminate)
        for _ in range(200):
            with contextlib.suppress(Exception):
                if Phone(port).request("GET", "/health")[0] == 200:
                    break
            time.sleep(0.2)

        rng = random.Random(2026)
        distinct = [instance_xml(version, rng) for _ in range(args.submissions)]
        queue = list(reversed([multipart(xml, None) for xml in distinct]))
        lock = threading.Lock()
        answers: list[tuple[float, int | str]] = []  # (time, status or "no connection")
        restarted: dict[str, float] = {}

        def phone_run() -> None:
            phone = Phone(port)
            while True:
                with lock:
                    if not queue:
                        return
                    body, content_type = queue.pop()
                for _attempt in range(400):
                    try:
                        status, _ = phone.request("POST", "/openrosa/submission", body, {"Content-Type": content_type})
                    except RuntimeError:  # no answer at all: the phone keeps the instance and tries again
                        status = "no connection"
                    with lock:
                        answers.append((time.monotonic(), status))
                    if status in (201, 202):
                        break
                    time.sleep(0.25)

        def restarter() -> None:
            while True:
                with lock:
                    left = len(queue)
                if left <= args.submissions * 2 // 3:
                    break
                time.sleep(0.05)
            restarted["at"] = time.monotonic()
            restarted["took"] = restart()

        threads = [threading.Thread(target=phone_run) for _ in range(args.clients)]
        threads.append(threading.Thread(target=restarter))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started

        from django.db import connections

        connections.close_all()
        from liman.dtm import services
        from liman.dtm.models import FlowCount, Submission

        stored = Submission.objects.count()
        distinct_ids = Submission.objects.values("instance_id").distinct().count()
        counts = FlowCount.objects.count()
        expected_counts = sum(xml.count(b"<row>") for xml in distinct)
        rollup_exact = not services.flow_monthly_differences()
        tally: dict[str, int] = {}
        for _at, status in answers:
            tally[str(status)] = tally.get(str(status), 0) + 1
        bad = [(at, status) for at, status in answers if status not in (201, 202)]
        outage = (max(at for at, _ in bad) - min(at for at, _ in bad)) if bad else 0.0
        server_errors = sum(n for status, n in tally.items() if status.startswith("5") and status != "503")
        print(f"\nPostgreSQL restarted under {args.clients} phones posting {args.submissions} instances (gunicorn "
              f"2 × 4 threads, persistent connections with health checks), {seconds:.1f} s in all:")  # fmt: skip
        print(f"  restart (pg_ctl restart -m fast) took {restarted.get('took', 0):.1f} s; the phones saw errors "
              f"for {outage:.1f} s")  # fmt: skip
        print(f"  answers: {dict(sorted(tally.items()))}")
        print(f"  stored {stored} submissions ({distinct_ids} distinct instance IDs, {args.submissions} sent), "
              f"flow counts {counts} (expected {expected_counts}), monthly rollup equals them: "
              f"{'yes' if rollup_exact else 'NO'}")  # fmt: skip
        clean = server_errors == 0
        whole = stored == distinct_ids == args.submissions and counts == expected_counts and rollup_exact
        print(f"  failed cleanly (503 or no connection, never another 5xx): {'yes' if clean else 'NO'}; "
              f"nothing lost, doubled or half-written: {'yes' if whole else 'NO'}")  # fmt: skip
        print(f"faults: PostgreSQL restart under load: {'passed' if clean and whole else 'FAILED'}")
        connections.close_all()
        if not (clean and whole):
            sys.exit(1)


if __name__ == "__main__":
    main()
