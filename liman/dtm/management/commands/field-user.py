"""`liman field-user create NAME --office CODE [--password P] [--vehicle PLATE]`: an ODK Collect login for an
enumerator (a border mobile team's phone names its team's van); `liman field-user vehicle NAME --vehicle PLATE`."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from liman.core.models import Office
from liman.dtm import selectors, services
from liman.dtm.models import FieldUser


class Command(BaseCommand):
    help = (
        "Field users (ODK Collect / KoboCollect logins): `create NAME --office CODE [--password P] [--vehicle PLATE]`, "
        "`vehicle NAME --vehicle PLATE | --none`, `password NAME [--password P]`, `deactivate NAME`, `unlock NAME`, "
        "`list`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a field user; prints the password once.")
        create.add_argument("username")
        create.add_argument("--office", required=True, help="Office code, e.g. HTY.")
        create.add_argument("--password", help="Follows the staff password rules; generated when left out.")
        create.add_argument("--name", default="", help="The enumerator's name.")
        create.add_argument(
            "--vehicle",
            help="A border mobile team's van (its plate, e.g. '22 LM 101'): items given at incidents sent from this "
            "phone are issued from its stock.",
        )
        create.add_argument("--qr", help="Also write the ODK Collect QR code to this .svg or .png file.")
        create.add_argument(
            "--server-url", default="http://127.0.0.1:8000/openrosa", help="The address Collect is given (for --qr)."
        )
        vehicle = actions.add_parser("vehicle", help="Give a field user their team's van, or take it away.")
        vehicle.add_argument("username")
        choice = vehicle.add_mutually_exclusive_group(required=True)
        choice.add_argument("--vehicle", help="The van's plate (of the field user's office).")
        choice.add_argument("--none", action="store_true", help="No van: incidents with items are refused.")
        password = actions.add_parser("password", help="Set a new password (generated when left out).")
        password.add_argument("username")
        password.add_argument("--password")
        deactivate = actions.add_parser("deactivate", help="Stop a field user from signing in (lost phone).")
        deactivate.add_argument("username")
        unlock = actions.add_parser(
            "unlock", help="Clear a field user's wrong-password counts and delays, from every address."
        )
        unlock.add_argument("username")
        actions.add_parser("list", help="List the field users.")

    def handle(self, *args, action: str, **options):
        if action == "list":
            for field_user in FieldUser.objects.select_related("office", "vehicle").order_by(
                "office__code", "username"
            ):
                state = "active" if field_user.is_active else "inactive"
                for throttle in services.field_user_throttles(field_user):
                    if throttle.is_held():
                        state += f", held back from {throttle.ip_address or '?'} until {throttle.held_until:%H:%M:%S}"
                van = f"  van {field_user.vehicle.vehicle_plate}" if field_user.vehicle_id else ""
                self.stdout.write(
                    f"{field_user.office.code:<5} {field_user.username:<32} {state}{van}  {field_user.name}"
                )
            return
        if action == "create":
            return self.create(options)
        field_user = FieldUser.objects.filter(username=options["username"]).first()
        if field_user is None:
            raise CommandError(f"No field user is called {options['username']!r}.")
        if action == "deactivate":
            services.field_user_deactivate(field_user=field_user, by=None)
            self.stdout.write(self.style.SUCCESS(f"{field_user.username} can no longer sign in."))
            return
        if action == "vehicle":
            van = None if options["none"] else self._vehicle(field_user.office, options["vehicle"])
            try:
                services.field_user_set_vehicle(field_user=field_user, vehicle=van, by=None)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            what = f"{van.name} ({van.vehicle_plate})" if van else "no van"
            self.stdout.write(self.style.SUCCESS(f"{field_user.username}: {what}."))
            return
        if action == "unlock":
            services.field_user_unlock(field_user=field_user, by=None, reason="liman field-user unlock")
            self.stdout.write(self.style.SUCCESS(f"{field_user.username} can sign in again from every address."))
            return
        try:
            password = services.field_user_set_password(
                field_user=field_user, password=options.get("password"), by=None
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"New password for {field_user.username}: {password}"))

    def create(self, options) -> None:
        office = Office.objects.filter(code=options["office"].upper()).first()
        if office is None:
            raise CommandError(f"No office has the code {options['office']!r}.")
        van = self._vehicle(office, options["vehicle"]) if options.get("vehicle") else None
        try:
            field_user, password = services.field_user_create(
                office=office,
                username=options["username"],
                name=options["name"],
                password=options.get("password"),
                vehicle=van,
                by=None,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Field user {field_user.username} created for {office.code}."))
        if van is not None:
            self.stdout.write(f"  team's vehicle: {van.name} ({van.vehicle_plate})")
        self.stdout.write(f"  password: {password}")
        self.stdout.write(f"  server URL for ODK Collect: {options['server_url']}")
        if options.get("qr"):
            import segno

            from liman.dtm.openrosa import collect_qr_payload, collect_settings

            payload = collect_qr_payload(
                collect_settings(
                    server_url=options["server_url"],
                    username=field_user.username,
                    password=password,
                    project=f"Liman · {office.code}",
                )
            )
            segno.make(payload, error="l").save(options["qr"], scale=6)
            self.stdout.write(f"  QR code for ODK Collect: {Path(options['qr']).resolve()}")

    def _vehicle(self, office: Office, plate: str):
        van = selectors.office_vehicle_by_plate(office, plate)
        if van is None:
            known = ", ".join(f"{v.vehicle_plate} ({v.name})" for v in selectors.office_vehicles(office)) or "none"
            raise CommandError(f"{office.code} has no van in use with the plate {plate!r}; its vans: {known}.")
        return van
