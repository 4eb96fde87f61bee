"""Apps are ordered (settings.INSTALLED_APPS): an app imports only apps before it, never one after it, so there are
no cycles and each app can be read without the ones above it. An app that needs something of a later app asks
through a registry in core (measures, sections, messages, the data-sharing guard) instead. The imports below break
the rule today, each for its reason; a new one fails here."""

import ast
from pathlib import Path

from django.conf import settings

LIMAN = Path(__file__).resolve().parents[2] / "liman"

#: (importing module, imported module): why, until it becomes a hook in core.
KNOWN = {
    ("liman/registry/merge.py", "liman.dedup.services"): "undoing a merge reopens its duplicate pair",
    ("liman/cash/sections.py", "liman.feedback.permissions"): "the household's complaints beside its payments",
    ("liman/cash/demo.py", "liman.dtm"): "the demo publishes the post-distribution monitoring form",
    ("liman/cash/pdm.py", "liman.dtm"): "the post-distribution monitoring form is published through field data",
    ("liman/cash/pdm.py", "liman.dtm.models"): "the post-distribution monitoring form is published through field data",
    ("liman/livelihoods/services.py", "liman.dtm"): "the monitoring-visit form is published through field data",
    ("liman/livelihoods/services.py", "liman.dtm.models"): "the monitoring-visit form is published through field data",
}


def app_order() -> list[str]:
    apps = [name.split(".")[1] for name in settings.INSTALLED_APPS if name.startswith("liman.")]
    return list(dict.fromkeys(apps))


def imports_of(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):  # at the top and inside functions alike
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def app_files():
    """(app, its position in the order, a module of it, the module's path from the repository) for every app."""
    for at, app in enumerate(app_order()):
        for path in sorted((LIMAN / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, at, path, path.relative_to(LIMAN.parent).as_posix()


def test_no_app_imports_an_app_after_it():
    position = {app: at for at, app in enumerate(app_order())}
    wrong = []
    for app, at, path, name in app_files():
        for line, module in imports_of(path):
            parts = module.split(".")
            if parts[0] != "liman" or len(parts) < 2 or position.get(parts[1], -1) <= at:
                continue
            if (name, module) not in KNOWN:
                wrong.append(f"{name}:{line} imports {module} ({parts[1]} comes after {app})")
    assert wrong == []


def test_every_known_exception_is_still_there():
    found = {
        (path.relative_to(LIMAN.parent).as_posix(), module)
        for path, _module in {(LIMAN.parent / name, module) for name, module in KNOWN}
        for _line, module in imports_of(path)
    }
    assert set(KNOWN) - found == set(), "an exception is gone: take it out of KNOWN"


def models_named_in(path: Path):
    """Models looked up by a literal app label (`apps.get_model("cases", "Case")`): an import in all but name."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get_model"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value.split(".")[0]


def test_no_app_looks_up_a_model_of_an_app_after_it():
    position = {app: at for at, app in enumerate(app_order())}
    wrong = [
        f"{name}:{line} looks up a model of {label} ({label} comes after {app})"
        for app, at, path, name in app_files()
        for line, label in models_named_in(path)
        if position.get(label, -1) > at
    ]
    assert wrong == []
