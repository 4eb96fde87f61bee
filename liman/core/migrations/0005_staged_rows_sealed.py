"""Staged rows sealed with a key of their batch (`crypto.DataKey`) instead of a Fernet token each: the rows of
batches still open are opened with the field keys and sealed again; the emptied rows of committed batches become
blank."""

import liman.core.fields
from django.db import migrations, models


def seal_open_batches(apps, schema_editor):
    from liman.core import crypto

    ImportBatch = apps.get_model("core", "ImportBatch")
    StagedRow = apps.get_model("core", "StagedRow")
    batches = StagedRow.objects.values_list("batch_id", flat=True).distinct()
    for batch in ImportBatch.objects.filter(pk__in=list(batches)):
        key = None
        if batch.state in ("valid", "invalid"):  # still open: its rows are kept
            batch.rows_key = crypto.DataKey.generate()
            batch.save(update_fields=["rows_key"])
            key = crypto.DataKey(batch.rows_key)
        for row in StagedRow.objects.filter(batch=batch).iterator(chunk_size=2000):
            data = crypto.decrypt(row.data) if row.data else ""
            if key is None or data in ("", "{}"):
                row.data = ""
            else:
                row.data = key.seal(data, context=f"{batch.pk}/{row.row_number}")
            row.save(update_fields=["data"])


def encrypt_each_row(apps, schema_editor):
    from liman.core import crypto

    ImportBatch = apps.get_model("core", "ImportBatch")
    StagedRow = apps.get_model("core", "StagedRow")
    for batch in ImportBatch.objects.all():
        if not batch.rows_key:
            continue
        key = crypto.DataKey(batch.rows_key)
        for row in StagedRow.objects.filter(batch=batch).exclude(data="").iterator(chunk_size=2000):
            row.data = crypto.encrypt(key.open(row.data, context=f"{batch.pk}/{row.row_number}"))
            row.save(update_fields=["data"])
    for row in StagedRow.objects.filter(data="").iterator(chunk_size=2000):
        row.data = crypto.encrypt("{}")
        row.save(update_fields=["data"])


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_workflows_and_staging'),
    ]

    operations = [
        migrations.AddField(
            model_name='importbatch',
            name='rows_key',
            field=liman.core.fields.EncryptedTextField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name='stagedrow',
            name='data',
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(seal_open_batches, encrypt_each_row),
    ]
