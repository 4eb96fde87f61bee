"""`liman messages send` as it runs in production, on a file SQLite database: killed (SIGKILL) in the middle of a run
and started again, it makes the gateway send every message exactly once, and nothing to a number that opted out.

The gateway is the test's real HTTP server (tests/messaging/gateway.py) in this process, answering a little slowly
so that the sender is caught with messages in flight."""

import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.messaging.gateway import Gateway

ROOT = Path(__file__).resolve().parents[2]
LIMAN = [sys.executable, "-m", "liman.cli"]
PEOPLE = 120

SEED = f"""
from django.utils import timezone
from liman.core.choices import OfficeType
from liman.core.messages import Recipient
from liman.core.models import AdminArea
from liman.core.services import office_create
from liman.messaging import services
from liman.messaging.models import ContactPreference
from liman.registry import services as registry

office = office_create(code="IST", name="Istanbul", province=AdminArea.objects.get(pcode="TUR034"),
                       type=OfficeType.SUB, by=None)
people = []
for n in range({PEOPLE}):
    person = registry.person_register(office=office, data=registry.PersonInput(
        first_name=f"P{{n}}", family_name="Kaya", sex="F", nationality="SYR", phone=f"+90532100{{n:04d}}"), by=None)
    services.contact_preference_save(person=person, by=None, language="tr", consent_on=timezone.localdate(),
                                     consent_how="form")
    people.append(person)
outcome = services.messages_queue(kind="health_assessment_appointment", by=None, recipients=[
    Recipient(p, {{"date": "2026-12-05", "place": "Fatih"}}, key="kill-test") for p in people])
assert outcome.queued == {PEOPLE}, outcome
# A STOP reply from one number after the queueing ...
services.number_opt_out(number="+905321000007")
# ... and an opt-out that raced the queue (written straight to the table): the sender must check again.
ContactPreference.objects.filter(person=people[11]).update(opted_out_at=timezone.now(), opt_out_how="call")
"""


@pytest.fixture(scope="module")
def sender_env(tmp_path_factory):
    var = tmp_path_factory.mktemp("sender-var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{var / 'liman.sqlite3'}",
        "LIMAN_VAR_DIR": str(var),
        "LIMAN_MESSAGE_CLAIM_SECONDS": "5",
        "LIMAN_MESSAGE_BATCH": "10",
        "LIMAN_MESSAGE_CONCURRENCY": "2",
    }
    subprocess.run([*LIMAN, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=900)
    subprocess.run([*LIMAN, "shell", "-c", SEED], env=env, cwd=ROOT, check=True, timeout=300)
    return env, var / "liman.sqlite3"


def rows(db: Path, sql: str, *args):
    with sqlite3.connect(db, timeout=20) as connection:
        return connection.execute(sql, args).fetchall()


def test_a_sender_killed_mid_run_and_started_again_sends_each_message_once(sender_env):
    env, db = sender_env
    gateway = Gateway().start()
    gateway.delay = 0.03
    env = {
        **env,
        "LIMAN_MESSAGE_BACKEND": "http",
        "LIMAN_MESSAGE_OPTIONS": json.dumps({"url": gateway.url, "timeout": 1}),
    }
    try:
        log = (db.parent / "first-sender.log").open("wb")
        first = subprocess.Popen([*LIMAN, "messages", "send", "--once"], env=env, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while len(gateway.requests) < 40 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.01)
        # The next two hand-overs reach the gateway, which accepts them but answers late: the sender is killed
        # between the gateway's acceptance and its own commit.
        gateway.then(("slow", 0.8), ("slow", 0.8))
        caught = len(gateway.requests) + 2
        while len(gateway.requests) < caught and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        log.close()
        assert len(gateway.requests) >= 40, (db.parent / "first-sender.log").read_text()

        claimed = rows(db, "SELECT idempotency_key FROM messaging_message WHERE claim_token != ''")
        in_flight = {key for (key,) in claimed}
        sent_before = rows(db, "SELECT count(*) FROM messaging_message WHERE state = 'sent'")[0][0]
        assert 0 < sent_before < PEOPLE - 2
        # The killed sender's claims run out; then a new sender takes them over.
        (latest,) = rows(db, "SELECT max(next_attempt_at) FROM messaging_message WHERE state = 'queued'")[0]
        wait = datetime.datetime.fromisoformat(latest).replace(tzinfo=datetime.UTC) - datetime.datetime.now(
            datetime.UTC
        )
        time.sleep(max(0.0, wait.total_seconds()) + 0.5)
        second = subprocess.run(
            [*LIMAN, "messages", "send", "--once"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert second.returncode == 0, second.stderr
    finally:
        gateway.stop()

    states = dict(rows(db, "SELECT state, count(*) FROM messaging_message GROUP BY state"))
    assert states == {"sent": PEOPLE - 2, "cancelled": 2}
    # The gateway sent each message once; only messages in flight at the kill were handed over twice.
    assert len(gateway.sent) == PEOPLE - 2
    repeated = {key for key, count in gateway.per_key.items() if count > 1}
    assert repeated and repeated <= in_flight and max(gateway.per_key.values()) == 2
    for key, provider_id in rows(db, "SELECT idempotency_key, provider_message_id FROM messaging_message "
                                     "WHERE state = 'sent'"):  # fmt: skip
        assert gateway.sent[key] == provider_id
    # Nothing went to the number that replied STOP, nor to the person who opted out after the queueing.
    numbers = {request["to"] for request in gateway.requests}
    assert "+905321000007" not in numbers and "+905321000011" not in numbers
    reasons = {error for (error,) in rows(db, "SELECT error FROM messaging_message WHERE state = 'cancelled'")}
    assert reasons == {"The person asked to stop.", "asked to stop"}
