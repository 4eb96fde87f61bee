"""Browser tests: pytest-playwright driving Debian's Chromium against pytest-django's live server.

Without /usr/bin/chromium (or the path in `LIMAN_CHROMIUM`) these tests skip with a message; with
`LIMAN_REQUIRE_BROWSER=1` (set in CI) its absence fails them instead. Install the browser with
`apt-get install -y chromium`, never with `playwright install`.
"""

import os

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls there
# unless told otherwise. The live server listens on 127.0.0.1 so "no request leaves the site" is exact.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import pytest  # noqa: E402
from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core import serializers  # noqa: E402
from django.core.servers.basehttp import WSGIServer  # noqa: E402
from django.db import DEFAULT_DB_ALIAS, connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from playwright.sync_api import expect  # noqa: E402
from pytest_django.live_server_helper import LiveServer  # noqa: E402

from liman.core.choices import OfficeType, Role  # noqa: E402
from liman.core.models import AdminArea  # noqa: E402
from tests.factories import OfficeFactory, staff  # noqa: E402

# An assertion waits up to 15 s for the page to reach what it expects (Playwright's default: 5 s). A passing test
# waits no longer for it; a page that never gets there fails all the same, only later. CI runs the suite on SQLite
# and PostgreSQL side by side on two cores, where a page answering in 5 s is slow, not wrong.
expect.set_options(timeout=15_000)

CHROMIUM = Path(os.environ.get("LIMAN_CHROMIUM", "/usr/bin/chromium"))  # Debian's package
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"

#: Every browser test module carries these. The live server needs committed data, so each test ends
#: with a flush of every table; `_reference_data` puts back what the migrations loaded.
E2E = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
E2E_DIR = Path(__file__).resolve().parent
MISSING_BROWSER = (
    f"Browser tests need Debian's Chromium at {CHROMIUM}: run `apt-get install -y chromium` "
    "(never `playwright install`)."
)


def browser_required() -> bool:
    return os.environ.get("LIMAN_REQUIRE_BROWSER", "").lower() in ("1", "true", "yes", "on")


def pytest_collection_modifyitems(config, items):
    """Skip the browser tests when there is no browser, unless CI requires one (then they fail)."""
    if CHROMIUM.exists() or browser_required():
        return
    skip = pytest.mark.skip(reason=f"{MISSING_BROWSER} Set LIMAN_REQUIRE_BROWSER=1 to make this a failure.")
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


class BrowserMissing(pytest.fail.Exception):
    """The browser is required (`LIMAN_REQUIRE_BROWSER=1`) and absent."""


def pytest_runtest_setup(item):
    """For this directory's tests, after skip marks and before any fixture (no database, no browser)."""
    if browser_required() and not CHROMIUM.exists():
        raise BrowserMissing(
            f"LIMAN_REQUIRE_BROWSER is set and the browser is missing. {MISSING_BROWSER}", pytrace=False
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Report a required but missing browser as a failed test, not as an error in its setup."""
    report = yield
    if call.when == "setup" and call.excinfo is not None and call.excinfo.errisinstance(BrowserMissing):
        report.when = "call"
    return report


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A fixed browser language and size: Django picks the page language from Accept-Language.
    return {**browser_context_args, "locale": "en-GB", "viewport": {"width": 1280, "height": 800}}


class OneRequestAtATimeServer(WSGIServer):
    """Django's live server without threads (it then closes each connection after its answer).

    One connection at a time: a connection the browser opens ahead and sends nothing on (Chromium preconnects)
    would hold the server until the browser gives up on the next page. A connection that stays silent for two
    seconds is dropped, and the next one served."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.RequestHandlerClass = type("SilentConnectionsTimeOut", (self.RequestHandlerClass,), {"timeout": 2})


@pytest.fixture(scope="session", autouse=True)
def _one_connection_for_the_browser_tests(django_db_setup, playwright):
    """Keep using the connection the test database was set up with while Playwright runs.

    Playwright's sync API leaves an event loop running in the test thread; from then on Django's
    `connections` (thread-critical asgiref Locals) hand out a second, context-local connection
    without what `setup_databases` attached to the first (`_test_serialized_contents`, for one).
    On SQLite's shared-cache in-memory database that second connection also takes its own table
    locks. Put the first connection back for the browser tests.
    """
    thread_local = connections._connections._storage  # what the thread sees without a running loop
    for alias in connections:
        original = getattr(thread_local, alias, None)
        if original is not None and original is not connections[alias]:
            connections[alias] = original


#: The rows the migrations loaded, read once per session and shared by every directory that borrows
#: these fixtures (tests/dtm/browser does): a second reading after a browser test's flush finds nothing.
_reference: list | None = None


def read_reference_rows() -> list:
    """(model, rows) for every table with rows, from the database as migrated: the other tests roll
    back what they write. Were it flushed already (a transactional test ran first), from the copy
    Django serialized for `serialized_rollback`, when there is one."""
    by_model = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            rows = list(model._base_manager.order_by("pk"))
            if rows:
                by_model[model] = rows
    serialized = getattr(connections[DEFAULT_DB_ALIAS], "_test_serialized_contents", None)
    if AdminArea not in by_model and serialized:
        by_model = {}
        for item in serializers.deserialize("json", serialized):
            by_model.setdefault(type(item.object), []).append(item.object)
    if AdminArea not in by_model:
        raise RuntimeError(
            "The browser tests found the test database flushed before they started (no provinces): a test with "
            "transactional database access ran first without `serialized_rollback=True`."
        )
    return list(by_model.items())


@pytest.fixture(scope="session")
def _reference_rows(_one_connection_for_the_browser_tests, django_db_blocker):
    global _reference
    if _reference is None:
        with django_db_blocker.unblock():
            _reference = read_reference_rows()
    return _reference


@pytest.fixture(autouse=True)
def _reference_data(transactional_db, _reference_rows):
    """Put back the migrations' rows the previous browser test's flush removed.

    Django's `serialized_rollback` does the same with one save() per row (about 1.5 s a test);
    a bulk insert per table takes a tenth of that.
    """
    with transaction.atomic():
        for model, rows in _reference_rows:
            if not model._base_manager.exists():
                model._base_manager.bulk_create(rows)


@pytest.fixture(scope="session")
def live_server(request, _one_connection_for_the_browser_tests):
    """pytest-django's live server, started once the test database and its connection are settled.

    pytest-django's own `live_server` may start before the test database exists; on SQLite it then
    does not hand the in-memory database's connection to the server, each server thread opens its own
    connection to the shared-cache database, and concurrent requests (the map page fetches its
    GeoJSON and counts in parallel, each saving the session) fail at random with "database table is
    locked: django_session". Started here, the server shares the test's one SQLite connection, so it
    must not answer two requests at once. On PostgreSQL it stays threaded (a connection per thread).
    """
    address = request.config.getvalue("liveserver") or os.environ["DJANGO_LIVE_TEST_SERVER_ADDRESS"]
    server = LiveServer(address, start=False)
    if server.thread.connections_override:
        server.thread.server_class = OneRequestAtATimeServer
    server.start()
    yield server
    server.stop()


@pytest.fixture
def url(live_server):
    """`url("/map/")` -> the address of that path on the live server."""
    return lambda path="/": f"{live_server.url}{path}"


@pytest.fixture
def live_host(live_server):
    return urlsplit(live_server.url).netloc


@pytest.fixture
def istanbul(live_server):
    return OfficeFactory(code="IST", name="Istanbul Sub-Office", type=OfficeType.SUB)


@pytest.fixture
def izmir(live_server):
    return OfficeFactory(code="IZM", name="Izmir Field Office", province=AdminArea.objects.get(pcode="TUR035"))


@pytest.fixture
def caseworker(istanbul):
    return staff(Role.CASEWORKER, istanbul)


@pytest.fixture
def signed_in(context, live_server):
    """`signed_in(user)`: give the browser a session for `user` without going through the form
    (the login form has its own tests); returns the user."""

    def sign_in(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        return user

    return sign_in


def sign_in_with_form(page, url, username: str, password: str = PASSWORD):
    page.goto(url("/login/"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def browser_problems(page):
    """Console errors, uncaught exceptions and Content-Security-Policy violations seen by the page."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"exception: {error}"))
    # Runs before the page's own scripts (injected by the browser, so the CSP does not block it).
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => console.error("
        "`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`"
        "));"
    )
    return problems


def nav_click(page, key: str) -> None:
    """Follow the main bar's entry `key` (its `data-nav`), opening its group's menu first when it sits in one (a
    role with a single entry in a group sees that entry on the bar itself)."""
    link = page.locator(f".mainnav a[data-nav={key}]").first
    group = page.locator(".mainnav details.navgroup").filter(has=page.locator(f"a[data-nav={key}]"))
    if group.count() and not group.first.evaluate("element => element.open"):
        group.first.locator("summary").click()
    link.click()
