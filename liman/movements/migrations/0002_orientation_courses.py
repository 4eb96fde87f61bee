from decimal import Decimal

from django.db import migrations

# Cultural orientation courses as docs/domain.md gives them ("Resettlement and movements"): Canada 15 hours over
# 3 days from age 13; Australia 5 days from age 5 (5 hours a day). Courses of other countries are added as they
# are agreed.
COURSES = [
    ("CAN", "Canada Orientation Abroad (COA)", 13, Decimal("15.0"), 3),
    ("AUS", "Australian Cultural Orientation (AUSCO)", 5, Decimal("25.0"), 5),
]


def load(apps, schema_editor):
    OrientationCourse = apps.get_model("movements", "OrientationCourse")
    for country, name, min_age, hours, days in COURSES:
        OrientationCourse.objects.update_or_create(
            country=country, name=name, defaults={"min_age": min_age, "hours": hours, "days": days}
        )


class Migration(migrations.Migration):
    dependencies = [("movements", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
