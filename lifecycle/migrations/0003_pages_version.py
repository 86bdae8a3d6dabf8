"""The triggers of the lifecycle app's tables (named as the members app created them) that
change the pages versions (core.pages_version)."""

from django.db import migrations

from core.pages_version import operation

TRIGGERS = {
    "members_certificate": (
        "(SELECT holder_id FROM members_credential WHERE id = {row}.credential_id)"
    ),
    "members_extensionrequest": "{row}.member_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0002_certificate_holder_name"),
        ("members", "0012_pages_version"),
    ]

    operations = [operation(TRIGGERS)]
