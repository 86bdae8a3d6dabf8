"""A deposit's number of checks and total are read from its payments, no longer stored."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0005_pages_version'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='deposit',
            name='deposit_not_empty',
        ),
        migrations.RemoveField(
            model_name='deposit',
            name='checks',
        ),
        migrations.RemoveField(
            model_name='deposit',
            name='total',
        ),
    ]
