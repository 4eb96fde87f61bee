"""Two web servers and two workers on one PostgreSQL: nothing may rely on one process's memory.

    deploy/two_servers.sh DATABASE_URL     # a database to throw away; or LIMAN_TWO_SERVERS_DATABASE_URL=… python …

Starts, with production settings and keys made for this run, two gunicorn instances on two ports (2 processes each),
two `liman db_worker` processes and two schedulers (`liman schedule run`), all on the one database, then checks
across them, over HTTP on 127.0.0.1:

* the staff login lockout: wrong passwords on server A and server B add up (django-axes keeps them in the database);
* the field-user (OpenRosa) lockout: a wrong Basic password on A and one on B hold the name back on B;
* HTTP Digest: a nonce issued by A is accepted by B, and the same header sent again to A is refused (the nonce
  counts are rows); the session of a login on A is valid on B;
* the cache (the database cache in production) written by one process is read by another;
* a background task's progress, read from either server while a worker runs it;
* the audit chain after concurrent logins on both servers (`liman audit verify`);
* each scheduled job enqueued once per period with two schedulers running, and run by the workers.

Exits non-zero naming the first check that failed; the last line says "two servers: passed".
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from probe import Browser, checker, production_keys, stop, wait_for

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PORTS = (
    int(os.environ.get("LIMAN_TWO_SERVERS_PORT", "8771")),
    int(os.environ.get("LIMAN_TWO_SERVERS_PORT", "8771")) + 1,
)
PASSWORD = "two-Servers-password-2026!"  # noqa: S105 (throwaway users of a throwaway database)
FIELD_PASSWORD = "field-Two-servers-2026!"  # noqa: S105
FAILURE_LIMIT = 3
FIELD_ATTEMPTS = 2
LOGINS_PER_SERVER = 8


check = checker("two servers")


def production_environment(database_url: str, var: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liman.settings",
        "LIMAN_ENV": "production",
        "DATABASE_URL": database_url,
        "LIMAN_VAR_DIR": str(var),
        "LIMAN_ALLOWED_HOSTS": "127.0.0.1",
        "LIMAN_DB_CONN_MAX_AGE": "60",
        **production_keys(),
        "LIMAN_LOGIN_FAILURE_LIMIT": str(FAILURE_LIMIT),
        "LIMAN_FIELD_LOCKOUT_ATTEMPTS": str(FIELD_ATTEMPTS),
    }


def liman(environment: dict, *arguments: str, check_exit: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [str(BIN / "liman"), *arguments], env=environment, cwd=REPO, capture_output=True, text=True, check=check_exit
    )


def setup_world():
    import django

    django.setup()
    from liman.core.choices import Role
    from liman.core.models import AdminArea, Office, RoleGrant, User
    from liman.dtm.services import field_user_create

    office = Office.objects.create(
        code="TWO", name="Two Servers Office", province=AdminArea.objects.get(pcode="TUR006")
    )
    users = {}
    for name in ("two.locked", "two.writer", "two.viewer"):
        users[name] = User.objects.create_user(username=name, password=PASSWORD)
        RoleGrant.objects.create(user=users[name], role=Role.VIEWER, office=office)
    for name in ("two.basic", "two.digest"):
        field_user_create(office=office, username=name, by=None, password=FIELD_PASSWORD)
    return users


def basic(username: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def digest_header(challenge: str, *, username: str, password: str, uri: str, nc: int, cnonce: str) -> str:
    from liman.dtm import openrosa

    realm = re.search(r'Digest realm="([^"]+)"', challenge).group(1)
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    opaque = re.search(r'opaque="([^"]+)"', challenge).group(1)
    ha1 = hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()  # noqa: S324 (Digest is MD5)
    count = f"{nc:08x}"
    response = openrosa.digest_response(
        ha1=ha1, method="GET", uri=uri, nonce=nonce, nc=count, cnonce=cnonce, qop="auth"
    )
    return (
        f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", qop=auth, nc={count}, '
        f'cnonce="{cnonce}", response="{response}", opaque="{opaque}", algorithm=MD5'
    )


def check_login_lockout(a: int, b: int) -> None:
    statuses = [Browser().login(port, "two.locked", "wrong-password-1") for port in (a, b, a)]
    check(statuses[:2] == [200, 200], f"wrong staff passwords on A and B are refused (answers {statuses})")
    status = Browser().login(b, "two.locked", PASSWORD)
    check(
        status == 429,
        f"after {FAILURE_LIMIT} wrong passwords spread over A and B, B locks the name out (answer {status})",
    )


def check_field_lockout(a: int, b: int) -> None:
    path = "/openrosa/formList"
    first, _, _ = Browser().request(a, "GET", path, headers=basic("two.basic", "wrong-password"))
    started = time.monotonic()
    second, headers, _ = Browser().request(b, "GET", path, headers=basic("two.basic", "wrong-password"))
    check(first == 401, f"a wrong field password on A is refused (answer {first})")
    check(
        second == 429 and headers.get("Retry-After"),
        f"the second wrong field password, on B, holds the name back: B counted A's (answer {second})",
    )
    status, _, _ = Browser().request(a, "GET", path, headers=basic("two.basic", FIELD_PASSWORD))
    if time.monotonic() - started < 1.5:
        check(status == 429, f"A holds the name back too, right password or not (answer {status})")
    time.sleep(2.1)
    status, _, _ = Browser().request(b, "GET", path, headers=basic("two.basic", FIELD_PASSWORD))
    check(status == 200, f"once the hold is over the right password signs in (answer {status})")


def check_digest(a: int, b: int) -> None:
    path = "/openrosa/formList"
    status, headers, _ = Browser().request(a, "GET", path)
    challenge = headers.get("WWW-Authenticate", "")
    check(status == 401 and challenge.startswith("Digest"), "A challenges a phone with a Digest nonce")
    cnonce = secrets.token_hex(8)
    header = digest_header(challenge, username="two.digest", password=FIELD_PASSWORD, uri=path, nc=1, cnonce=cnonce)
    status, _, _ = Browser().request(b, "GET", path, headers={"Authorization": header})
    check(status == 200, f"B accepts the Digest answer to A's nonce (answer {status})")
    status, _, _ = Browser().request(a, "GET", path, headers={"Authorization": header})
    check(status == 401, f"the same Digest header sent again, to A, is refused as a replay (answer {status})")
    header = digest_header(challenge, username="two.digest", password=FIELD_PASSWORD, uri=path, nc=2, cnonce=cnonce)
    status, _, _ = Browser().request(a, "GET", path, headers={"Authorization": header})
    check(status == 200, f"the next nonce count on A is accepted (answer {status})")


def check_cache(environment: dict) -> None:
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    cache = caches["default"]
    check(isinstance(cache, DatabaseCache), "production caches in the database (shared by every server)")
    value = secrets.token_hex(8)
    cache.set("two-servers", value, 300)
    read = liman(environment, "shell", "-c", "from django.core.cache import cache; print(cache.get('two-servers'))")
    check(read.stdout.strip() == value, "a value cached by one process is read by another")


def check_task_progress(a: int, b: int, user) -> None:
    from liman.core.services import task_progress_start
    from liman.core.tasks import audit_chain_verify

    browser = Browser()
    check(browser.login(a, user.username, PASSWORD) == 302, "a login on A")
    status, _, body = browser.request(b, "GET", "/")
    check(status == 200 and user.username.encode() in body, "the session made on A is valid on B")
    progress = task_progress_start(name="two servers", owner=user)
    audit_chain_verify.enqueue(str(progress.pk))
    seen = {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and seen != {a: "succeeded", b: "succeeded"}:
        for port in (a, b):
            status, _, body = browser.request(port, "GET", f"/tasks/{progress.pk}/", headers={"HX-Request": "true"})
            found = re.search(rb'data-state="([a-z]+)"', body)
            seen[port] = found.group(1).decode() if status == 200 and found else f"HTTP {status}"
        time.sleep(0.5)
    check(seen == {a: "succeeded", b: "succeeded"}, f"a worker's task progress reads the same on A and B ({seen})")


def check_audit_chain(a: int, b: int, environment: dict) -> None:
    from liman.core.choices import AuditAction
    from liman.core.models import AuditEvent

    outcomes = []

    def log_in(port: int) -> None:
        outcomes.append(Browser().login(port, "two.writer", PASSWORD))

    threads = [threading.Thread(target=log_in, args=(port,)) for port in (a, b) * LOGINS_PER_SERVER]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    check(outcomes.count(302) == 2 * LOGINS_PER_SERVER, f"{len(threads)} concurrent logins on A and B ({outcomes})")
    logins = AuditEvent.objects.filter(action=AuditAction.LOGIN, actor_username="two.writer").count()
    check(logins == 2 * LOGINS_PER_SERVER, f"each wrote its audit event ({logins})")
    verify = liman(environment, "audit", "verify", check_exit=False)
    check(verify.returncode == 0, f"the audit chain is intact: {verify.stdout.strip() or verify.stderr.strip()}")


def check_schedule() -> None:
    from django_tasks_db.models import DBTaskResult

    from liman.core import schedule
    from liman.core.models import ScheduledRun

    names = {job.name for job in schedule.jobs()}
    path = schedule.scheduled_job_run.module_path
    deadline = time.monotonic() + 120
    statuses: list[str] = []
    while time.monotonic() < deadline:
        statuses = list(DBTaskResult.objects.filter(task_path=path).values_list("status", flat=True))
        if len(statuses) >= len(names) and all(status in ("SUCCESSFUL", "FAILED") for status in statuses):
            break
        time.sleep(0.5)
    runs = list(ScheduledRun.objects.values_list("job", flat=True))
    check(sorted(runs) == sorted(names), f"two schedulers enqueued each job once ({len(runs)} runs, {len(names)} jobs)")
    check(len(statuses) == len(names), f"one task per job ({len(statuses)})")
    check(set(statuses) == {"SUCCESSFUL"}, f"the workers ran every scheduled job ({sorted(statuses)})")


def main() -> None:
    database_url = (sys.argv[1:] or [os.environ.get("LIMAN_TWO_SERVERS_DATABASE_URL", "")])[0]
    if not database_url.startswith("postgres"):
        raise SystemExit("usage: deploy/two_servers.py postgres://…/a_database_to_throw_away")
    var = Path(tempfile.mkdtemp(prefix="liman-two-servers."))
    environment = production_environment(database_url, var)
    os.environ.update(environment)
    started = time.monotonic()
    liman(environment, "migrate", "--no-input", "--verbosity", "0")
    liman(environment, "createcachetable")
    liman(environment, "collectstatic", "--no-input", "--verbosity", "0")
    users = setup_world()
    print(f"two servers: database migrated, static files collected in {time.monotonic() - started:.0f} s", flush=True)
    a, b = PORTS
    processes: list[subprocess.Popen] = []
    logs = var / "logs"
    logs.mkdir()
    try:
        for port in PORTS:
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [str(BIN / "gunicorn"), "liman.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
                    + ["--threads", "4", "--timeout", "120", "--no-control-socket"],
                    env=environment,
                    cwd=REPO,
                    stdout=open(logs / f"web-{port}.log", "wb"),  # noqa: SIM115 (closed with the process)
                    stderr=subprocess.STDOUT,
                )
            )
        for number in (1, 2):
            for command in (["db_worker", "--no-reload", "--interval", "0.5"], ["schedule", "run", "--interval", "1"]):
                processes.append(
                    subprocess.Popen(  # noqa: S603
                        [str(BIN / "liman"), *command],
                        env=environment,
                        cwd=REPO,
                        stdout=open(logs / f"{command[0]}-{number}.log", "wb"),  # noqa: SIM115
                        stderr=subprocess.STDOUT,
                    )
                )
        for port, process in zip(PORTS, processes[:2], strict=True):
            wait_for(port, process, name="two servers")
        check_login_lockout(a, b)
        check_field_lockout(a, b)
        check_digest(a, b)
        check_cache(environment)
        check_task_progress(a, b, users["two.viewer"])
        check_audit_chain(a, b, environment)
        check_schedule()
    except SystemExit:
        for log in sorted(logs.iterdir()):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- {log.name}\n" + "\n".join(tail), file=sys.stderr)
        raise
    finally:
        stop(processes)
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var, ignore_errors=True)
    print(f"two servers: passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
