"""ODK Validate, the JavaRosa form engine that ODK Collect runs, as pyxform ships it: run over XForms, its verdicts
read (nothing of Django but translations).

A form pyxform accepts may still fail to open on the phone (a calculation cycle, a function Collect does not know,
an expression JavaRosa cannot parse); ODK Central checks uploads with the same engine for that reason. The cost is
the Java virtual machine's start (about 1 s of the 1–2 s a form takes, `benchmarks/javarosa_check.py`), so one JVM
checks a whole batch, with a JIT and a collector tuned for a short life, and a verdict is kept in the process by the
XForm's content without its version label: the same form uploaded again is not checked twice.

`LIMAN_JAVA` names the java to run (default: `java` on the PATH). Where it cannot run, `check` raises
`ValidatorUnavailable` with the reason, and the caller decides what an unchecked form may do.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess  # noqa: S404 - runs java, with arguments as a list, never a shell
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

JAVA_ENV = "LIMAN_JAVA"
TIMEOUT_ENV = "LIMAN_JAVAROSA_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT = 60.0  # the largest real form here (1.8 MB of XForm) takes about 2 s
#: A short-lived JVM: the client compiler only and the serial collector start faster than the defaults (about
#: 40 % less for a small form here) and check the same way; headless, since ODK Validate also has a Swing window.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true")

_VALIDATING = "Validating: "
_FAILED_LIST = "The following files failed validation:"
_VALID = ">> Xform is valid!"
_NOISE = re.compile(
    r"^(>> Xform parsing completed!|>> Xform is valid!|>> XForm is invalid\.|>> Xform is invalid!"
    r"|>> Something broke the parser\.( Try again\.)?|Result: Invalid|Exception:)$"
)
_STACK = re.compile(r"^\s+(at |\.\.\. \d+ more)")
_JAVA_CLASS = re.compile(r"^(Caused by: )?([a-z][\w$]*\.)+[A-Z][\w$]*(Exception|Error)(: |$)")
_AST_NODE = re.compile(r",?\s*Bad node: org\.javarosa\.\S+")
_INSTANCE_VERSION = re.compile(r'(<instance>\s*<[^>]*?)\sversion="[^"]*"')


class ValidatorUnavailable(Exception):
    """JavaRosa could not check here (no Java, no validator, too slow): the form is not checked."""


@dataclass(frozen=True)
class Verdict:
    """What JavaRosa said of one XForm: accepted or not, its errors and (on an accepted form) its warnings."""

    is_valid: bool
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def java_command() -> str:
    return os.environ.get(JAVA_ENV, "").strip() or "java"


def timeout_seconds() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV, "") or DEFAULT_TIMEOUT)
    except ValueError:
        return DEFAULT_TIMEOUT


def validator_jar() -> Path:
    from pyxform.validators.odk_validate import ODK_VALIDATE_PATH

    return Path(ODK_VALIDATE_PATH)


def validator_name() -> str:
    """`ODK Validate v1.20.0`: the release pyxform installed beside the jar."""
    try:
        release = json.loads((validator_jar().parent / "installed.json").read_text(encoding="utf-8"))
        return f"ODK Validate {release['tag_name']}"
    except (OSError, ValueError, KeyError):
        return "ODK Validate"


def unavailable_reason() -> str:
    """Why JavaRosa cannot check on this machine ("" when it can, as far as can be told without running it)."""
    java = java_command()
    if shutil.which(java) is None:
        return _("Java was not found (%(java)s): install Java 17 or set LIMAN_JAVA to its java command.") % {
            "java": java
        }
    if not validator_jar().is_file():
        return _("ODK Validate is missing from pyxform (%(jar)s).") % {"jar": validator_jar()}
    return ""


# --- verdicts kept in the process -----------------------------------------------------------------------------

_VERDICTS: OrderedDict[str, Verdict] = OrderedDict()
_VERDICTS_MAX = 256
_LOCK = threading.Lock()


def _key(xml: str) -> str:
    """The XForm without its version label: the label (a new one per upload) changes nothing JavaRosa checks."""
    body = _INSTANCE_VERSION.sub(r"\1", xml, count=1)
    return hashlib.sha256(f"{validator_jar()}\n{body}".encode()).hexdigest()


def _known(key: str) -> Verdict | None:
    with _LOCK:
        verdict = _VERDICTS.get(key)
        if verdict is not None:
            _VERDICTS.move_to_end(key)
        return verdict


def _keep(key: str, verdict: Verdict) -> None:
    with _LOCK:
        _VERDICTS[key] = verdict
        while len(_VERDICTS) > _VERDICTS_MAX:
            _VERDICTS.popitem(last=False)


def forget_verdicts() -> None:
    with _LOCK:
        _VERDICTS.clear()


# --- running it ---------------------------------------------------------------------------------------------------


def check(xforms: Sequence[str]) -> list[Verdict]:
    """JavaRosa's verdict on each XForm, in order: those not seen before are checked in one JVM.

    Raises `ValidatorUnavailable` when Java or the validator cannot run, or takes longer than
    `LIMAN_JAVAROSA_TIMEOUT_SECONDS`.
    """
    keys = [_key(xml) for xml in xforms]
    verdicts: dict[str, Verdict] = {}
    todo: dict[str, str] = {}
    for key, xml in zip(keys, xforms, strict=True):
        known = _known(key)
        if known is not None:
            verdicts[key] = known
        else:
            todo.setdefault(key, xml)
    if todo:
        for key, verdict in zip(todo, _run(list(todo.values())), strict=True):
            _keep(key, verdict)
            verdicts[key] = verdict
    return [verdicts[key] for key in keys]


def _run(xforms: list[str]) -> list[Verdict]:
    reason = unavailable_reason()
    if reason:
        raise ValidatorUnavailable(reason)
    with tempfile.TemporaryDirectory(prefix="liman-javarosa-") as folder:
        names = []
        for index, xml in enumerate(xforms):
            name = f"form-{index}.xml"
            Path(folder, name).write_text(xml, encoding="utf-8")
            names.append(name)
        command = [java_command(), *JVM_OPTIONS, "-jar", str(validator_jar()), *names]
        try:
            # stderr joins stdout so each form's errors stay under its "Validating:" line (Java flushes each line).
            done = subprocess.run(  # noqa: S603 - a fixed command: java, the jar, file names Liman chose
                command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout_seconds()
            )
        except FileNotFoundError as exc:
            raise ValidatorUnavailable(
                _("Java was not found (%(java)s): install Java 17 or set LIMAN_JAVA to its java command.")
                % {"java": java_command()}
            ) from exc
        except PermissionError as exc:
            raise ValidatorUnavailable(_("Java could not be run (%(java)s): %(error)s") % {
                "java": java_command(), "error": exc
            }) from exc  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise ValidatorUnavailable(
                _("JavaRosa took longer than %(seconds)d s to check the form.") % {"seconds": timeout_seconds()}
            ) from exc
    output = done.stdout.decode("utf-8", errors="replace")
    return parse_output(output, names, return_code=done.returncode)


def parse_output(output: str, names: list[str], *, return_code: int) -> list[Verdict]:
    """Split ODK Validate's merged output into one verdict per file (in `names` order)."""
    if return_code not in (0, 1):
        raise ValidatorUnavailable(_("ODK Validate did not run: %(output)s") % {"output": _first_words(output)})
    lines = output.splitlines()
    if _FAILED_LIST in lines:
        lines = lines[: lines.index(_FAILED_LIST)]
    segments: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if line.startswith(_VALIDATING) and line[len(_VALIDATING) :].strip() in names:
            current = segments.setdefault(line[len(_VALIDATING) :].strip(), [])
        elif current is not None:
            current.append(line)
    if set(segments) != set(names):
        raise ValidatorUnavailable(_("ODK Validate did not run: %(output)s") % {"output": _first_words(output)})
    verdicts = []
    for name in names:
        segment = segments[name]
        messages = clean(segment)
        if any(line.strip() == _VALID for line in segment):
            verdicts.append(Verdict(True, warnings=tuple(messages)))
        else:
            verdicts.append(Verdict(False, errors=tuple(messages) or (_("JavaRosa gave no reason."),)))
    return verdicts


def clean(lines: list[str]) -> list[str]:
    """JavaRosa's own sentences: no stack frames, Java class names, parser internals or repeated lines."""
    kept: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        if not line.strip() or _STACK.match(line) or _NOISE.match(line.strip()):
            continue
        line = _AST_NODE.sub("", _JAVA_CLASS.sub("", line.strip())).strip()
        if line and line not in kept:
            kept.append(line)
    return kept


def _first_words(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip() and not _STACK.match(line)]
    return " ".join(lines[:3])[:300] or _("no output")
