"""`liman api-token USERNAME [--days N]`: an operator on the server issues a new API token for a staff member.

The new key replaces the user's old token and is printed once; the database keeps only its digest, and the
audit log says that a token was issued, by the command line, until when (never any part of the key).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from liman.core.models import User
from liman.core.services import api_token_issue
from liman.core.tokens import default_days


class Command(BaseCommand):
    help = "Issue a new API token for USERNAME (replacing the old one) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--days", type=int, default=None, help="Days until the token expires (default: LIMAN_API_TOKEN_DAYS)."
        )

    def handle(self, *args, username: str, days: int | None, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is deactivated: a token would not sign in.")
        try:
            key = api_token_issue(user=user, by=None, days=days, reason="liman api-token (command line)")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        lifetime = days if days is not None else default_days()
        self.stderr.write(f"API token for {username}, valid {lifetime} days (shown once; any earlier one is revoked):")
        self.stdout.write(key)
