"""`liman dedup file INPUT.csv --output PAIRS.csv [--threads N] [--memory SIZE] [--agreement REF]` and
`liman dedup train`."""

import re
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from liman.core.progress import ProgressReporter
from liman.dedup import engine
from liman.dedup.spark import SparkUnavailable

#: A size DuckDB reads for its memory limit.
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


class Command(BaseCommand):
    help = (
        "Find records that stand for the same person. `liman dedup file INPUT.csv --output PAIRS.csv` reads "
        f"the columns {', '.join(engine.COLUMNS)} and writes one row per pair at or above the review "
        f"threshold: {', '.join(engine.OUTPUT_COLUMNS)}. `liman dedup train` retrains the model on a "
        "synthetic registry with known duplicates."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        file = commands.add_parser("file", help="Match the records of a CSV file.")
        file.add_argument("input", help="CSV in UTF-8 with the columns listed above.")
        file.add_argument("--output", required=True, help="Where to write the pairs (CSV).")
        file.add_argument("--threads", type=int, help="Threads DuckDB may use (default: every core).")
        file.add_argument("--memory", default=engine.MEMORY_LIMIT, metavar="SIZE",
                          help="Memory DuckDB may hold before it writes to a temporary file, e.g. 3GB "
                               f"(default: {engine.MEMORY_LIMIT}).")  # fmt: skip
        file.add_argument("--agreement", default="", metavar="REF",
                          help="A partner's file: the data-sharing agreement it is exchanged under (checked to be "
                               "current and to cover the exchange; the audit event names it).")  # fmt: skip
        file.add_argument("--auto-link", type=float, default=settings.LIMAN_DEDUP_AUTO_LINK,
                          help="Match probability from which a pair is banded auto_link.")  # fmt: skip
        file.add_argument("--review", type=float, default=settings.LIMAN_DEDUP_REVIEW,
                          help="Match probability from which a pair is written (banded review).")  # fmt: skip
        train = commands.add_parser("train", help="Retrain the model and write its JSON.")
        train.add_argument("--records", type=int, default=200_000)
        train.add_argument("--seed", type=int, default=7)
        train.add_argument("--output", default=str(engine.MODEL_PATH))

    def handle(self, *args, command: str, **options):
        if command == "train":
            model = _train(Path(options["output"]), options["records"], options["seed"])
            self.stdout.write(f"Model {model['liman_model_version']} written to {options['output']}.")
            return
        self.match_file(Path(options["input"]), Path(options["output"]), options)

    def match_file(self, source: Path, output: Path, options) -> None:
        if not source.is_file():
            raise CommandError(f"{source}: no such file.", returncode=1)
        try:
            thresholds = engine.Thresholds(auto_link=options["auto_link"], review=options["review"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if options.get("memory") and not MEMORY_SIZE.fullmatch(options["memory"].strip()):
            raise CommandError(f"--memory {options['memory']!r}: must be a size such as 3GB or 800MB.", returncode=1)
        agreement = _agreement(options.get("agreement") or "")
        reporter = ProgressReporter(stream=sys.stderr) if sys.stderr.isatty() else None
        started = time.perf_counter()
        try:
            written = engine.dedupe_file(
                source,
                output,
                thresholds=thresholds,
                threads=options["threads"],
                memory=options["memory"],
                progress=(lambda done, total: reporter.update(done, total, "scoring")) if reporter else None,
            )
        except engine.InputError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{source.name}: {problem}")
            raise CommandError(f"{source.name} was refused; nothing was written.", returncode=1) from exc
        except SparkUnavailable as exc:
            raise CommandError(str(exc), returncode=1) from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{source.name} is not UTF-8 text; save it as CSV UTF-8.", returncode=1) from exc
        if agreement is not None:
            _audit_exchange(agreement, source, written)
        self.stderr.write(f"{written:,} pairs written to {output} in {time.perf_counter() - started:.1f} s.")


#: What a file exchange carries: names and identity numbers, sex, birth date and nationality, phones.
EXCHANGE_CATEGORIES = ("identity", "demographic", "contact")


def _agreement(reference: str):
    """The named agreement, checked to cover a partner file exchange today; None for the office's own files."""
    if not reference.strip():
        return None
    from django.core.exceptions import ValidationError

    from liman.core.sharing import guard
    from liman.registry.choices import ConsentPurpose

    try:
        return guard().agreement_named(reference, ConsentPurpose.SHARING_PARTNER, EXCHANGE_CATEGORIES)
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages), returncode=1) from exc


def _audit_exchange(agreement, source: Path, written: int) -> None:
    import hashlib

    from liman.core import audit
    from liman.core.choices import AuditAction
    from liman.core.sharing import guard
    from liman.registry.choices import ConsentPurpose

    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    payload = guard().transfer_payload(agreement, ConsentPurpose.SHARING_PARTNER, EXCHANGE_CATEGORIES)
    audit.record(
        AuditAction.EXPORT, actor_username="liman dedup file", object_type="dedup.file", object_repr=source.name,
        office=agreement.office_id, changes={**payload, "sha256": digest, "pairs": str(written)},
        reason=f"File exchange with {agreement.party} under {agreement.reference}",
    )  # fmt: skip


def _train(output: Path, records: int, seed: int) -> dict:
    from liman.dedup.training import train

    return train(output, size=records, seed=seed)
