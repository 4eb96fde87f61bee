"""The standard item catalogue, shipped as reference data (as the programmes are): every office stocks from it."""

from django.db import migrations


def load(apps, schema_editor):
    from liman.assistance.catalogue import STANDARD_ITEMS

    Item = apps.get_model("assistance", "Item")
    for code, name, unit, category, tracks_lots in STANDARD_ITEMS:
        Item.objects.update_or_create(
            code=code, defaults={"name": name, "unit": unit, "category": category, "tracks_lots": tracks_lots}
        )


class Migration(migrations.Migration):
    dependencies = [("assistance", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
