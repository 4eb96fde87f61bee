"""The flows staff repeat all day, in a real browser: what they cost in clicks, keystrokes, page loads and time.

    .venv/bin/python benchmarks/everyday_flows.py [--seeded DIR] [--flows one-by-one,family,review] [--port 8765]

Two flows, on the demo data set, signed in through the login form (not counted):

* as a caseworker of Istanbul (caseworker.ist), the registration of a family of four — Karim Nouri Haddad (the
  head), his wife Amina Yusuf Darwish, their son Omar and daughter Sara — in a new household in Esenyurt with its
  address. `one-by-one` is the way that works on every version: search, "Register a new person", the form, for
  each of the four, the three members joining the head's household (before issue 20 by typing its reference,
  read off the head's page; after it, found by the head's name and picked). `family` is the family flow (issue
  20, item 1), when the build has it: one search, the head, the members and the household on one page, checked
  for duplicates person by person, saved at once.
* as a supervisor of Istanbul (supervisor.ist), the review of five duplicate pairs from the home page (through
  its "what to do next" link where the build has one, else the bar's Duplicates entry): each pair opened, compared
  and decided "different people" (nothing is merged, so the run is repeatable on the same data).

Searching the registry goes through the bar's search box where the build has one, else through the People page.

Each step is what a person does: a click is a pointer press on a link, button, radio, checkbox or a select's
option (a select counts two: open, choose); a keystroke is a character typed or a key pressed (Enter, Tab; a
field already filled is first emptied with Ctrl+A, one keystroke more); a page load is a navigation of the
page (a form posted and its redirect followed is one); requests counts every request the browser made to the
server besides static files (htmx fragments included). The wall time runs from the first step to the last page
of the flow, with the browser answering at machine speed: it measures the server and the pages, not a person.

The family flow's figures are printed with their ratio to the one-by-one flow's, measured in the same run: the
issue's goal is a family of four in at most a third of the page loads.

The server is `liman runserver` (one process, one request at a time, DEBUG on for the static files) on a copy of
a seeded demo data directory: `--seeded DIR` names one made with `LIMAN_VAR_DIR=DIR liman migrate &&
LIMAN_VAR_DIR=DIR liman seed` (copied, never written); without it the script migrates and seeds a new one first
(about two minutes). Each flow runs on its own fresh copy. Needs Debian's Chromium at /usr/bin/chromium (or
LIMAN_CHROMIUM).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMAN = ROOT / ".venv" / "bin" / "liman"
CHROMIUM = Path(os.environ.get("LIMAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PASSWORD = "liman-demo-2026"  # noqa: S105  (every demo user's, printed by `liman seed`)
GOAL_LOADS_RATIO = 1 / 3

#: (relationship, first name, father's name, family name, sex, born): the head first.
FAMILY = [
    ("head", "Karim", "Nouri", "Haddad", "M", "1984-03-12"),
    ("spouse", "Amina", "Yusuf", "Darwish", "F", "1988-07-02"),
    ("child", "Omar", "Karim", "Haddad", "M", "2012-05-20"),
    ("child", "Sara", "Karim", "Haddad", "F", "2016-11-03"),
]
DISTRICT = "Esenyurt"
ADDRESS = "Namık Kemal Mah. 1203 Sk. No 7 D 4"
REASON = "Different birth dates and fathers"
PAIRS = 5


@dataclass
class Tally:
    """What one flow cost."""

    flow: str
    clicks: int = 0
    keystrokes: int = 0
    loads: int = 0
    requests: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


class Person:
    """A user at the browser: every action goes through here and is counted."""

    def __init__(self, page, tally: Tally):
        self.page, self.tally = page, tally

    def click(self, locator, *, expect_load: bool = False) -> None:
        self.tally.clicks += 1
        if expect_load:
            with self.page.expect_navigation():
                locator.click()
        else:
            locator.click()

    def check(self, locator) -> None:
        self.tally.clicks += 1
        locator.check()

    def type(self, locator, text: str) -> None:
        """Type into a field; emptying what it holds first costs a Ctrl+A (what is typed replaces it)."""
        if locator.input_value():
            self.tally.keystrokes += 1
        self.tally.keystrokes += len(text)
        locator.fill(text)

    def choose(self, locator, value: str | None = None, *, label: str | None = None) -> None:
        self.tally.clicks += 2
        if label is not None:
            locator.select_option(label=label)
        else:
            locator.select_option(value)

    def enter(self, locator) -> None:
        self.tally.keystrokes += 1
        with self.page.expect_navigation():
            locator.press("Enter")


def counted(page, tally: Tally, base_url: str) -> None:
    def on_navigated(frame):
        if frame == page.main_frame and frame.url.startswith(base_url):
            tally.loads += 1

    def on_request(request):
        if request.url.startswith(base_url) and "/static/" not in request.url:
            tally.requests += 1

    page.on("framenavigated", on_navigated)
    page.on("request", on_request)


# --- the flows -------------------------------------------------------------------------------------------------


def _confirm_if_asked(you: Person, page) -> bool:
    """The registration page asks for confirmation when the search or the duplicate check found people."""
    asked = False
    for selector in ("#id_confirmed_new", "#duplicates-confirmed"):
        box = page.locator(selector)
        if box.count() and box.is_visible() and not box.is_checked():
            you.check(box)
            asked = True
    return asked


def search_people(page, you: Person, name: str) -> None:
    """Search the registry for `name`: from the bar's search box where the build has one (issue 20, item 5), else
    through the People page."""
    box = page.locator("#bar-search")
    if box.count() and box.is_visible():
        you.type(box, name)
        you.enter(box)
        return
    you.click(page.locator("nav.mainnav a[data-nav='people']").first, expect_load=True)
    you.type(page.get_by_label("Name", exact=True), name)
    you.enter(page.get_by_label("Name", exact=True))


def register_one_by_one(page, you: Person, base_url: str) -> None:
    household = ""
    for relationship, first, father, family, sex, born in FAMILY:
        search_people(page, you, f"{first} {father} {family}")
        you.click(page.get_by_role("link", name="Register a new person").first, expect_load=True)
        you.type(page.locator("#id_first_name"), first)
        you.type(page.locator("#id_father_name"), father)
        you.type(page.locator("#id_family_name"), family)
        you.check(page.locator("#id_sex_0" if sex == "M" else "#id_sex_1"))
        you.type(page.locator("#id_birth_date"), born)
        you.choose(page.locator("#id_nationality"), "SYR")
        if relationship == "head":
            you.type(page.locator("#id_district"), DISTRICT)
            you.type(page.locator("#id_address"), ADDRESS)
        else:
            you.check(page.locator("#id_household_1"))
            if page.locator("#id_household-query").count():
                # Builds where the household is found by a member's name and picked (issue 20, item 1).
                you.type(page.locator("#id_household-query"), " ".join(FAMILY[0][1:4]))
                choice = page.locator(f"input[name=household_reference][value='{household}']")
                choice.wait_for()
                if not choice.is_checked():
                    you.check(choice)
            else:
                you.type(page.locator("#id_household_reference"), household)
            you.choose(page.locator("#id_relationship"), relationship)
        you.check(page.locator("#id_consent_given"))
        _confirm_if_asked(you, page)
        you.click(page.get_by_role("button", name="Register"), expect_load=True)
        while "/people/new/" in page.url:
            if not _confirm_if_asked(you, page):
                raise SystemExit(f"Registering {first} {family} failed: {page.locator('main').inner_text()[:800]}")
            you.click(page.get_by_role("button", name="Register"), expect_load=True)
        if relationship == "head":
            # The reference the members join by, read off the head's page (and typed for each of them).
            household = page.locator("main a[href^='/households/']").first.inner_text().strip()
    you.tally.notes.append(f"household {household}")


def register_family(page, you: Person, base_url: str) -> None:
    head = FAMILY[0]
    search_people(page, you, " ".join(head[1:4]))
    you.click(page.get_by_role("link", name="Register a family").first, expect_load=True)
    # The search filled the head's three names.
    you.check(page.locator("#id_head-sex_0" if head[4] == "M" else "#id_head-sex_1"))
    you.type(page.locator("#id_head-birth_date"), head[5])
    you.choose(page.locator("#id_head-nationality"), "SYR")
    for number, (relationship, first, father, family, sex, born) in enumerate(FAMILY[1:]):
        you.click(page.get_by_role("button", name="Add a member"))
        prefix = f"#id_member-{number}-"
        you.choose(page.locator(f"{prefix}relationship"), relationship)
        you.type(page.locator(f"{prefix}first_name"), first)
        # Carried over from the head where they apply (a child's father's and family name): typed only otherwise.
        for name, value in (("father_name", father), ("family_name", family)):
            box = page.locator(f"{prefix}{name}")
            if box.input_value() != value:
                you.type(box, value)
        you.check(page.locator(f"{prefix}sex_0" if sex == "M" else f"{prefix}sex_1"))
        you.type(page.locator(f"{prefix}birth_date"), born)
    you.type(page.locator("#id_district"), DISTRICT)
    you.type(page.locator("#id_address"), ADDRESS)
    you.check(page.locator("#id_consent_given"))
    _confirm_if_asked(you, page)
    you.click(page.get_by_role("button", name="Register the family"), expect_load=True)
    while "/people/new/" in page.url:
        confirmed = _confirm_if_asked(you, page)
        for box in page.locator("input.duplicates-confirm-row").all():
            if not box.is_checked():
                you.check(box)
                confirmed = True
        if not confirmed:
            raise SystemExit(f"Registering the family failed: {page.locator('main').inner_text()[:800]}")
        you.click(page.get_by_role("button", name="Register the family"), expect_load=True)
    if "/households/" not in page.url:
        raise SystemExit(f"The family flow ended on {page.url}, not on the household's page.")
    you.tally.notes.append(f"household {page.url.rstrip('/').rsplit('/', 1)[-1]}")


def review_pairs(page, you: Person, base_url: str) -> None:
    waiting = page.locator("[data-next=pairs_to_review] a")
    if waiting.count():
        # The home page's "what to do next" links to the pairs waiting (issue 20, item 4).
        you.click(waiting, expect_load=True)
    else:
        you.click(page.locator("nav.mainnav a[data-nav='duplicates']").first, expect_load=True)
    you.click(page.locator("table.dedup-queue a.probability").first, expect_load=True)
    for _ in range(PAIRS):
        you.check(page.get_by_label("Different people: keep both records"))
        you.type(page.get_by_label("Reason"), REASON)
        you.click(page.get_by_role("button", name="Record the decision"), expect_load=True)
        if "/duplicates/pairs/" not in page.url:
            raise SystemExit(f"Fewer than {PAIRS} pairs to review: ended on {page.url}")


FLOWS = {
    "one-by-one": ("caseworker.ist", register_one_by_one, "a family of four, one person at a time"),
    "family": ("caseworker.ist", register_family, "a family of four, in the family flow"),
    "review": ("supervisor.ist", review_pairs, f"{PAIRS} duplicate pairs reviewed"),
}


# --- the server ------------------------------------------------------------------------------------------------


def seeded_directory(seeded: str | None, work: Path) -> Path:
    if seeded:
        return Path(seeded)
    target = work / "seeded"
    env = {**os.environ, "LIMAN_VAR_DIR": str(target), "LIMAN_DEBUG": "0"}
    print("Seeding the demo data set (about two minutes)…", flush=True)
    subprocess.run([str(LIMAN), "migrate", "--no-input"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    subprocess.run([str(LIMAN), "seed", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return target


class Server:
    """`liman runserver` on a fresh copy of the seeded directory."""

    def __init__(self, seeded: Path, work: Path, port: int):
        self.var = work / f"var-{port}"
        shutil.copytree(seeded, self.var, ignore=shutil.ignore_patterns("static", "*.log"))
        self.env = {
            **os.environ,
            "LIMAN_VAR_DIR": str(self.var),
            "LIMAN_DEBUG": "1",  # static files from the apps' folders (no collectstatic into the copy)
        }
        subprocess.run(  # noqa: S603  (this project's own command)
            [str(LIMAN), "migrate", "--no-input"], env=self.env, check=True, stdout=subprocess.DEVNULL
        )
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(self.var / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603  (this project's own command)
            [str(LIMAN), "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=2)  # noqa: S310  (http, this script's server)
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise SystemExit(f"The server did not start: see {self.var / 'server.log'}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def run_flow(playwright, name: str, seeded: Path, work: Path, port: int) -> Tally:
    username, flow, label = FLOWS[name]
    server = Server(seeded, work, port)
    tally = Tally(label)
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{server.url}/login/")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        if "/login/" in page.url:
            raise SystemExit(f"{username} could not sign in.")
        counted(page, tally, server.url)
        started = time.perf_counter()
        flow(page, Person(page, tally), server.url)
        tally.seconds = time.perf_counter() - started
        browser.close()
    finally:
        server.stop()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeded", help="a seeded demo data directory to copy (LIMAN_VAR_DIR of a seeded demo)")
    parser.add_argument("--flows", default="one-by-one,family,review", help="comma-separated: " + ", ".join(FLOWS))
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    names = [name.strip() for name in args.flows.split(",") if name.strip()]
    unknown = [name for name in names if name not in FLOWS]
    if unknown:
        parser.error(f"unknown flows: {', '.join(unknown)}")
    if not CHROMIUM.exists():
        raise SystemExit(f"Needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium).")
    from playwright.sync_api import sync_playwright

    tallies: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory(prefix="liman-everyday-") as folder:
        work = Path(folder)
        seeded = seeded_directory(args.seeded, work)
        with sync_playwright() as playwright:
            for offset, name in enumerate(names):
                tallies[name] = run_flow(playwright, name, seeded, work, args.port + offset)

    print()
    print(f"{'flow':<44} {'clicks':>7} {'keys':>6} {'loads':>6} {'requests':>9} {'seconds':>8}")
    for tally in tallies.values():
        print(
            f"{tally.flow:<44} {tally.clicks:>7} {tally.keystrokes:>6} {tally.loads:>6} {tally.requests:>9} "
            f"{tally.seconds:>8.2f}"
        )
    if "one-by-one" in tallies and "family" in tallies:
        before, after = tallies["one-by-one"], tallies["family"]
        ratio = after.loads / before.loads
        print()
        print(
            f"family flow / one by one: clicks {after.clicks / before.clicks:.2f}, keystrokes "
            f"{after.keystrokes / before.keystrokes:.2f}, page loads {ratio:.2f}, requests "
            f"{after.requests / before.requests:.2f}, time {after.seconds / before.seconds:.2f}"
        )
        print(
            f"goal: page loads at most {GOAL_LOADS_RATIO:.2f} of one by one: "
            f"{'met' if ratio <= GOAL_LOADS_RATIO else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
