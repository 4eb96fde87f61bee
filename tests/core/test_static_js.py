"""Every string from data reaches the DOM as text: no script of ours hands Leaflet or the DOM an HTML string.

A static check over every .js file under liman/*/static/ (vendored libraries aside): HTML sinks are refused
outright, and Leaflet's tooltips and popups (which set a string as innerHTML) must be given a text node
(`asText(...)`, built with textContent).
"""

import re
from pathlib import Path

import pytest

LIMAN = Path(__file__).resolve().parents[2] / "liman"
SCRIPTS = sorted(path for path in LIMAN.glob("*/static/**/*.js") if "vendor" not in path.relative_to(LIMAN).parts)

HTML_SINKS = re.compile(
    r"\.(innerHTML|outerHTML)\s*[+]?=|\.insertAdjacentHTML\s*\(|document\.write(ln)?\s*\(|\.createContextualFragment\s*\("
    r"|\bDOMParser\b|\.html\s*\("
)
#: Leaflet methods that render a string argument as HTML.
LEAFLET_CONTENT = re.compile(r"\.(bindTooltip|bindPopup|setTooltipContent|setPopupContent|setContent)\s*\(\s*")


def test_there_are_scripts_to_check():
    assert any(path.name == "dashboard.js" for path in SCRIPTS) and any(path.name == "map.js" for path in SCRIPTS)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: str(path.relative_to(LIMAN)))
def test_no_script_writes_html_strings_into_the_page(path):
    source = path.read_text(encoding="utf-8")
    found = [match.group(0) for match in HTML_SINKS.finditer(source)]
    assert not found, f"{path.name} writes HTML: {found}; build nodes and set textContent"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: str(path.relative_to(LIMAN)))
def test_leaflet_tooltips_and_popups_get_text_nodes(path):
    source = path.read_text(encoding="utf-8")
    for match in LEAFLET_CONTENT.finditer(source):
        argument = source[match.end() : match.end() + 40]
        line = source.count("\n", 0, match.start()) + 1
        assert re.match(r"([\w.]+\.)?asText\(", argument), (
            f"{path.name}:{line}: {match.group(1)} is given {argument!r}…; Leaflet renders a string as HTML, "
            "give it asText(…)"
        )


def test_the_check_catches_a_tooltip_built_from_a_string():
    source = "marker.bindTooltip(`${site.name}: ${n}`);"
    match = LEAFLET_CONTENT.search(source)
    assert match and not re.match(r"([\w.]+\.)?asText\(", source[match.end() :])
    assert HTML_SINKS.search("box.innerHTML = name;") and HTML_SINKS.search("el.insertAdjacentHTML('beforeend', x)")
