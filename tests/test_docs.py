"""The project's documentation (README.md, docs/*.md) says only what is there: every `liman …` command it shows
exists with the subcommand and options it names, every module, object and file it names exists, every link between
the pages leads somewhere, and the code cites the project's own docs rather than files outside the repository.

Read from the text alone (no database, nothing imported but the commands' parsers), so it runs in a second."""

from __future__ import annotations

import argparse
import ast
import re
from functools import cache
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Tokens that end one shell command inside a line (`a && b`, `a | b`).
SEPARATORS = frozenset({"&&", "||", ";", "|", ">", ">>", "2>&1", "&"})
#: A command or subcommand word; placeholders are written in capitals (FILE, CYCLE) and are not words here.
WORD = re.compile(r"[a-z0-9][\w-]*")
INLINE_CODE = re.compile(r"`([^`]+)`")
DOTTED = re.compile(r"(liman(?:\.[A-Za-z_]\w*)+)(?:\(.*\))?")
PATH = re.compile(r"(?:liman|deploy|benchmarks|tests|docs)/[\w./@-]*")
#: Files the pages tell the operator to create: not in the repository.
CREATED_BY_THE_OPERATOR = frozenset({"deploy/.env"})
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
TEXT_SUFFIXES = frozenset({".py", ".md", ".txt", ".html", ".yaml", ".sh", ".toml"})


def code_chunks(page: Path) -> list[tuple[int, str]]:
    """(line number, text) of every piece of code on the page: each line of a fenced block, without its shell
    comment, and each inline code span (joined when it runs over a line break)."""
    chunks: list[tuple[int, str]] = []
    fenced = False
    prose: list[tuple[int, str]] = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            code = re.sub(r"(^|\s)#.*", "", line)
            if code.strip():
                chunks.append((number, code))
        else:
            prose.append((number, line))
    paragraph: list[tuple[int, str]] = []
    for number, line in [*prose, (0, "")]:  # a blank line at the end closes the last paragraph
        if line.strip():
            paragraph.append((number, line))
            continue
        text = "\n".join(text for _number, text in paragraph)
        for match in INLINE_CODE.finditer(text):
            first = paragraph[0][0] + text.count("\n", 0, match.start())
            chunks.append((first, " ".join(match.group(1).split())))
        paragraph = []
    return chunks


def invocations(text: str):
    """(command, the words after it) of every `liman` command in a piece of code: the program named `liman` (or a
    path ending in it), not an argument of an option (`createdb --owner liman`)."""
    tokens = text.split()
    for at, token in enumerate(tokens):
        if token.lstrip("(\"'$").rsplit("/", 1)[-1] != "liman":
            continue
        if at + 1 >= len(tokens) or not WORD.fullmatch(tokens[at + 1]):
            continue
        if at > 0 and tokens[at - 1].startswith("-"):
            continue
        rest = []
        for word in tokens[at + 2 :]:
            if word in SEPARATORS:
                break
            rest.append(word)
        yield tokens[at + 1], rest


def named_commands() -> list[tuple[str, int, str, list[str]]]:
    found = []
    for page in PAGES:
        for number, text in code_chunks(page):
            for command, rest in invocations(text):
                found.append((page.relative_to(ROOT).as_posix(), number, command, rest))
    return found


@cache
def parser_of(command: str) -> argparse.ArgumentParser:
    return load_command_class(get_commands()[command], command).create_parser("liman", command)


def choices_of(parser: argparse.ArgumentParser) -> dict | None:
    """What the first positional argument may be (subcommands, or its choices); None when it is free."""
    for action in parser._actions:
        if not action.option_strings:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
            return dict.fromkeys(action.choices) if action.choices else None
    return None


def command_problems(command: str, rest: list[str]) -> list[str]:
    if command not in get_commands():
        return [f"`liman {command}` is not a command"]
    parser = parser_of(command)
    options = set(parser._option_string_actions)
    choices = choices_of(parser)
    first = rest[0] if rest and WORD.fullmatch(rest[0]) else None
    problems = []
    if choices is not None and first is not None:
        if first not in choices:
            problems.append(f"`liman {command} {first}`: {first} is not one of {', '.join(sorted(choices))}")
        elif isinstance(choices[first], argparse.ArgumentParser):
            options |= set(choices[first]._option_string_actions)
    for word in rest:
        for option in re.findall(r"--[a-z][\w-]*", word):
            if option not in options:
                problems.append(f"`liman {command}`: no option {option}")
    return problems


def test_the_pages_name_commands():
    commands = {command for _page, _line, command, _rest in named_commands()}
    assert {"backup", "restore", "schedule", "audit", "keys", "migrate"} <= commands


def test_every_liman_command_the_docs_show_exists_with_its_subcommand_and_options():
    wrong = [
        f"{page}:{line}: {problem}"
        for page, line, command, rest in named_commands()
        for problem in command_problems(command, rest)
    ]
    assert wrong == []


# --- modules, objects and files -------------------------------------------------------------------------------


def module_file(parts: list[str]) -> Path | None:
    path = ROOT.joinpath(*parts)
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


@cache
def names_in(source: Path) -> dict[str, ast.AST | None]:
    """The names a module defines or imports at its top level (a class maps to its node, to look into it)."""
    names: dict[str, ast.AST | None] = {}
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = None
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update((target.id, None) for target in targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(((alias.asname or alias.name).split(".")[0], None) for alias in node.names)
    return names


def class_names(node: ast.ClassDef) -> set[str]:
    found = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(item.name)
        elif isinstance(item, ast.Assign):
            found.update(target.id for target in item.targets if isinstance(target, ast.Name))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            found.add(item.target.id)
    return found


def dotted_problem(name: str) -> str:
    """Why `liman.x.y.Name` does not exist ("" when it does): the longest module prefix, then its names."""
    parts = name.split(".")
    for end in range(len(parts), 1, -1):
        source = module_file(parts[:end])
        if source is None:
            continue
        rest = parts[end:]
        if not rest:
            return ""
        names = names_in(source)
        if rest[0] not in names:
            return f"{'.'.join(parts[:end])} has no {rest[0]}"
        node = names[rest[0]]
        if len(rest) > 1 and isinstance(node, ast.ClassDef) and rest[1] not in class_names(node):
            return f"{'.'.join(parts[: end + 1])} has no {rest[1]}"
        return ""
    return f"no module {name}"


def named_objects() -> list[tuple[str, int, str]]:
    found = []
    for page in PAGES:
        for number, text in code_chunks(page):
            if match := DOTTED.fullmatch(text):
                found.append((page.relative_to(ROOT).as_posix(), number, match.group(1)))
    return found


def test_every_module_and_object_the_docs_name_exists():
    assert len(named_objects()) > 20
    wrong = [f"{page}:{line}: {problem}" for page, line, name in named_objects() if (problem := dotted_problem(name))]
    assert wrong == []


def test_every_file_the_docs_name_exists():
    wrong = []
    for page in PAGES:
        for number, text in code_chunks(page):
            if PATH.fullmatch(text) and text not in CREATED_BY_THE_OPERATOR and not (ROOT / text).exists():
                wrong.append(f"{page.relative_to(ROOT).as_posix()}:{number}: {text} does not exist")
    assert wrong == []


# --- links ----------------------------------------------------------------------------------------------------


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, as GitHub makes them."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"#{1,6}\s+(.*)", line):
            slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower().replace("`", ""))
            found.add(slug.replace(" ", "-"))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_between_the_pages_leads_somewhere(page):
    wrong = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _hash, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        if not linked.exists():
            wrong.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            wrong.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert wrong == []


def test_the_readme_links_the_three_pages_of_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("docs/architecture.md", "docs/domain.md", "docs/operations.md"):
        assert f"]({name})" in readme, name


def test_the_code_cites_the_projects_own_docs():
    """Guides kept outside the repository are no source for a reader of the code: cite docs/ instead."""
    outside = re.compile("|".join(name + r"\.md" for name in ("DOMAIN", "ARCHITECTURE", "STYLE")))
    wrong = []
    for folder in ("liman", "tests", "benchmarks", "deploy", "docs"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in TEXT_SUFFIXES or path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if outside.search(line):
                    wrong.append(f"{path.relative_to(ROOT).as_posix()}:{number}")
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    wrong += [f"README.md:{number}" for number, line in enumerate(readme, start=1) if outside.search(line)]
    assert wrong == []
