from django.db import migrations

PROGRAMMES = [
    ("protection", "Protection"),
    ("counter_trafficking", "Counter-trafficking"),
    ("avrr", "Assisted voluntary return and reintegration"),
    ("resettlement", "Resettlement and movement"),
    ("health", "Migration health"),
    ("assistance", "In-kind and cash assistance"),
    ("livelihoods", "Livelihoods"),
    ("dtm", "Displacement tracking (DTM / MPM)"),
    ("mobile_teams", "Border mobile teams"),
]


def load(apps, schema_editor):
    Programme = apps.get_model("core", "Programme")
    for code, name in PROGRAMMES:
        Programme.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("core", "0002_load_admin_areas")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
