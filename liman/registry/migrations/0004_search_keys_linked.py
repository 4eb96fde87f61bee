"""Search keys of linked words (see `liman.registry.names.linked_keys`): the keys of single words go, each word of
a name starts one of the pair keys instead, found by a range of keys. The keys are written afresh, and on
PostgreSQL the key column compares byte by byte (collation "C"), so that such a range is the same whatever the
database's language. The keys' person and office are no longer foreign key constraints in the database (derived
rows: see the model)."""

import django.db.models.deletion
from django.db import migrations, models


def compare_keys_byte_by_byte(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite compares text byte by byte (BINARY) unless told otherwise
    table = schema_editor.quote_name(apps.get_model("registry", "PersonNameKey")._meta.db_table)
    schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN "key" TYPE varchar(64) COLLATE "C"')


def compare_keys_by_language(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("registry", "PersonNameKey")._meta.db_table)
    schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN "key" TYPE varchar(64) COLLATE "default"')


def write_keys_afresh(apps, schema_editor):
    from liman.registry.search import rebuild_search_keys

    rebuild_search_keys()


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_workflows_and_staging'),
        ('registry', '0003_personmerge'),
    ]

    operations = [
        migrations.AlterField(
            model_name='personnamekey',
            name='kind',
            field=models.CharField(choices=[('w', 'two name words'), ('p', 'skeletons of two name words'), ('b', 'date of birth')], max_length=1),
        ),
        migrations.AlterField(
            model_name='personnamekey',
            name='office',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.office'),
        ),
        migrations.AlterField(
            model_name='personnamekey',
            name='person',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='search_keys', to='registry.person'),
        ),
        migrations.RunPython(compare_keys_byte_by_byte, compare_keys_by_language),
        # Going back leaves the keys as they are: write them again with the code of that version.
        migrations.RunPython(write_keys_afresh, migrations.RunPython.noop),
    ]
