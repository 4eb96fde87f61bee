"""What JavaRosa's check adds to a form upload: a cold JVM per form, Liman's JVM flags, and one JVM per batch.

    .venv/bin/python benchmarks/javarosa_check.py [--repeat 3] [XLSFORM ...]

Converts the XLSForms Liman ships (liman/*/data/forms/*.xlsx), and any given (e.g. the real public forms in
../shared/data/forms/*/form.xlsx), with pyxform as an upload does, then times ODK Validate on each XForm:
- as pyxform runs it (`java -Djava.awt.headless=true -jar ODK_Validate.jar FORM`, a cold JVM each): the baseline;
- with Liman's flags (client compiler only, serial collector: `liman.dtm.javarosa.JVM_OPTIONS`), a cold JVM each;
- all forms in one JVM (what `liman forms check` and the page's check of pending versions do, 20 per JVM).
Prints the median of `--repeat` runs per form, pyxform's conversion time beside it (the rest of an upload), and each
way's total and ratio to the baseline. The figure decides whether uploads need a warm JVM: they do not while a cold
check stays within a second or two.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(command: list[str], cwd: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # noqa: S603
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("forms", nargs="*", help="More XLSForms to time (the shipped ones always are).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per measurement (the median is shown).")
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liman.settings")
    import django

    django.setup()
    from liman.dtm import javarosa
    from liman.dtm.xlsform import convert_xlsform

    reason = javarosa.unavailable_reason()
    if reason:
        sys.exit(reason)
    paths = sorted(ROOT.glob("liman/*/data/forms/*.xlsx")) + [Path(name) for name in options.forms]
    java, jar = javarosa.java_command(), str(javarosa.validator_jar())
    baseline_flags = ["-Djava.awt.headless=true"]
    print(f"{javarosa.validator_name()}, {java}; {len(paths)} forms, median of {options.repeat} runs\n")
    print(f"{'form':<44} {'XForm':>9} {'pyxform':>8} {'JVM as pyxform':>15} {'JVM, Liman flags':>17}")

    totals = {"convert": 0.0, "baseline": 0.0, "liman": 0.0}
    with tempfile.TemporaryDirectory(prefix="liman-bench-javarosa-") as folder:
        names = []
        for index, path in enumerate(paths):
            started = time.perf_counter()
            converted = convert_xlsform(path.read_bytes(), file_name=path.name, new_version="1")
            convert = time.perf_counter() - started
            name = f"form-{index}.xml"
            Path(folder, name).write_text(converted.xml, encoding="utf-8")
            names.append(name)
            runs = {"baseline": [], "liman": []}
            for _ in range(options.repeat):
                for way, flags in (("baseline", baseline_flags), ("liman", list(javarosa.JVM_OPTIONS))):
                    seconds, code = timed([java, *flags, "-jar", jar, name], folder)
                    if code != 0:
                        sys.exit(f"{path}: ODK Validate refused it (exit {code})")
                    runs[way].append(seconds)
            baseline, liman = statistics.median(runs["baseline"]), statistics.median(runs["liman"])
            totals["convert"] += convert
            totals["baseline"] += baseline
            totals["liman"] += liman
            label = f"{path.parent.name}/{path.name}" if path.name == "form.xlsx" else path.name
            size = len(converted.xml) // 1024
            print(f"{label[:44]:<44} {size:>7}kB {convert:>7.2f}s {baseline:>14.2f}s {liman:>16.2f}s")

        batch = statistics.median(
            timed([java, *javarosa.JVM_OPTIONS, "-jar", jar, *names], folder)[0] for _ in range(options.repeat)
        )
    count = len(paths)
    print()
    print(f"pyxform conversion, all forms:             {totals['convert']:6.2f} s")
    per_form = totals["baseline"] / count
    print(f"JavaRosa, a cold JVM per form as pyxform: {totals['baseline']:6.2f} s  ({per_form:.2f} s a form)")
    print(
        f"JavaRosa, a cold JVM per form, Liman:     {totals['liman']:6.2f} s  ({totals['liman'] / count:.2f} s a form, "
        f"{totals['liman'] / totals['baseline']:.2f} x baseline)"
    )
    print(
        f"JavaRosa, one JVM for the {count} forms:       {batch:6.2f} s  ({batch / count:.2f} s a form, "
        f"{batch / totals['baseline']:.2f} x baseline)"
    )


if __name__ == "__main__":
    main()
