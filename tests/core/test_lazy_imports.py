"""A web process does not load record linkage's heavy libraries (Splink, DuckDB, pyarrow: about a third of a second
and tens of MB per gunicorn worker): they load where linkage runs (liman/dedup/engine.py's functions). Nor does it
load the demo: its name lists, generators and seeders are imported by `liman seed` alone (core.seeding)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("splink", "duckdb", "pyarrow")

SCRIPT = """
import importlib, importlib.util, json, re, sys
import django
django.setup()
from django.apps import apps
import liman.urls
imported = []
for config in apps.get_app_configs():
    if not config.name.startswith("liman."):
        continue
    for part in ("urls", "api_urls", "views", "api", "forms", "selectors", "services", "tasks", "checks"):
        name = f"{config.name}.{part}"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            imported.append(name)
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1:]))
demo = sorted(name for name in sys.modules if re.fullmatch(r"liman\\.\\w+\\.(demo|demo_data|synthetic)", name))
print(json.dumps({"imported": imported, "loaded": loaded, "demo": demo}))
"""


@pytest.fixture(scope="module")
def web_process(tmp_path_factory):
    """What a process that serves every app's pages, API and tasks has imported."""
    folder = tmp_path_factory.mktemp("web")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liman.settings",
        "LIMAN_VAR_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'unused.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *HEAVY],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert "liman.dedup.views" in outcome["imported"] and "liman.registry.api" in outcome["imported"]
    return outcome


def test_a_web_process_loads_no_record_linkage_library(web_process):
    assert web_process["loaded"] == [], f"a web process imports {web_process['loaded']}: import them where linkage runs"


def test_a_web_process_loads_no_demo_module(web_process):
    assert web_process["demo"] == [], (
        f"a web process imports {web_process['demo']}: declare seeders by dotted path (core.seeding)"
    )


def test_every_declared_seeder_and_login_note_imports():
    from liman.core import seeding

    names = [name for name, _seeder in seeding.seeders()]
    assert names[0] == "core" and names.index("privacy-agreements") < names.index("cases")
    assert all(callable(notes) for notes in seeding.login_notes())


def test_the_linkage_functions_still_load_them_when_they_run():
    from liman.dedup import engine

    records = [
        {"record_id": "1", "first_name": "Ahmad", "family_name": "Haddad", "birth_date": "1990-01-02", "sex": "M"},
        {"record_id": "2", "first_name": "Ahmed", "family_name": "Hadad", "birth_date": "1990-01-02", "sex": "M"},
    ]
    con = engine._connect(threads=1)
    try:
        engine.load_records(con, records, "people")
        assert con.execute("SELECT count(*) FROM people").fetchone() == (2,)
    finally:
        con.close()
    assert {"duckdb", "pyarrow"} <= set(sys.modules)
