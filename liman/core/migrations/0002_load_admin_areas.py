from django.db import migrations


def load(apps, schema_editor):
    from liman.core.geography import load_admin_areas

    load_admin_areas(apps.get_model("core", "AdminArea"))


def unload(apps, schema_editor):
    AdminArea = apps.get_model("core", "AdminArea")
    AdminArea.objects.filter(level=2).delete()
    AdminArea.objects.filter(level=1).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
