"""A salt per certificate for the hashed recipient email in its badge.

SQLite rebuilds the certificate table for the new column, which drops its triggers; they are
removed first and installed again after (core.pages_version)."""

import secrets
from functools import partial

from django.db import migrations, models

import lifecycle.models
from core.pages_version import install, operation, remove

TRIGGERS = {
    "members_certificate": (
        "(SELECT holder_id FROM members_credential WHERE id = {row}.credential_id)"
    ),
}


def fill_salts(apps, schema_editor):
    """A salt of its own for every certificate issued before badges named their recipient by a
    hashed email (one shared default would let one hash be matched across badges)."""
    Certificate = apps.get_model("lifecycle", "Certificate")
    for pk in (
        Certificate.objects.filter(recipient_salt="")
        .values_list("pk", flat=True)
        .iterator(chunk_size=1000)
    ):
        Certificate.objects.filter(pk=pk).update(recipient_salt=secrets.token_hex(16))


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0003_pages_version"),
    ]

    operations = [
        migrations.RunPython(partial(remove, TRIGGERS), partial(install, TRIGGERS)),
        migrations.AddField(
            model_name="certificate",
            name="recipient_salt",
            field=models.CharField(
                default="",
                editable=False,
                help_text="Salt of the hashed email that identifies the holder in the digital badge.",
                max_length=32,
                verbose_name="recipient salt",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_salts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="certificate",
            name="recipient_salt",
            field=models.CharField(
                default=lifecycle.models.new_recipient_salt,
                editable=False,
                help_text="Salt of the hashed email that identifies the holder in the digital badge.",
                max_length=32,
                verbose_name="recipient salt",
            ),
        ),
        operation(TRIGGERS),
    ]
