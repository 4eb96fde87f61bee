"""`liman cash cycles | export CYCLE --output FILE.csv | reconcile CYCLE FILE.csv | verify-file FILE.csv | public-key`.

- `cycles`: every payment cycle as CSV on stdout (reference, programme, state, households, total).
- `export`: the approved list in its provider's format, and the detached signature beside it (FILE.csv.sig);
  the first export marks the cycle sent.
- `reconcile`: the provider's report (reference, amount, status, date, transaction_id) through staging: every row
  is checked against the frozen list; any refused row (unknown reference, changed amount, a household twice, a
  total that does not add up) is reported and nothing is marked.
- `verify-file`: whether a payment file is exactly as Liman signed it (FILE.csv.sig beside it, or --signature).
- `public-key`: the key providers check signatures with (PEM).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from liman.cash import services
from liman.cash.models import PaymentCycle
from liman.core import crypto
from liman.core.models import ImportBatch, User
from liman.core.staging import ImportRefused, import_commit, import_stage, problem_report

CYCLE_COLUMNS = ("reference", "programme", "state", "households", "total")


class Command(BaseCommand):
    help = __doc__.split("\n\n")[0]

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("cycles", help="Every payment cycle as CSV: " + ", ".join(CYCLE_COLUMNS) + ".")
        export = commands.add_parser("export", help="Write an approved cycle's payment file and its signature.")
        export.add_argument("cycle")
        export.add_argument("--output", required=True)
        export.add_argument("--user", help="The programme officer exporting (their roles are checked).")
        reconcile = commands.add_parser("reconcile", help="Reconcile a cycle with the provider's report.")
        reconcile.add_argument("cycle")
        reconcile.add_argument("file")
        reconcile.add_argument("--user", help="The programme officer reconciling (their roles are checked).")
        verify = commands.add_parser("verify-file", help="Check a payment file against its signature.")
        verify.add_argument("file")
        verify.add_argument("--signature", help="The .sig file (default: FILE.sig).")
        commands.add_parser("public-key", help="The public key providers check payment files with (PEM).")

    def handle(self, *args, command: str, **options):
        getattr(self, command.replace("-", "_"))(**options)

    def _user(self, username: str | None) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user {username!r}.")
        return user

    def _cycle(self, reference: str) -> PaymentCycle:
        cycle = PaymentCycle.objects.filter(reference=reference.strip().upper()).select_related("office").first()
        if cycle is None:
            raise CommandError(f"There is no payment cycle {reference!r}.", returncode=1)
        return cycle

    def cycles(self, **options) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(CYCLE_COLUMNS)
        for cycle in PaymentCycle.objects.select_related("programme").order_by("programme__code", "reference"):
            writer.writerow(
                [cycle.reference, cycle.programme.code, cycle.state, cycle.households, f"{cycle.total:.2f}"]
            )

    def export(self, *, cycle: str, output: str, user: str | None = None, **options) -> None:
        found = self._cycle(cycle)
        try:
            data, signature = services.cycle_export(cycle=found, by=self._user(user))
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)])), returncode=1) from exc
        found.refresh_from_db()  # the households held back when the file was written are not in it
        path = Path(output)
        path.write_bytes(data)
        Path(f"{path}.sig").write_text(signature + "\n", encoding="ascii")
        self.stderr.write(f"{found.reference}: {found.households} payments, {found.total:.2f} "
                          f"{found.programme.currency} written to {path}; signature in {path}.sig.")  # fmt: skip

    def reconcile(self, *, cycle: str, file: str, user: str | None = None, **options) -> None:
        found = self._cycle(cycle)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.", returncode=1)
        by = self._user(user)
        try:
            with transaction.atomic(), path.open("rb") as stream:
                batch = import_stage(
                    kind="cash_provider_report",
                    file=stream,
                    file_name=path.name,
                    office=found.office,
                    by=by,
                    declared={"cycle": found.reference},
                )
                if batch.state != ImportBatch.State.VALID:
                    for row, column, message, blocking in problem_report(batch):
                        where = f"row {row}" + (f", {column}" if column else "")
                        self.stderr.write(f"{path.name}: {where}: {message}{'' if blocking else ' (warning)'}")
                    transaction.set_rollback(True)
                    raise CommandError(
                        f"{path.name} was refused: {batch.error_count} blocking problems. Nothing was marked.",
                        returncode=1,
                    )
            batch = import_commit(batch=batch, by=by)
        except ImportRefused as exc:
            for message in exc.messages:
                self.stderr.write(f"{path.name}: {message}")
            raise CommandError(f"{path.name} was refused; nothing was marked.", returncode=1) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=1) from exc
        found.refresh_from_db()
        marked = ", ".join(f"{count} {name}" for name, count in batch.result["created"].items())
        self.stdout.write(f"{found.reference}: {marked}; the cycle is {found.get_state_display().lower()}.")

    def verify_file(self, *, file: str, signature: str | None = None, **options) -> None:
        path = Path(file)
        signature_path = Path(signature or f"{file}.sig")
        if not path.is_file() or not signature_path.is_file():
            raise CommandError(f"Give the file and its signature ({signature_path} not found).", returncode=1)
        if not crypto.payment_verify(path.read_bytes(), signature_path.read_text(encoding="ascii")):
            raise CommandError(f"{path.name} is NOT as Liman signed it: do not pay from it.", returncode=1)
        self.stdout.write(f"{path.name}: signature valid.")

    def public_key(self, **options) -> None:
        sys.stdout.write(crypto.payment_public_key_pem())
