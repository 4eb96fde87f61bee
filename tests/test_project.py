"""Project hygiene that CI must hold: lint, format, migrations in step with models."""

import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).with_name("ruff")


def test_ruff_finds_nothing():
    result = subprocess.run([str(RUFF), "check", "liman", "tests"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_code_is_formatted():
    result = subprocess.run(
        [str(RUFF), "format", "--check", "liman", "tests"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def test_settings_defaults_live_in_settings_py_only():
    """A `getattr(settings, "LIMAN_…", default)` restates a default that settings.py already holds, and the two
    drift apart (the record-linkage thresholds once did): read `settings.LIMAN_…` instead."""
    restated = re.compile(r"""getattr\(\s*(?:django_)?settings\s*,\s*["']LIMAN_\w+["']\s*,""")
    found = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
        for path in sorted((ROOT / "liman").rglob("*.py"))
        for text in [path.read_text(encoding="utf-8")]
        for match in restated.finditer(text)
    ]
    assert not found, "define the setting in liman/settings.py and read settings.LIMAN_…: " + ", ".join(found)


def test_every_setting_is_named_in_the_env_example():
    read = set(re.findall(r"""env_\w+\(\s*["']([A-Z_]+)["']""", (ROOT / "liman" / "settings.py").read_text()))
    named = set(re.findall(r"^#? ?([A-Z][A-Z_]+)=", (ROOT / "deploy" / ".env.example").read_text(), re.MULTILINE))
    assert read - named == set(), "settings missing from deploy/.env.example"
