"""The `liman` command: Django's management commands plus Liman's own (seed, audit, keys, …)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liman.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["liman", *sys.argv[1:]])


if __name__ == "__main__":
    main()
