"""Would ODK Collect open this form, and could an enumerator fill it in? Said in a form author's words.

Two checks run on the XForm pyxform made, after pyxform's own:
- JavaRosa's (`javarosa.py`), the engine ODK Collect runs: its messages name XForm paths (`/data/g/n`) and parser
  internals; here they become the question's name and the row of the survey sheet it was written on, and which
  column (relevant, calculation, constraint, …) holds the fault.
- Liman's, for two faults JavaRosa lets through although the form cannot be filled in: a choice_filter on a column
  the choice list does not have (the question offers no choices), and a repeat count taken from a question asked
  later or inside the repeat (the count is empty when Collect reaches the repeat: no entries).

Nothing of Django but translations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from defusedxml import ElementTree
from django.utils.translation import gettext as _

from . import javarosa
from .choices import JavaRosaCheck
from .xlsform import XLSFormError

JR_NS = "http://openrosa.org/javarosa"
_GROUP_STARTS = ("begin group", "begin repeat")
_GROUP_ENDS = ("end group", "end repeat")
#: The columns of the survey sheet that hold each kind of expression (pyxform's aliases included).
_COLUMNS = {
    "relevant": ("relevant", "relevance", "bind::relevant"),
    "required": ("required", "bind::required"),
    "read_only": ("read_only", "readonly", "bind::readonly"),
    "constraint": ("constraint", "bind::constraint"),
    "calculation": ("calculation", "calculate", "bind::calculate"),
    "choice_filter": ("choice_filter",),
    "repeat_count": ("repeat_count", "jr:count", "count", "control::jr:count"),
}
_CONDITION_KINDS = {"display": "relevant", "require": "required", "readonly": "read_only"}
_XPATH_OPERATORS = frozenset({"and", "or", "div", "mod"})
_NAME = re.compile(r"[A-Za-z_][\w.\-]*")


@dataclass(frozen=True)
class Question:
    """One row of the survey sheet that makes a node of the XForm (a question, a group or a repeat)."""

    name: str
    path: str  # relative to the instance root: "group/name"
    row: int
    kind: str  # the type column, normalised: "integer", "begin repeat", "select_one district"
    cells: dict[str, str]  # header (lower-case) -> value

    def column(self, kind: str) -> tuple[str, str]:
        """The header and value of the cell holding `kind` (relevant, calculation, …), or ("", "")."""
        for header in _COLUMNS.get(kind, (kind,)):
            if self.cells.get(header):
                return header, self.cells[header]
        return "", ""


@dataclass(frozen=True)
class Problem:
    """Why ODK Collect could not use the form, said for its author; where it is when known."""

    message: str
    question: str = ""
    row: int | None = None
    sheet: str = "survey"
    found_by: str = "JavaRosa"


@dataclass
class FormCheck:
    """The outcome for one XForm: JavaRosa's state, every problem found, JavaRosa's warnings on a form it accepts,
    and why JavaRosa did not check it (when it did not)."""

    javarosa: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def is_refused(self) -> bool:
        return bool(self.problems)


def _kind(value) -> str:
    return " ".join(str(value or "").replace("_", " ").split()).lower()


def survey_questions(survey: list[dict]) -> dict[str, Question]:
    """The survey sheet's rows by the path of the node each makes (row 1 holds the headers; pyxform keeps the
    empty rows, so a row's index is its place on the sheet)."""
    questions: dict[str, Question] = {}
    groups: list[str] = []
    for index, row in enumerate(survey or [], start=2):
        cells = {str(key).strip().lower(): str(value).strip() for key, value in row.items() if value is not None}
        kind = _kind(cells.get("type"))
        name = cells.get("name", "")
        if kind in _GROUP_ENDS:
            if groups:
                groups.pop()
            continue
        if not name:
            continue
        path = "/".join([*groups, name])
        questions[path] = Question(name=name, path=path, row=index, kind=kind, cells=cells)
        if kind in _GROUP_STARTS:
            groups.append(name)
    return questions


def _where(question: Question | None, fallback: str = "") -> str:
    if question is None:
        return f"'{fallback}'" if fallback else _("a question")
    return _("'%(name)s' (row %(row)s of the survey sheet)") % {"name": question.name, "row": question.row}


# --- the XForm, read ----------------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _XForm:
    """What the checks need of an XForm: its root name, binds, body order, itemsets and choice lists."""

    def __init__(self, xml: str):
        root = ElementTree.fromstring(xml.encode())
        model = next(el for el in root.iter() if _local(el.tag) == "model")
        primary = next(el for el in model if _local(el.tag) == "instance" and not el.get("id"))
        self.root_name = _local(next(iter(primary)).tag)
        self.prefix = f"/{self.root_name}/"
        self.calculations: dict[str, str] = {}
        #: What each node's calculation and conditions read (JavaRosa's dependency graph, as far as binds say).
        self.depends_on: dict[str, set[str]] = {}
        for bind in model:
            if _local(bind.tag) != "bind":
                continue
            path = self.relative(bind.get("nodeset", ""))
            if bind.get("calculate") is not None:
                self.calculations[path] = bind.get("calculate", "")
            for attribute in ("calculate", "relevant", "required", "readonly"):
                expression = bind.get(attribute) or ""
                if expression and expression not in ("true()", "false()"):
                    self.depends_on.setdefault(path, set()).update(self.references(expression, path))
        self.lists: dict[str, set[str] | None] = {}
        for instance in model:
            if _local(instance.tag) == "instance" and instance.get("id"):
                if instance.get("src"):
                    self.lists[instance.get("id")] = None  # an external file: its columns are not known here
                    continue
                columns: set[str] = set()
                for item in instance.iter():
                    if _local(item.tag) == "item":
                        columns.update(_local(child.tag) for child in item)
                self.lists[instance.get("id")] = columns
        self.order: dict[str, int] = {}
        self.repeats: list[tuple[str, str]] = []  # (path, jr:count)
        self.itemsets: list[tuple[str, str]] = []  # (question path, nodeset)
        body = next((el for el in root.iter() if _local(el.tag) == "body"), None)
        for element in body.iter() if body is not None else []:
            tag = _local(element.tag)
            ref = element.get("ref") or element.get("nodeset") or ""
            if ref.startswith(self.prefix) and tag != "itemset":
                self.order.setdefault(self.relative(ref), len(self.order))
            if tag == "repeat" and element.get(f"{{{JR_NS}}}count"):
                self.repeats.append((self.relative(ref), element.get(f"{{{JR_NS}}}count")))
            if tag in ("select", "select1", "rank"):
                itemset = next((child for child in element if _local(child.tag) == "itemset"), None)
                if itemset is not None and ref.startswith(self.prefix):
                    self.itemsets.append((self.relative(ref), itemset.get("nodeset", "")))

    def on_a_cycle(self, paths: list[str]) -> list[str]:
        """Those of `paths` whose calculation or conditions come back to themselves."""
        looping = []
        for start in paths:
            seen: set[str] = set()
            todo = list(self.depends_on.get(start, ()))
            while todo:
                node = todo.pop()
                if node == start:
                    looping.append(start)
                    break
                if node not in seen:
                    seen.add(node)
                    todo.extend(self.depends_on.get(node, ()))
        return looping

    def relative(self, path: str) -> str:
        path = path.strip()
        return path[len(self.prefix) :] if path.startswith(self.prefix) else path

    def references(self, expression: str, context: str) -> list[str]:
        """The nodes an expression reads: absolute paths, and `../x` relative to `context` (pyxform's form for a
        question of the same repeat)."""
        found = [self.relative(p) for p in re.findall(rf"{re.escape(self.prefix)}[\w.\-/]+", expression)]
        for ups, rest in re.findall(r"(?<![\w)/])(?:current\(\)/)?((?:\.\./)+)([\w.\-/]+)", expression):
            base = context.split("/")[: -ups.count("..")]
            found.append("/".join([*base, rest]))
        return found


# --- Liman's checks -------------------------------------------------------------------------------------------


def _bracketed(text: str, start: int) -> str:
    """The text inside the brackets opening at `start` (`[` at text[start - 1])."""
    depth, quote = 1, ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return text[start:index]
    return text[start:]


def filter_columns(predicate: str) -> list[str]:
    """The names a choice filter reads from each choice (`region = /data/province` -> ["region"]): bare names,
    not functions, operators, paths, attributes or quoted text."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", lambda m: " " * len(m.group()), predicate)
    names: list[str] = []
    for match in _NAME.finditer(text):
        name = match.group()
        before = text[: match.start()].rstrip()[-1:]
        after = text[match.end() :].lstrip()
        if before in ("/", "@", "$", ":") or name in _XPATH_OPERATORS or name[0].isdigit():
            continue
        if after.startswith("(") or after.startswith("::") or after.startswith(":"):
            continue
        if name not in names:
            names.append(name)
    return names


def _choice_filter_problems(form: _XForm, questions: dict[str, Question]) -> list[Problem]:
    problems = []
    for path, nodeset in form.itemsets:
        match = re.search(r"instance\('([^']+)'\)/root/item\[", nodeset)
        if match is None:
            continue
        list_name = match.group(1)
        columns = form.lists.get(list_name)
        if not columns:
            continue
        question = questions.get(path)
        for name in filter_columns(_bracketed(nodeset, match.end())):
            if name in columns:
                continue
            shown = sorted(column for column in columns if column != "itextId")
            problems.append(
                Problem(
                    _(
                        "The choice_filter of question %(question)s uses the column '%(column)s', which the list "
                        "'%(list)s' on the choices sheet does not have (its columns: %(columns)s): ODK Collect would "
                        "offer no choices. Add the column to the choices sheet, or correct the filter."
                    )
                    % {
                        "question": _where(question, path),
                        "column": name,
                        "list": list_name,
                        "columns": ", ".join(shown),
                    },  # fmt: skip
                    question=question.name if question else path,
                    row=question.row if question else None,
                    found_by="Liman",
                )
            )
    return problems


def _asked_after(form: _XForm, repeat: str, path: str, seen: set[str]) -> tuple[str, str] | None:
    """(the question asked at or after the repeat that `path` depends on, the calculation in between) or None."""
    if path in seen:
        return None
    seen.add(path)
    if path in form.calculations:
        for reference in form.references(form.calculations[path], path):
            found = _asked_after(form, repeat, reference, seen)
            if found is not None:
                return found[0], found[1] or path
        return None
    if path in form.order and form.order[path] > form.order.get(repeat, -1):
        return path, ""
    return None


def _repeat_count_problems(form: _XForm, questions: dict[str, Question]) -> list[Problem]:
    problems = []
    for repeat_path, count in form.repeats:
        for reference in form.references(count, repeat_path):
            found = _asked_after(form, repeat_path, reference, set())
            if found is None:
                continue
            later_path, via_path = found
            repeat, later, via = questions.get(repeat_path), questions.get(later_path), questions.get(via_path)
            words = {
                "repeat": _where(repeat, repeat_path),
                "question": later.name if later else later_path,
                "later": later.row if later else "?",
                "via": via.name if via else "",
            }
            if later_path.startswith(f"{repeat_path}/"):
                message = _(
                    "The repeat count of %(repeat)s uses ${%(question)s}, which is asked inside the repeat itself "
                    "(row %(later)s): ODK Collect needs the count before the first entry, so the repeat gets no "
                    "entries. Ask '%(question)s' before the repeat."
                )
            else:
                message = _(
                    "The repeat count of %(repeat)s uses ${%(question)s}, which is asked later in the form "
                    "(row %(later)s): when ODK Collect reaches the repeat the count is still empty, so the repeat "
                    "gets no entries. Ask '%(question)s' before the repeat."
                )
            if via is not None:
                message += " " + _("(The count comes from it through the calculation ${%(via)s}.)")
            problems.append(
                Problem(
                    message % words,
                    question=repeat.name if repeat else repeat_path,
                    row=repeat.row if repeat else None,
                    found_by="Liman",
                )
            )
            break
    return problems


def liman_problems(form: _XForm, questions: dict[str, Question]) -> list[Problem]:
    return [*_repeat_count_problems(form, questions), *_choice_filter_problems(form, questions)]


# --- JavaRosa's messages, explained -------------------------------------------------------------------------------


class _Paths:
    """XForm paths in JavaRosa's text, and the survey rows they came from."""

    def __init__(self, form: _XForm, questions: dict[str, Question]):
        self.form = form
        self.questions = questions
        self.pattern = re.compile(rf"{re.escape(form.prefix.rstrip('/'))}((?:/[\w.\-]+(?:\[\d+\])?)+)")

    def in_text(self, text: str) -> list[str]:
        paths: list[str] = []
        for match in self.pattern.finditer(text):
            path = re.sub(r"\[\d+\]", "", match.group(1)).strip("/")
            if path not in paths:
                paths.append(path)
        return paths

    def question(self, path: str) -> Question | None:
        found = self.questions.get(path)
        if found is None and path.endswith("_count"):  # pyxform's calculate for a repeat count: the repeat's row
            found = self.questions.get(path[: -len("_count")])
        return found

    def plain(self, text: str) -> str:
        """JavaRosa's text with each path written as the author wrote it: `${name}`."""

        def name(match: re.Match) -> str:
            question = self.question(re.sub(r"\[\d+\]", "", match.group(1)).strip("/"))
            return f"${{{question.name}}}" if question else match.group(0)

        return " ".join(self.pattern.sub(name, text).split())


def _column_calling(question: Question | None, function: str) -> str:
    """The header of the cell of the question's row that calls `function` ("" if none does)."""
    if question is None:
        return ""
    calls = re.compile(rf"(?<![\w:.\-]){re.escape(function)}\s*\(")
    for header, value in question.cells.items():
        if header not in ("type", "name") and not header.startswith(("label", "hint")) and calls.search(value):
            return header
    return ""


def _problem(message: str, question: Question | None) -> Problem:
    return Problem(message, question=question.name if question else "", row=question.row if question else None)


def explain(errors: Sequence[str], form: _XForm, questions: dict[str, Question]) -> list[Problem]:
    """JavaRosa's refusal in a form author's words: which question, which row, which column, and what to do."""
    text = "\n".join(errors)
    paths = _Paths(form, questions)
    involved = [paths.question(path) for path in paths.in_text(text)]
    named = [question for question in involved if question is not None]
    first = named[0] if named else None

    if "Cycle detected" in text or "illegal cycle" in text:
        # JavaRosa lists the nodes "likely involved"; those whose expressions do come back to themselves are named.
        looping = [paths.question(path) for path in form.on_a_cycle(paths.in_text(text))]
        chosen = {q.path: q for q in looping if q is not None} or {q.path: q for q in named}
        in_loop = sorted(chosen.values(), key=lambda question: question.row)
        listed = ", ".join(_where(question) for question in in_loop) or paths.plain(text)
        return [
            _problem(
                _(
                    "The calculations and conditions of %(questions)s depend on each other in a loop, so ODK Collect "
                    "cannot work them out and does not open the form. Change one of them so that it no longer uses "
                    "the other."
                )
                % {"questions": listed},
                in_loop[0] if in_loop else first,
            )
        ]

    unknown = re.search(r"cannot handle function '([^']+)'", text)
    if unknown:
        function = unknown.group(1)
        column = _column_calling(first, function)
        words = {"question": _where(first), "function": function, "column": column}
        message = (
            _(
                "Question %(question)s calls %(function)s() in its %(column)s column, a function ODK Collect does "
                "not have, so the form does not open. Check its spelling against the functions XLSForm offers."
            )
            if column
            else _(
                "Question %(question)s calls %(function)s(), a function ODK Collect does not have, so the form does "
                "not open. Check its spelling against the functions XLSForm offers."
            )
        )
        return [_problem(message % words, first)]

    syntax = (
        re.search(r"bind for (\S+) contains invalid (constraint) expression", text)
        or re.search(r"Encountered a problem with (?:(display|require|readonly)) condition for node \[(\S+)\]", text)
        or re.search(r"Invalid (calculate) for the bind attached to \"(\S+)\"", text)
    )
    if syntax:
        groups = syntax.groups()
        kind = next(g for g in groups if not g.startswith("/"))
        kind = {"calculate": "calculation", **_CONDITION_KINDS}.get(kind, kind)
        question = paths.question(paths.in_text(text)[0]) if paths.in_text(text) else None
        header, expression = question.column(kind) if question else ("", "")
        return [
            _problem(
                _(
                    "The %(column)s column of question %(question)s is not an expression ODK Collect can read: "
                    '"%(expression)s". Check its brackets, quotes, operators and ${} references.'
                )
                % {
                    "column": header or kind,
                    "question": _where(question),
                    "expression": expression or paths.plain(text),
                },
                question,
            )
        ]

    evaluating = re.search(r"located in (Condition|Calculate) expression for", text)
    if evaluating and first is not None:
        reason = "; ".join(
            paths.plain(line) for line in errors if not line.startswith(("Error evaluating", "The problem was located"))
        )
        return [
            _problem(
                _("ODK Collect cannot work out the %(what)s of question %(question)s: %(reason)s")
                % {
                    "what": _("calculation") if evaluating.group(1) == "Calculate" else _("conditions"),
                    "question": _where(first),
                    "reason": reason or paths.plain(text),
                },
                first,
            )
        ]

    message = paths.plain(text)
    if first is not None:
        message = _("Question %(question)s: %(reason)s") % {"question": _where(first), "reason": message}
    return [_problem(message, first)]


# --- both, for a batch of forms -------------------------------------------------------------------------------


def check_forms(forms: Sequence[tuple[str, list[dict]]], *, run_javarosa: bool = True) -> list[FormCheck]:
    """Check each (XForm, survey rows as pyxform read them): Liman's checks always, JavaRosa's in one JVM for the
    batch when Java runs here (otherwise each form is marked not checked, with the reason)."""
    read = [(_XForm(xml), survey_questions(survey)) for xml, survey in forms]
    checks = [FormCheck(JavaRosaCheck.NOT_CHECKED, liman_problems(form, questions)) for form, questions in read]
    if not run_javarosa or not forms:
        return checks
    try:
        verdicts = javarosa.check([xml for xml, _survey in forms])
    except javarosa.ValidatorUnavailable as exc:
        for result in checks:
            result.note = str(exc)
        return checks
    for result, verdict, (form, questions) in zip(checks, verdicts, read, strict=True):
        if verdict.is_valid:
            result.javarosa = JavaRosaCheck.PASSED
            paths = _Paths(form, questions)
            result.warnings = [f"JavaRosa: {paths.plain(line)}" for line in verdict.warnings]
        else:
            result.javarosa = JavaRosaCheck.REFUSED
            result.problems = [*explain(verdict.errors, form, questions), *result.problems]
    return checks


class FormRefused(XLSFormError):
    """A form pyxform converted that ODK Collect could not use: every problem found, each in the author's words."""

    def __init__(self, problems: Sequence[Problem]):
        first = problems[0]
        super().__init__("\n".join(problem.message for problem in problems), row=first.row, sheet=first.sheet)
        self.problems = list(problems)

    def __str__(self) -> str:
        return self.message

    @property
    def is_javarosas(self) -> bool:
        return any(problem.found_by == "JavaRosa" for problem in self.problems)
