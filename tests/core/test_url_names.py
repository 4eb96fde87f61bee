"""Web URL names live in their app's namespace (`app_name` in liman/<app>/urls.py: `reverse("registry:person-detail")`),
so two apps cannot take the same name and a name says whose page it is. The API has its own namespaces ("api",
"api-registry", ...); the root URL conf keeps its own few names (`set_language`, `api-schema`).

A name without its namespace fails at the first request that reverses it; these checks fail at once instead: the
URL conf itself, the names templates and Python code give literally, and the names apps register as data
(navigation, lists, home figures, settings)."""

import ast
import re
from pathlib import Path

from django.conf import settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from liman.core import lists, navigation
from liman.core.selectors import HOME_FIGURES

LIMAN = Path(__file__).resolve().parents[2] / "liman"
TEMPLATE_URL = re.compile(r"""\{%\s*url\s+(['"])([^'"]+)\1""")
REVERSERS = {"reverse", "reverse_lazy", "redirect", "resolve_url"}
#: The project's URL conf (the tests' own adds a test app's routes to it).
PROJECT_URLCONF = "liman.urls"
NAME_SETTINGS = ("LOGIN_URL", "LOGIN_REDIRECT_URL", "LOGOUT_REDIRECT_URL")


def root_names() -> set[str]:
    """Names of the root URL conf's own routes: the only names outside a namespace."""
    return {entry.name for entry in get_resolver().url_patterns if isinstance(entry, URLPattern) and entry.name}


def known_names() -> set[str]:
    """Every name that reverses, with its namespaces (`"registry:person-detail"`)."""
    names = set(root_names())

    def walk(patterns, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
            elif entry.name:
                names.add(namespace + entry.name)

    walk(get_resolver().url_patterns, "")
    return names


def namespaced(name: str, known: set[str]) -> bool:
    """A name that reverses and is either app:name or one of the root URL conf's own."""
    return name in known and (":" in name or name in root_names())


def test_every_named_web_route_is_in_its_apps_namespace():
    outside, misnamed = [], []

    def walk(patterns, namespace: str | None, module: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                urlconf = getattr(entry.urlconf_name, "__name__", entry.urlconf_name)
                urlconf = urlconf if isinstance(urlconf, str) else module
                if entry.namespace and re.fullmatch(r"liman\.\w+\.urls", urlconf):
                    app = urlconf.split(".")[1]
                    if entry.namespace != app:
                        misnamed.append(f"{urlconf}: namespace {entry.namespace!r}, not {app!r}")
                walk(entry.url_patterns, entry.namespace or namespace, urlconf)
            elif entry.name and namespace is None and module != PROJECT_URLCONF:
                outside.append(f"{module}: {entry.name}")

    walk(get_resolver(PROJECT_URLCONF).url_patterns, None, PROJECT_URLCONF)
    assert outside == [], "named routes outside a namespace (app_name in the app's urls.py)"
    assert misnamed == []
    assert len(known_names()) > 300


def test_templates_name_urls_with_their_namespace():
    known = known_names()
    wrong = []
    for path in sorted(LIMAN.glob("*/templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for match in TEMPLATE_URL.finditer(text):
            if not namespaced(match.group(2), known):
                line = text.count("\n", 0, match.start()) + 1
                wrong.append(f"{path.relative_to(LIMAN.parent)}:{line}: {match.group(2)}")
    assert wrong == [], "{% url %} of a name that is not app:name (or a root URL conf name)"


def literal_names(tree: ast.AST):
    """The literal URL names Python code reverses: the first argument of reverse and its kin (an f-string: its
    literal start)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        callee = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if callee not in REVERSERS:
            continue
        arguments = node.args[:1] + [kw.value for kw in node.keywords if kw.arg in ("viewname", "to")]
        for argument in arguments:
            candidates = [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
            for value in candidates:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield node.lineno, value.value, False
                elif isinstance(value, ast.JoinedStr) and value.values and isinstance(value.values[0], ast.Constant):
                    yield node.lineno, value.values[0].value, True


def test_python_reverses_names_with_their_namespace():
    known, roots = known_names(), root_names()
    wrong = []
    for path in sorted(LIMAN.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, name, is_start in literal_names(ast.parse(path.read_text(encoding="utf-8"))):
            if "/" in name or name.startswith(("http", "#", "?")):
                continue  # a path, not a name
            ok = (":" in name or name in roots) if is_start else namespaced(name, known)
            if not ok:
                wrong.append(f"{path.relative_to(LIMAN.parent)}:{line}: {name}")
    assert wrong == [], "reverse/redirect of a name that is not app:name"


def test_names_registered_as_data_are_namespaced_and_reverse():
    names = [("navigation", item.url_name) for item in navigation.NAV_ITEMS]
    names += [("list", spec.url_name) for spec in lists.registered().values()]
    names += [
        ("list export", f"{spec.export_url_name}-{fmt}")
        for spec in lists.registered().values()
        if spec.export_url_name
        for fmt in lists.EXPORT_FORMATS
    ]
    names += [("home figure", figure.url.partition("?")[0]) for figure in HOME_FIGURES if figure.url]
    names += [
        (setting, getattr(settings, setting)) for setting in ("LOGIN_URL", "LOGIN_REDIRECT_URL", "LOGOUT_REDIRECT_URL")
    ]
    assert len(names) > 60
    wrong = []
    for where, name in names:
        if ":" not in name:
            wrong.append(f"{where}: {name}")
            continue
        try:
            reverse(name)
        except NoReverseMatch as error:
            wrong.append(f"{where}: {name}: {error}")
    assert wrong == []
