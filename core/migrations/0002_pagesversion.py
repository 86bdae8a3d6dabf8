"""The site's pages version (one row, id 1) and the audit log's trigger (core.pages_version): the
member's data download shows the member's audit records."""

from django.db import migrations, models

import core.pages_version
from core.pages_version import SITE_ROW, new_version, operation

TRIGGERS = {
    "recertification_auditlog": "{row}.member_id",
}


def create_row(apps, schema_editor):
    PagesVersion = apps.get_model("core", "PagesVersion")
    PagesVersion.objects.using(schema_editor.connection.alias).get_or_create(
        pk=SITE_ROW, defaults={"value": new_version()}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("members", "0012_pages_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="PagesVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "value",
                    models.BigIntegerField(default=core.pages_version.new_version, editable=False),
                ),
            ],
            options={
                "db_table": "core_pagesversion",
            },
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
        operation(TRIGGERS),
    ]
