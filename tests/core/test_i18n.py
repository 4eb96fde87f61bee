"""Translations: the Turkish and Arabic catalogues are complete, consistent with their source strings and
compiled, and the pages come out in the reader's language and direction.

Refresh the catalogues with `make messages` (makemessages, then compilemessages) after adding strings.
"""

from __future__ import annotations

import gettext
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from liman.core.choices import Role
from tests.factories import staff

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
ARABIC_PLURAL_FORMS = (
    "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5;"
)
#: msgids whose translation is, on purpose, the English text (terms of the field kept as they are).
SAME_AS_SOURCE = {"p-code", "XForm", "XLSForm", "WG-SS"}
#: msgids whose translation in one language is spelled as the English text (the same word in that language).
SAME_IN_LANGUAGE = {"tr": {"Form", "form", "Transit", "%(mb).1f MB"}}
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- a tiny .po reader (polib is not a dependency) -----------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def read_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    entry, key = Entry(line=1), None

    def flush():
        nonlocal entry, key
        if key is not None:
            entries.append(entry)
        entry, key = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if not line:
            flush()
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, value = match.groups()
            if keyword in ("msgid", "msgctxt") and key is not None and key[0] == "msgstr":
                flush()  # entries not separated by a blank line
            if not entry.line:
                entry.line = number
            if keyword.startswith("msgstr"):
                key = ("msgstr", int(index or 0))
                entry.msgstr[key[1]] = _unquote(value)
            else:
                key = (keyword, None)
                setattr(entry, keyword, _unquote(value))
            continue
        assert line.startswith('"') and key is not None, f"{path}:{number}: cannot read {raw!r}"
        if key[0] == "msgstr":
            entry.msgstr[key[1]] += _unquote(line)
        else:
            setattr(entry, key[0], (getattr(entry, key[0]) or "") + _unquote(line))
    flush()
    return entries


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def header(language: str) -> dict[str, str]:
    first = read_po(po_path(language))[0]
    assert first.msgid == "" and first.msgctxt is None, "the catalogue starts with its header"
    return dict(line.split(":", 1) for line in first.msgstr[0].splitlines() if ":" in line) | {
        "#flags": " ".join(sorted(first.flags))
    }


def messages(language: str) -> list[Entry]:
    return [entry for entry in read_po(po_path(language)) if entry.msgid and not entry.obsolete]


def nplurals(language: str) -> int:
    return int(re.search(r"nplurals\s*=\s*(\d+)", header(language)["Plural-Forms"]).group(1))


_NAMED = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_POSITIONAL = re.compile(r"%(?!\()[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_BRACES = re.compile(r"\{(\w*)\}")


def placeholders(text: str, flags: set[str]) -> list[str]:
    text = text.replace("%%", "")
    found = [f"%({name})" for name in _NAMED.findall(text)]
    if "python-format" in flags:
        found += ["%"] * len(_POSITIONAL.findall(text))
    if "python-brace-format" in flags:
        found += [f"{{{name}}}" for name in _BRACES.findall(text)]
    return sorted(found)


# --- the catalogues -----------------------------------------------------------------------------------------


def test_every_language_but_the_source_has_a_catalogue_in_locale_paths():
    assert LANGUAGES == ["tr", "ar"]
    for language in LANGUAGES:
        assert po_path(language).is_file(), f"run `make messages`: {po_path(language)} is missing"
        assert po_path(language).with_suffix(".mo").is_file(), f"run `make messages`: no compiled {language} catalogue"


def test_no_catalogue_is_left_in_an_app_locale_directory():
    """makemessages writes into any `locale/` directory it meets under liman/ instead of LOCALE_PATHS; the
    project keeps a single catalogue per language, so a stray one means strings went to the wrong place."""
    strays = [path for path in Path(settings.BASE_DIR, "liman").rglob("*.po") if LOCALE_DIR not in path.parents]
    assert strays == [], "catalogues outside LOCALE_PATHS: delete that locale/ directory, rerun `make messages`"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_header_names_the_language_its_charset_and_plural_forms(language):
    values = {key.strip(): value.strip() for key, value in header(language).items()}
    assert values["Language"] == language
    assert values["Content-Type"] == "text/plain; charset=UTF-8"
    assert "fuzzy" not in values["#flags"], "a fuzzy header makes msgfmt skip the whole catalogue's metadata"
    if language == "ar":
        assert values["Plural-Forms"] == ARABIC_PLURAL_FORMS
    else:
        assert nplurals(language) == 2


def test_the_arabic_plural_rule_picks_the_six_forms():
    rule = gettext.c2py(ARABIC_PLURAL_FORMS.split("plural=", 1)[1].rstrip(";"))
    expected = {0: 0, 1: 1, 2: 2, 3: 3, 10: 3, 11: 4, 99: 4, 100: 5, 101: 5, 102: 5, 103: 3, 111: 4, 1000: 5}
    assert {n: rule(n) for n in expected} == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    entries = messages(language)
    assert len(entries) > 100, "the catalogue looks truncated"
    fuzzy = [str(entry) for entry in entries if "fuzzy" in entry.flags]
    assert fuzzy == [], "fuzzy entries are not used at run time; review them and drop the flag"
    forms = nplurals(language)
    untranslated = []
    for entry in entries:
        expected = range(forms) if entry.msgid_plural is not None else range(1)
        if sorted(entry.msgstr) != list(expected) or not all(entry.msgstr[i].strip() for i in expected):
            untranslated.append(str(entry))
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_are_not_the_english_text(language):
    copied = [
        str(entry)
        for entry in messages(language)
        if entry.msgid not in SAME_AS_SOURCE | SAME_IN_LANGUAGE.get(language, set())
        and entry.msgstr.get(0, "").strip() == entry.msgid.strip()
    ]
    assert copied == [], "translate these, or add them to SAME_AS_SOURCE if the English term is meant"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_source(language):
    wrong = []
    for entry in messages(language):
        if entry.msgid_plural is None:
            if placeholders(entry.msgstr[0], entry.flags) != placeholders(entry.msgid, entry.flags):
                wrong.append(str(entry))
            continue
        # A plural form may leave out the number (Arabic says "one file" / "two files" without a digit),
        # but may not bring in a placeholder the source does not have.
        allowed = set(placeholders(entry.msgid, entry.flags)) | set(placeholders(entry.msgid_plural, entry.flags))
        if any(not set(placeholders(text, entry.flags)) <= allowed for text in entry.msgstr.values()):
            wrong.append(str(entry))
        if placeholders(entry.msgstr[nplurals(language) - 1], entry.flags) != placeholders(
            entry.msgid_plural, entry.flags
        ):
            wrong.append(f"{entry} (last plural form)")
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(language):
    """A forgotten `compilemessages` fails here. (File times are not compared: a git checkout does not keep
    them, so a fresh clone could show the .mo as older than the .po it was compiled from.)"""
    with po_path(language).with_suffix(".mo").open("rb") as mo:
        compiled = dict(gettext.GNUTranslations(mo)._catalog)
    compiled.pop("", None)  # the header
    expected = {}
    for entry in messages(language):
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstr[0]
        else:
            expected.update({(msgid, index): text for index, text in entry.msgstr.items()})
    stale = sorted(str(key) for key in expected.keys() ^ compiled.keys()) + sorted(
        str(key) for key in expected.keys() & compiled.keys() if expected[key] != compiled[key]
    )
    assert stale == [], f"{language}: the .mo file is out of date, run `make messages` (or compilemessages)"


# --- the pages ----------------------------------------------------------------------------------------------


def translated(language: str, msgid: str) -> str:
    """The catalogue's translation, as `{% translate %}` prints it (the translation of a template literal is
    safe, so an apostrophe, as in "Liman'da", stays as it is)."""
    with translation.override(language):
        text = translation.gettext(msgid)
    assert text != msgid, f"{msgid!r} has no {language} translation at run time"
    return text


@pytest.mark.django_db
def test_the_login_page_is_in_english_and_left_to_right_by_default(client):
    page = client.get(reverse("core:login")).content.decode()
    assert '<html lang="en" dir="ltr">' in page
    assert "Sign in to Liman" in page


@pytest.mark.django_db
def test_the_login_page_in_arabic_is_right_to_left(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    page = client.get(reverse("core:login")).content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert translated("ar", "Sign in to Liman") in page
    assert "كلمة المرور" in page  # "Password"
    assert "Sign in to Liman" not in page


@pytest.mark.django_db
def test_the_login_page_in_turkish_is_left_to_right(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    page = client.get(reverse("core:login")).content.decode()
    assert '<html lang="tr" dir="ltr">' in page
    assert translated("tr", "Sign in to Liman") in page
    assert "Parola" in page  # "Password"
    assert "Sign in to Liman" not in page


@pytest.mark.django_db
def test_the_browser_language_is_used_without_a_cookie(client):
    page = client.get(reverse("core:login"), HTTP_ACCEPT_LANGUAGE="ar-SY,ar;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="ar" dir="rtl">' in page


def menu(page: str) -> list[tuple[str, str]]:
    """The main menu's entries as (key, label) pairs, in order."""
    nav = re.search(r'<nav class="mainnav".*?</nav>', page, re.S)
    assert nav, "the page has no main menu"
    entries = re.findall(r'<a [^>]*data-nav="([^"]+)"[^>]*>([^<]+)</a>', nav.group(0))
    return [(key, html.unescape(label).strip()) for key, label in entries]


def assert_navigation_is_translated(client, language: str, page: str) -> None:
    """Every menu entry the signed-in user sees is the catalogue's translation of its English label, and none is
    left in English. The menu grows as apps add entries, so the test reads the English menu of the same user
    rather than a fixed list."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = settings.LANGUAGE_CODE
    english = menu(client.get(reverse("core:home")).content.decode())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    shown = menu(page)
    assert "home" in dict(english), "the menu always starts at Home"
    assert [key for key, _label in shown] == [key for key, _label in english], "the same entries in every language"
    left_in_english = [label for (_key, label), (_k, source) in zip(shown, english, strict=True) if label == source]
    assert left_in_english == [], f"menu labels not translated into {language}"
    assert shown == [(key, translated(language, source)) for key, source in english]


@pytest.mark.django_db
def test_a_caseworkers_home_page_in_turkish_has_turkish_navigation(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul), backend=MODEL_BACKEND)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    page = client.get(reverse("core:home")).content.decode()
    assert_navigation_is_translated(client, "tr", page)
    assert translated("tr", "Sign out") in page
    assert translated("tr", "Your roles") in page
    assert "Vaka çalışanı" in page  # the role, from a lazily translated choice
    assert "Hoş geldiniz" in page


@pytest.mark.django_db
def test_the_arabic_home_page_is_right_to_left_with_arabic_navigation(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul), backend=MODEL_BACKEND)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    page = client.get(reverse("core:home")).content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert_navigation_is_translated(client, "ar", page)
    assert "مسؤول الحالة" in page  # Caseworker


@pytest.mark.django_db
def test_the_language_switcher_sets_the_language(client):
    response = client.post(reverse("set_language"), {"language": "tr", "next": reverse("core:login")})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "tr"
    assert '<html lang="tr" dir="ltr">' in client.get(reverse("core:login")).content.decode()


@pytest.mark.django_db
def test_signing_in_switches_to_the_users_preferred_language(client, istanbul):
    user = staff(Role.CASEWORKER, istanbul)
    user.preferred_language = "ar"
    user.save(update_fields=["preferred_language"])
    response = client.post(reverse("core:login"), {"username": user.username, "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    assert '<html lang="ar" dir="rtl">' in client.get(response.url).content.decode()
