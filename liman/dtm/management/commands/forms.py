"""`liman forms add FILE.xlsx --office CODE`: publish an XLSForm for ODK Collect; `liman forms list`;
`liman forms check`: check with JavaRosa the versions uploaded where Java could not run."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from liman.core.models import Office
from liman.dtm import services
from liman.dtm.choices import JavaRosaCheck
from liman.dtm.form_check import FormRefused
from liman.dtm.models import Form, FormVersion
from liman.dtm.xlsform import XLSFormError


class Command(BaseCommand):
    help = (
        "XLSForms for ODK Collect and KoboCollect: `add FILE.xlsx --office CODE` publishes one; `list` lists them; "
        "`check` checks with JavaRosa the versions not checked yet."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser(
            "add", help="Publish an XLSForm (a new form, or the next version of the office's form)."
        )
        add.add_argument("file", help="The XLSForm (.xlsx).")
        add.add_argument("--office", required=True, help="Office code, e.g. HTY.")
        add.add_argument("--media", nargs="*", default=[], help="Media files the form uses (images, CSV).")
        listing = actions.add_parser("list", help="List the forms and their current versions.")
        listing.add_argument("--office", help="Only this office.")
        check = actions.add_parser(
            "check",
            help="Check with JavaRosa the versions uploaded where Java could not run (exits 1 if one is refused).",
        )
        check.add_argument("--office", help="Only this office.")
        check.add_argument("--all", action="store_true", help="Check every version again (after a pyxform upgrade).")

    def handle(self, *args, action: str, **options):
        if action == "add":
            return self.add(options["file"], options["office"], options["media"])
        if action == "check":
            return self.check(options.get("office"), every=options["all"])
        return self.list(options.get("office"))

    def _office(self, code: str) -> Office:
        office = Office.objects.filter(code=code.upper()).first()
        if office is None:
            known = ", ".join(Office.objects.values_list("code", flat=True))
            raise CommandError(f"No office has the code {code!r}; offices are: {known}.")
        return office

    def add(self, file: str, office_code: str, media: list[str]) -> None:
        office = self._office(office_code)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        uploads = []
        for name in media:
            media_path = Path(name)
            if not media_path.is_file():
                raise CommandError(f"{name}: no such media file.")
            uploads.append(services.MediaUpload(media_path.name, media_path.read_bytes()))
        try:
            version = services.form_upload(
                office=office, content=path.read_bytes(), file_name=path.name, media=uploads, by=None
            )
        except FormRefused as exc:
            who = "JavaRosa, the form engine of ODK Collect," if exc.is_javarosas else "Liman"
            reasons = "\n".join(f"  - {problem.message}" for problem in exc.problems)
            raise CommandError(f"{path.name}: {who} refused the form; nothing was published:\n{reasons}") from exc
        except XLSFormError as exc:
            where = f" (row {exc.row} of the {exc.sheet} sheet)" if exc.row else ""
            raise CommandError(f"{path.name}: pyxform refused the XLSForm{where}: {exc.message}") from exc
        except ValidationError as exc:
            raise CommandError(f"{path.name}: {' '.join(exc.messages)}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Published {version.form.form_id} version {version.version} ({version.title}) for {office.code}."
            )
        )
        for warning in version.warnings:
            self.stdout.write(f"  warning: {warning}")
        if version.javarosa_check == JavaRosaCheck.NOT_CHECKED:
            self.stderr.write(
                self.style.WARNING(
                    f"  not checked by JavaRosa: {' '.join(version.javarosa_messages)} "
                    "ODK Collect may refuse it: run `liman forms check` where Java runs."
                )
            )

    def check(self, office_code: str | None, *, every: bool) -> None:
        versions = FormVersion.objects.all()
        if not every:
            versions = versions.filter(javarosa_check=JavaRosaCheck.NOT_CHECKED)
        if office_code:
            versions = versions.filter(form__office=self._office(office_code))
        if not versions.exists():
            self.stdout.write("Every form version is checked by JavaRosa.")
            return
        outcome = services.form_versions_check(versions=versions, by=None)
        for version in outcome.passed:
            self.stdout.write(f"{version.office:<5} {version.label}: checked by JavaRosa")
        for version in outcome.refused:
            reasons = "\n".join(f"  - {message}" for message in version.messages)
            self.stdout.write(self.style.ERROR(f"{version.office:<5} {version.label}: refused\n{reasons}"))
        self.stdout.write(outcome.summary())
        if outcome.note:
            raise CommandError(f"Not checked by JavaRosa: {outcome.note}")
        if outcome.refused:
            raise CommandError(
                "ODK Collect cannot use the versions refused above: the phones get each form's newest version that "
                "is not refused. Correct the XLSForms and upload them again."
            )

    def list(self, office_code: str | None) -> None:
        forms = Form.objects.select_related("office").order_by("office__code", "form_id")
        if office_code:
            forms = forms.filter(office=self._office(office_code))
        for form in forms:
            version = form.versions.first()
            self.stdout.write(
                f"{form.office.code:<5} {form.form_id:<32} {version.version if version else '-':<16} "
                f"{form.get_state_display()} · {form.get_target_display()}"
                f"{' · ' + version.get_javarosa_check_display() if version else ''}"
            )
