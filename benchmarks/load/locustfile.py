"""A country office of about 200 staff, a hundred of them at work at once: search, person pages, the case list and case
pages, the home page (the office's figures), each user signed in with a session (the demo's users, `liman seed`).

    make install EXTRAS="test load"
    LIMAN_DB_CONN_MAX_AGE=60 LIMAN_DEBUG=0 .venv/bin/gunicorn liman.wsgi -b 127.0.0.1:8800 -w 4 --threads 8 &
    .venv/bin/locust -f benchmarks/load/locustfile.py --headless -u 100 -r 5 -t 60s --host http://127.0.0.1:8800 \\
        --csv /tmp/liman-load

Traffic goes to 127.0.0.1 only. Each user signs in once (Argon2: the login is the dearest request), then waits 1–5 s
between requests, as people at work do. Request names group the figures by kind: "search", "person page",
"case page", "home", "case list". Goal (issue 19): p95 ≤ 300 ms for search, ≤ 500 ms for pages, no error.
"""

from __future__ import annotations

import random
import re

from locust import HttpUser, between, task

PASSWORD = "liman-demo-2026"  # noqa: S105 (the demo's published password)
USERS = [f"{role}.{office}" for role in ("caseworker", "supervisor", "viewer") for office in ("ist", "gaz", "izm")]
NAMES = ["Ahmad", "Mohammad", "Fatima", "Ali", "Hasan", "Aisha", "Omar", "Zainab", "Khaled", "Mariam", "Haddad"]
PERSON = re.compile(r'href="(/people/[A-Z]{3}-[A-Z0-9]+/)"')
CASE = re.compile(r'href="(/cases/[A-Z]{3}-C-[A-Z0-9]+/)"')


class Staff(HttpUser):
    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.people: list[str] = []
        self.cases: list[str] = []
        self.client.get("/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        response = self.client.post(
            "/login/",
            {"csrfmiddlewaretoken": token, "username": random.choice(USERS), "password": PASSWORD},
            name="login",
            allow_redirects=False,
        )
        if response.status_code != 302:
            response.failure(f"login refused ({response.status_code})")

    @task(5)
    def search(self) -> None:
        with self.client.get(
            "/people/", params={"name": random.choice(NAMES)}, name="search", catch_response=True
        ) as response:
            found = PERSON.findall(response.text)
            if found:
                self.people = list(dict.fromkeys(found))[:20]

    @task(4)
    def person_page(self) -> None:
        if self.people:
            self.client.get(random.choice(self.people), name="person page")

    @task(2)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(1)
    def case_list(self) -> None:
        response = self.client.get("/cases/", name="case list")
        found = CASE.findall(response.text)
        if found:
            self.cases = list(dict.fromkeys(found))[:20]

    @task(2)
    def case_page(self) -> None:
        if self.cases:
            self.client.get(random.choice(self.cases), name="case page")
