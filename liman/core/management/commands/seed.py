from django.conf import settings
from django.core.management.base import BaseCommand

from liman.core import demo, seeding


class Command(BaseCommand):
    help = "Create the demo data set (offices, programmes, one user per role per office, and each app's records)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, seed: int, quiet: bool, **options):
        demo.run_seeders(seed)  # then the planner's statistics, for the pages' query plans
        if quiet:
            return
        codes = ", ".join(code for code, *_ in demo.DEMO_OFFICES)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000 with:"))
        self.stdout.write(f"  password (every demo user): {demo.DEMO_PASSWORD}")
        self.stdout.write(f"  user name: <role>.<office>, offices {codes}")
        for label, username in demo.demo_logins():
            self.stdout.write(f"    {label:<22} {username}")
        for role in settings.LIMAN_SECOND_FACTOR_ROLES:
            username = demo.demo_username(role, "ANK")
            secret = demo.demo_totp_secret(demo.demo_totp_key(username, seed))
            self.stdout.write(
                f"  every {role.replace('_', ' ')} confirms a TOTP code after the password: for {username}, add key "
                f"{secret} to an authenticator app,\n  or print the current code with: .venv/bin/liman demo_totp "
                f"{username}"
            )
        for notes in seeding.login_notes():
            for line in notes():
                self.stdout.write(line)
