"""Smoke test of an installation as the image runs it: gunicorn and a task worker started against PostgreSQL with
production settings, then checked over HTTP on 127.0.0.1.

    deploy/smoke.sh DATABASE_URL      # installs from the lock file into a fresh venv, then runs this file

This file runs with that venv's Python, after `migrate` and `collectstatic`. It creates an office and a user through
the ORM (no demo data), starts `gunicorn liman.wsgi` and `liman db_worker` as the image's services do, and checks:
the health answer (database reached), a hashed static file served by whitenoise, the login page and a real login
(CSRF, a secure session cookie behind the proxy's X-Forwarded-Proto), the home page of the signed-in user, the API
with a token, and a background task (the audit chain check) enqueued by this process and finished by the worker.
Exits non-zero naming the first check that failed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from probe import Browser, checker, stop, wait_for

PORT = int(os.environ.get("LIMAN_SMOKE_PORT", "8765"))
PASSWORD = "smoke-Test-password-2026!"  # noqa: S105 (a throwaway user of a throwaway database)
BIN = Path(sys.executable).parent


check = checker("smoke")


def setup_world():
    import django

    django.setup()
    from liman.core.choices import Role
    from liman.core.models import AdminArea, Office, RoleGrant, User

    office, _ = Office.objects.get_or_create(
        code="SMK", defaults={"name": "Smoke Office", "province": AdminArea.objects.get(pcode="TUR006")}
    )
    user = User.objects.filter(username="smoke.viewer").first() or User.objects.create_user(
        username="smoke.viewer", password=PASSWORD
    )
    RoleGrant.objects.get_or_create(user=user, role=Role.VIEWER, office=office)
    return user


def main() -> None:
    user = setup_world()
    environment = dict(os.environ)
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [str(BIN / "gunicorn"), "liman.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--threads", "4"],
        env=environment,
    )
    worker = subprocess.Popen([str(BIN / "liman"), "db_worker", "--no-reload"], env=environment)  # noqa: S603
    try:
        wait_for(PORT, server, name="smoke", seconds=60)
        browser = Browser()
        status, _, body = browser.request(PORT, "GET", "/health")
        check(status == 200 and json.loads(body)["status"] == "ok", "/health answers with the database reached")

        status, _, body = browser.request(PORT, "GET", "/login/")
        check(status == 200, "the login page")
        css = re.search(rb'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', body)
        check(css is not None, "the page links hashed static files (collectstatic's manifest)")
        status, headers, _ = browser.request(PORT, "GET", css.group(1).decode())
        check(status == 200 and "max-age" in (headers.get("Cache-Control") or ""), "whitenoise serves them, cached")

        status = browser.login(PORT, user.username, PASSWORD)
        check(status == 302 and "sessionid" in browser.cookies, "a login sets a session")
        status, _, body = browser.request(PORT, "GET", "/")
        check(status == 200 and user.username.encode() in body, "the home page of the signed-in user")

        from liman.core.services import api_token_issue

        key = api_token_issue(user=user, by=None, reason="smoke test")
        api = Browser()
        status, _, body = api.request(PORT, "GET", "/api/offices/", headers={"Authorization": f"Token {key}"})
        check(status == 200 and b"SMK" in body, "the API with a token")

        from liman.core.models import TaskProgress
        from liman.core.services import task_progress_start
        from liman.core.tasks import audit_chain_verify

        progress = task_progress_start(name="smoke", owner=user)
        audit_chain_verify.enqueue(str(progress.pk))
        for _ in range(240):
            progress = TaskProgress.objects.get(pk=progress.pk)
            if progress.state in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        check(progress.state == "succeeded", f"the worker ran a background task (state {progress.state})")
    finally:
        stop([server, worker])
    print("smoke: passed")


if __name__ == "__main__":
    main()
