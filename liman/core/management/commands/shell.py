"""Django's shell, quiet about its automatic imports when given `-c`, so `liman shell -c "..."` prints only
what the command prints (scripts read that output)."""

from django.core.management.commands.shell import Command as DjangoShell


class Command(DjangoShell):
    def get_namespace(self, **options):
        if options.get("command"):
            options = {**options, "verbosity": 0}
        return super().get_namespace(**options)
