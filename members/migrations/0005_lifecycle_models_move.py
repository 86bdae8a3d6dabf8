"""Certificate and ExtensionRequest moved to the lifecycle app (lifecycle 0001); their tables stay.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0004_notification_claimed_at'),
        ('lifecycle', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='extensionrequest',
                    name='member',
                ),
                migrations.RemoveField(
                    model_name='extensionrequest',
                    name='report',
                ),
                migrations.DeleteModel(
                    name='Certificate',
                ),
                migrations.DeleteModel(
                    name='ExtensionRequest',
                ),
            ],
            database_operations=[],
        ),
    ]
