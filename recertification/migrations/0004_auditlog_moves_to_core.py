"""The audit log moved to the core app (core 0001); its table stays where it is.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('recertification', '0003_review_queue_index'),
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='AuditLog',
                ),
            ],
            database_operations=[],
        ),
    ]
