from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "A person's own data. `liman person export REF --output FILE.zip --user USERNAME` writes what Liman holds "
        "about the person of reference REF (person.json and person.pdf, minus what would harm others), as USERNAME "
        "may read it (a data protection focal point: at normal tier); the export is audited under that user."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write what Liman holds about one person (an access request).")
        export.add_argument("reference", help="the person's reference")
        export.add_argument("--output", required=True, help="the ZIP to write")
        export.add_argument("--user", required=True, help="the user the export runs as (their scope, their name)")

    def handle(self, *args, action: str, **options):
        from liman.core.access import has_role
        from liman.core.models import User
        from liman.privacy.person_export import EXPORT_ROLES, export_zip, person_for_export
        from liman.registry.models import Person

        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user is called {options['user']}.")
        reference = options["reference"].strip().upper()
        person = person_for_export(user, reference)
        if person is None:
            visible = Person.objects.visible_to(user).filter(reference=reference).select_related("office").first()
            if visible is not None and not has_role(user, EXPORT_ROLES, office=visible.office_id):
                raise CommandError(f"{options['user']} does not answer requests of {visible.office.code}.")
            raise CommandError(f"{options['user']} sees no person with the reference {reference}.")
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"{output.parent}: no such folder.")
        content, digest = export_zip(user, person, reason="liman person export")
        output.write_bytes(content)
        self.stdout.write(f"{output}: {len(content):,} bytes, SHA-256 {digest}.")
