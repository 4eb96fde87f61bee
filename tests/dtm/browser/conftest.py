"""Browser tests of field data, with the browser set-up of tests/e2e: its fixtures, private ones included,
and its hooks, applied to this directory (a change there applies here too)."""

from pathlib import Path

import pytest

from tests.e2e import conftest as e2e

HERE = Path(__file__).resolve().parent

globals().update(
    {
        name: value
        for name, value in vars(e2e).items()
        if not name.startswith("__") and name != "pytest_collection_modifyitems"
    }
)


def pytest_collection_modifyitems(config, items):
    """Skip these tests when there is no browser, unless CI requires one (then they fail), as tests/e2e does."""
    if e2e.CHROMIUM.exists() or e2e.browser_required():
        return
    skip = pytest.mark.skip(reason=f"{e2e.MISSING_BROWSER} Set LIMAN_REQUIRE_BROWSER=1 to make this a failure.")
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)
