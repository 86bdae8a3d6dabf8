"""Each account's pages version, and the triggers of the members app's tables that change it
(core.pages_version). Existing accounts get a random version each."""

from django.db import migrations, models

import core.pages_version
from core.pages_version import OWN_ROW, operation, renew_members_sql

TRIGGERS = {
    "members_user": OWN_ROW,
    "members_credential": "{row}.holder_id",
    "members_membershiprecord": "{row}.member_id",
    "members_committeerecord": "{row}.member_id",
    "members_notification": "{row}.member_id",
    "members_claimrequest": "{row}.member_id",
}


def renew_versions(apps, schema_editor):
    schema_editor.execute(renew_members_sql(schema_editor.connection.vendor), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0011_audit_cleared_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="pages_version",
            field=models.BigIntegerField(
                db_default=core.pages_version.NewVersion(),
                default=core.pages_version.new_version,
                editable=False,
            ),
        ),
        migrations.RunPython(renew_versions, migrations.RunPython.noop),
        operation(TRIGGERS),
    ]
