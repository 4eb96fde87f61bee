import getpass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from liman.cases import services
from liman.core.models import User


class Command(BaseCommand):
    help = (
        "Exports. `liman export ctdc --output FILE.csv` writes identified victims of trafficking in the CTDC data "
        "standard: no names or identifiers, ages in CTDC bands, every combination of published values shared by at "
        "least k victims (generalised, then suppressed). The export is recorded in the audit log."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        ctdc = sub.add_parser("ctdc", help="Counter-trafficking data in the CTDC standard, k-anonymised.")
        ctdc.add_argument("--output", required=True, help="The CSV file to write.")
        ctdc.add_argument("--k", type=int, default=None, help="Smallest group published (default LIMAN_CTDC_K, 11).")
        ctdc.add_argument(
            "--as-user", dest="username", default="", help="Export only the cases this user sees, in their name."
        )

    def handle(self, *args, what: str, output: str, k: int | None, username: str, **options):
        by = None
        if username:
            by = User.objects.filter(username=username, is_active=True).first()
            if by is None:
                raise CommandError(f"There is no active user {username!r}.")
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        label = "" if by else f"command line ({getpass.getuser()})"
        try:
            with path.open("w", encoding="utf-8", newline="") as stream:
                result = services.ctdc_export(stream=stream, by=by, k=k, actor_label=label)
        except ValidationError as exc:
            path.unlink(missing_ok=True)
            raise CommandError(" ".join(exc.messages)) from exc
        generalised = ", ".join(result.generalised) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {len(result.rows)} victims to {path} (k = {result.k}; {result.suppressed} left out in groups "
                f"smaller than k; columns generalised: {generalised})."
            )
        )
