"""A country office of about 200 staff, a hundred of them at work at once: search, person pages, the case list and case
pages, the home page (the office's figures), each user signed in with a session (the demo's users, `liman seed`);
beside them 50 field devices sending ODK Collect's flow counts (OpenRosa, HTTP Digest as Collect does over plain HTTP).

    make install EXTRAS="test load"
    LIMAN_DB_CONN_MAX_AGE=60 LIMAN_DEBUG=0 .venv/bin/gunicorn liman.wsgi -b 127.0.0.1:8800 -w 16 -k gthread \\
        --threads 1 --keep-alive 10 &
    LIMAN_LOAD_SENT=/tmp/liman-load-sent.txt .venv/bin/locust -f benchmarks/load/locustfile.py --headless -u 150 -r 5 \\
        -t 150s --reset-stats --host http://127.0.0.1:8800 --csv /tmp/liman-load
    .venv/bin/python benchmarks/load/check_submissions.py /tmp/liman-load-sent.txt   # none lost or doubled

`-u 150` is 100 staff and the 50 devices (`FieldDevice.fixed_count`). Traffic goes to 127.0.0.1 only. Each user
signs in once (Argon2: the login is the dearest request), then waits 1–5 s between requests, as people at work do.
The figures are of the steady state: `--reset-stats` starts them when the last user has started (30 s at 5 a second,
the sign-ins' burst of Argon2 behind), and the run goes on 150 s from the start.
Request names group the figures by kind: "search", "person page", "case page", "home", "case list", "submission".
Goal (issue 19): p95 ≤ 300 ms for search, ≤ 500 ms for pages, no error, no submission lost or doubled.

The devices are the demo's Edirne enumerator (`enumerator.edr`) sending the demo's published flow-count form, each
a new instance every 10–30 s, and one in ten sent again as Collect does when an answer is lost; the instanceIDs sent
are written to LIMAN_LOAD_SENT when the run stops, for `check_submissions.py` to find each stored once.
"""

from __future__ import annotations

import os
import random
import re
import uuid

from locust import HttpUser, between, events, task
from requests.auth import HTTPDigestAuth

PASSWORD = "liman-demo-2026"  # noqa: S105 (the demo's published password)
USERS = [f"{role}.{office}" for role in ("caseworker", "supervisor", "viewer") for office in ("ist", "gaz", "izm")]
NAMES = ["Ahmad", "Mohammad", "Fatima", "Ali", "Hasan", "Aisha", "Omar", "Zainab", "Khaled", "Mariam", "Haddad"]
PERSON = re.compile(r'href="(/people/[A-Z]{3}-[A-Z0-9]+/)"')
CASE = re.compile(r'href="(/cases/[A-Z]{3}-C-[A-Z0-9]+/)"')
DEVICE_USER = "enumerator.edr"
FLOW_FORM = ("dtm_flow_count", "2023010201")  # the demo's published flow-count form in Edirne
POINTS = ["EDR-PAZARKULE", "EDR-KAPIKULE", "EDR-IPSALA", "EDR-BUS"]
NATIONALITIES = ["AFG", "SYR", "IRQ", "PAK", "IRN", "SOM"]
SENT: set[str] = set()


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


def flow_count_instance(rng: random.Random, instance_id: str) -> bytes:
    """A flow count as Collect writes it for the demo's form: a point, a day, rows by nationality × sex × age."""
    cells = rng.sample([(sex, age) for sex in "FM" for age in ("0_4", "5_17", "18_59", "60")], k=rng.randint(3, 8))
    rows = "".join(
        f"<row><nationality>{rng.choice(NATIONALITIES)}</nationality><sex>{sex}</sex><age_group>{age}</age_group>"
        f"<individuals>{rng.randint(1, 40)}</individuals></row>"
        for sex, age in cells
    )
    day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
    form_id, version = FLOW_FORM
    return (
        "<?xml version='1.0' ?><data xmlns:jr=\"http://openrosa.org/javarosa\" "
        f'xmlns:orx="http://openrosa.org/xforms" id="{form_id}" version="{version}">'
        f"<start>{day}T08:01:00.000+03:00</start><end>{day}T08:09:12.000+03:00</end><today>{day}</today>"
        f"<deviceid>collect:load{rng.randint(1, 50)}</deviceid><username>{DEVICE_USER}</username>"
        f"<point>{rng.choice(POINTS)}</point><counted_on>{day}</counted_on><direction>outgoing</direction>{rows}"
        f"<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()


class FieldDevice(HttpUser):
    """A phone with ODK Collect: asks for the challenge once (HEAD), then posts finalised forms."""

    fixed_count = 50
    wait_time = between(10, 30)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.client.auth = HTTPDigestAuth(DEVICE_USER, PASSWORD)
        self.client.headers["X-OpenRosa-Version"] = "1.0"
        self.client.head("/openrosa/submission", name="submission (HEAD)")
        self.last: tuple[str, bytes] | None = None

    @task
    def submit(self) -> None:
        if self.last is not None and self.rng.random() < 0.1:
            instance_id, xml = self.last  # the answer was lost on the way: Collect sends the same instance again
        else:
            instance_id = f"uuid:{uuid.uuid4()}"
            xml = flow_count_instance(self.rng, instance_id)
        files = {"xml_submission_file": ("instance.xml", xml, "text/xml")}
        with self.client.post("/openrosa/submission", files=files, name="submission", catch_response=True) as answer:
            if answer.status_code not in (201, 202):
                answer.failure(f"submission answered {answer.status_code}")
                return
        SENT.add(instance_id)
        self.last = (instance_id, xml)


@events.test_stop.add_listener
def write_sent(**_kwargs) -> None:
    path = os.environ.get("LIMAN_LOAD_SENT")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            file.write("".join(f"{instance_id}\n" for instance_id in sorted(SENT)))
