"""100,000 messages queued from a list and handed to the HTTP gateway backend, with the sender killed (SIGKILL) half-way
and started again: the rate, its ratio to bare HTTP posts, and proof that nothing was sent twice or to a number that
opted out.

    .venv/bin/python benchmarks/messages_send.py [--messages 100000] [--batch 200] [--concurrency 8] [--postgres URL]

Runs on the PostgreSQL database `--postgres` (or DATABASE_URL) names, which must be one you can throw away (the script
migrates it and adds rows); without either, on a throwaway SQLite file in a temporary folder.

1. Setup (not timed as a figure): `--messages` people in one office with a phone, each with a consent to be contacted
   (written in bulk); 1 % of them asked to stop, and 0.5 % of the numbers replied STOP (the register).
2. Queue: `messaging.services.messages_queue` over the whole list, as a distribution's "Tell the households" does
   (each message rendered in the person's language, encrypted, audited): prints messages/s. Then 50 more numbers reply
   STOP through the service (their queued messages are not sent) and 50 people opt out by a write straight to the
   table, as a race with the sender would leave it (the sender must catch them when it checks again).
3. The gateway: tests/messaging/gateway.py in its own process (a real HTTP server on 127.0.0.1 that de-duplicates on
   the idempotency key and counts every request per key).
4. Baseline: the same number of bare posts to the same gateway through the same HTTP backend and concurrency, without
   the outbox (no database): the floor the sender can reach.
5. Send: `liman messages send` as a subprocess (LIMAN_MESSAGE_BACKEND=http), killed with SIGKILL when about 40 % are
   sent, then started again (its claims run out after LIMAN_MESSAGE_CLAIM_SECONDS=10) and stopped once nothing is
   queued. Prints messages/s while a sender ran, and for the whole wall time including the kill and the wait.

Exits non-zero when: a message is left queued, the gateway did not send exactly the messages marked sent, any key
reached the gateway more than twice (or twice and was not in flight at the kill), a gateway id differs from the one
recorded, any request went to a number that opted out, or the rate is below 200 messages/s.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_PER_SECOND = 200
CLAIM_SECONDS = 10
TIMEOUT = 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--kill-at", type=float, default=0.4, help="share sent when the sender is killed")
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL", ""), help="default: DATABASE_URL")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="liman-bench-messages-"))
    os.environ["LIMAN_VAR_DIR"] = str(folder)
    os.environ["DATABASE_URL"] = args.postgres or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "liman.settings"
    os.environ.setdefault("LIMAN_LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.vendor}, folder {folder}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.0f} s")

    gateway, port = start_gateway()
    try:
        return run(args, folder, port)
    finally:
        gateway.send_signal(signal.SIGINT)
        gateway.wait(timeout=30)


def start_gateway() -> tuple[subprocess.Popen, int]:
    gateway = subprocess.Popen(  # noqa: S603  (this interpreter, a file of the repository)
        [sys.executable, str(ROOT / "tests" / "messaging" / "gateway.py"), "--port", "0", "--no-bodies"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = gateway.stdout.readline().strip()
    if not line.startswith("listening on "):
        raise SystemExit(f"The test gateway did not start: {line!r}")
    return gateway, int(line.rsplit(" ", 1)[1])


def stats(port: int, *, full: bool = False) -> dict:
    url = f"http://127.0.0.1:{port}/_stats" + ("?full=1" if full else "")
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310  (our own gateway on 127.0.0.1)
        return json.loads(answer.read())


def setup_people(count: int):
    """`count` people with phones and consent, written in bulk (the registry's own bulk path is benchmarked
    elsewhere); 1 % opted out, 0.5 % of numbers on the STOP register."""
    from django.utils import timezone

    from liman.core.models import AdminArea, Office
    from liman.messaging.models import ContactPreference, PhoneOptOut, phone_key
    from liman.registry.models import Consent, Person

    office, _ = Office.objects.get_or_create(
        code="IST", defaults={"name": "Istanbul", "type": "sub", "province": AdminArea.objects.get(pcode="TUR034")}
    )
    languages = ["tr", "ar", "en", "fa", "ps"]
    people = []
    for number in range(count):
        people.append(
            Person(
                office=office,
                reference=f"IST-B{number:08d}",
                first_name=f"Kişi{number}",
                family_name="Yılmaz",
                sex="F" if number % 2 else "M",
                nationality="SYR",
                phone=f"+9053{number:08d}",
            )
        )
    Person.objects.bulk_create(people, batch_size=2000)
    today = timezone.localdate()
    preferences = []
    stopped_numbers = []
    opted_out = []
    for number, person in enumerate(people):
        opted = number % 100 == 50
        preferences.append(
            ContactPreference(
                person=person,
                language=languages[number % 5],
                opted_out_at=timezone.now() if opted else None,
                opt_out_how="desk" if opted else "",
            )
        )
        if opted:
            opted_out.append(person.phone)
        if number % 200 == 77:
            stopped_numbers.append(person.phone)
    ContactPreference.objects.bulk_create(preferences, batch_size=2000)
    Consent.objects.bulk_create(
        [Consent(person=person, purpose="contact", legal_basis="consent", given_on=today) for person in people],
        batch_size=2000,
    )
    PhoneOptOut.objects.bulk_create([PhoneOptOut(phone_index=phone_key(n)) for n in stopped_numbers], batch_size=2000)
    return people, set(opted_out) | set(stopped_numbers)


def run(args, folder: Path, port: int) -> int:
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from liman.core.messages import Recipient
    from liman.messaging import services
    from liman.messaging.backends import Outgoing
    from liman.messaging.backends.http import HttpBackend
    from liman.messaging.models import ContactPreference, Message

    problems: list[str] = []
    url = f"http://127.0.0.1:{port}/send"

    began = time.perf_counter()
    people, blocked = setup_people(args.messages)
    print(f"setup: {len(people):,} people with consent in {time.perf_counter() - began:.0f} s "
          f"({len(blocked):,} opted out or on the STOP register)")  # fmt: skip

    # 2. Queue the list.
    began = time.perf_counter()
    recipients = [Recipient(p, {"date": "2026-12-05", "place": "Esenyurt"}, key="bench") for p in people]
    outcome = services.messages_queue(kind="distribution_day", recipients=recipients, by=None, chunk=2000)
    queue_seconds = time.perf_counter() - began
    print(f"queue: {outcome.queued:,} queued in {queue_seconds:.1f} s ({outcome.queued / queue_seconds:,.0f}/s); "
          f"not queued: {dict(outcome.skipped)}")  # fmt: skip
    queued_people = {m for m in Message.objects.values_list("person_id", flat=True)}
    candidates = [p for p in people if p.pk in queued_people]
    for person in candidates[1000:1050]:
        services.number_opt_out(number=person.phone)
        blocked.add(person.phone)
    raced = candidates[2000:2050]
    ContactPreference.objects.filter(person__in=raced).update(opted_out_at=timezone.now(), opt_out_how="call")
    blocked |= {p.phone for p in raced}
    to_send = Message.objects.filter(state="queued").count()
    print(f"after 50 STOP replies and 50 opt-outs racing the sender: {to_send:,} queued")

    # 4. Baseline: bare posts to the same gateway, same backend and concurrency, no outbox.
    backend = HttpBackend({"url": url, "timeout": TIMEOUT})
    bare = [Outgoing(key=f"baseline-{n}", to=f"+9054{n:08d}", body="Baseline text of a similar length, in Turkish: "
                     "yardım dağıtımı yarın Esenyurt'ta.") for n in range(to_send)]  # fmt: skip
    began = time.perf_counter()
    results = []
    for start in range(0, len(bare), args.batch):
        results += backend.send_many(bare[start : start + args.batch], concurrency=args.concurrency)
    baseline_seconds = time.perf_counter() - began
    backend.close()
    baseline_rate = len(bare) / baseline_seconds
    if not all(r is not None and r.accepted for r in results):
        problems.append("the baseline's posts were not all accepted")
    print(f"baseline: {len(bare):,} bare posts in {baseline_seconds:.1f} s ({baseline_rate:,.0f}/s)")

    # 5. The sender as a subprocess, killed half-way, started again.
    connection.close()
    env = {
        **os.environ,
        "LIMAN_MESSAGE_BACKEND": "http",
        "LIMAN_MESSAGE_OPTIONS": json.dumps({"url": url, "timeout": TIMEOUT}),
        "LIMAN_MESSAGE_BATCH": str(args.batch),
        "LIMAN_MESSAGE_CONCURRENCY": str(args.concurrency),
        "LIMAN_MESSAGE_CLAIM_SECONDS": str(CLAIM_SECONDS),
    }
    command = [sys.executable, "-m", "liman.cli", "messages", "send", "--interval", "0.2"]
    log = (folder / "sender.log").open("w")
    wall = time.perf_counter()
    first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
    while stats(port)["sent"] - len(bare) < args.kill_at * to_send:
        if first.poll() is not None:
            problems.append(f"the first sender stopped by itself ({first.returncode}); see {folder / 'sender.log'}")
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    first_seconds = time.perf_counter() - wall
    sent_at_kill = Message.objects.filter(state="sent").count()
    in_flight = set(Message.objects.exclude(claim_token="").values_list("idempotency_key", flat=True))
    connection.close()
    print(f"killed the sender after {first_seconds:.1f} s: {sent_at_kill:,} recorded sent, "
          f"{len(in_flight):,} claimed in flight")  # fmt: skip

    restarted = time.perf_counter()
    second = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
    while Message.objects.filter(state="queued").exists():
        connection.close()
        if second.poll() is not None:
            problems.append(f"the second sender stopped by itself ({second.returncode})")
            break
        time.sleep(0.2)
    second.send_signal(signal.SIGTERM)
    second.wait(timeout=60)
    second_seconds = time.perf_counter() - restarted
    wall_seconds = time.perf_counter() - wall
    log.close()

    # Checks.
    gateway = stats(port, full=True)
    states = dict(Message.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    sent = dict(Message.objects.filter(state="sent").values_list("idempotency_key", "provider_message_id"))
    per_key = {key: n for key, n in gateway["per_key"].items() if not key.startswith("baseline-")}
    ids = {key: value for key, value in gateway["ids"].items() if not key.startswith("baseline-")}
    twice = {key for key, n in per_key.items() if n == 2}
    print(f"states: {states}")
    print(f"gateway: {sum(per_key.values()):,} requests for {len(per_key):,} keys; messages it sent: {len(ids):,}; "
          f"keys handed over twice (after the kill, de-duplicated by the gateway): {len(twice):,}; "
          f"more than twice: {sum(1 for n in per_key.values() if n > 2)}")  # fmt: skip
    if states.get("queued"):
        problems.append(f"{states['queued']} messages left queued")
    if set(ids) != set(sent):
        problems.append(f"the gateway sent {len(ids):,} keys, {len(sent):,} are marked sent")
    if any(ids.get(key) != provider_id for key, provider_id in sent.items()):
        problems.append("a recorded gateway id differs from the gateway's")
    if any(n > 2 for n in per_key.values()):
        problems.append("a key reached the gateway more than twice")
    if not twice <= in_flight:
        problems.append(f"{len(twice - in_flight)} keys were handed over twice without being in flight at the kill")
    reached_blocked = blocked & set(gateway["numbers"])
    print(f"numbers that opted out: {len(blocked):,}; of them written to: {len(reached_blocked)}")
    if reached_blocked:
        problems.append(f"{len(reached_blocked)} numbers that opted out were written to")

    sent_total = len(sent)
    running_rate = sent_total / (first_seconds + second_seconds - CLAIM_SECONDS)
    wall_rate = sent_total / wall_seconds
    print(f"sender: {sent_total:,} messages in {first_seconds:.1f} s + {second_seconds:.1f} s "
          f"(of which up to {CLAIM_SECONDS} s waiting for the killed sender's claims to run out)")  # fmt: skip
    print(f"FIGURE: {running_rate:,.0f} messages/s handed to the HTTP backend while a sender ran "
          f"({wall_rate:,.0f}/s over the whole wall time with the kill and the wait); "
          f"ratio to bare posts ({baseline_rate:,.0f}/s): {running_rate / baseline_rate:.2f}; "
          f"goal ≥ {GOAL_PER_SECOND}/s")  # fmt: skip
    if wall_rate < GOAL_PER_SECOND:
        problems.append(f"{wall_rate:.0f} messages/s is below the goal of {GOAL_PER_SECOND}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("OK" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
