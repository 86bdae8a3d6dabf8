"""Certificate and ExtensionRequest move here from the members app: the tables keep their names
(members_certificate, members_extensionrequest), only the state moves.
"""

import django.db.models.deletion
import lifecycle.models
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import move_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ('members', '0004_notification_claimed_at'),
        ('recertification', '0003_review_queue_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Certificate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('cycle_start', models.DateField(help_text='The cycle the certificate covers.', verbose_name='cycle start')),
                        ('valid_from', models.DateField(verbose_name='valid from')),
                        ('valid_through', models.DateField(verbose_name='valid through')),
                        ('code', models.CharField(default=lifecycle.models.new_verification_code, editable=False, max_length=12, unique=True, verbose_name='verification code')),
                        ('status_index', models.PositiveIntegerField(editable=False, unique=True, verbose_name='status list index')),
                        ('issued_at', models.DateTimeField(verbose_name='issued at')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('revoked_reason', models.CharField(blank=True, max_length=200)),
                        ('credential', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='members.credential')),
                        ('issued_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('report', models.ForeignKey(blank=True, help_text='The approved report this certificate was issued for.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='recertification.report')),
                    ],
                    options={
                        'db_table': 'members_certificate',
                        'ordering': ['-valid_through', '-id'],
                        'constraints': [models.UniqueConstraint(fields=('credential', 'cycle_start'), name='one_certificate_per_credential_cycle'), models.CheckConstraint(condition=models.Q(('valid_through__gte', models.F('valid_from'))), name='certificate_valid_through_after_from')],
                    },
                ),
                migrations.CreateModel(
                    name='ExtensionRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('requested', 'Requested: fee not paid yet'), ('active', 'Active'), ('cancelled', 'Cancelled')], default='requested', max_length=10)),
                        ('requested_at', models.DateTimeField()),
                        ('new_deadline', models.DateField(verbose_name='new deadline')),
                        ('credits_documented', models.DecimalField(decimal_places=2, max_digits=8, verbose_name='credits with certificates')),
                        ('credits_needed', models.DecimalField(decimal_places=2, max_digits=8, verbose_name='credits needed')),
                        ('invoice_ref', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='invoice id')),
                        ('activated_at', models.DateTimeField(blank=True, null=True)),
                        ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                        ('cancel_reason', models.CharField(blank=True, max_length=300)),
                        ('member', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='extension_requests', to=settings.AUTH_USER_MODEL)),
                        ('report', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='extension_requests', to='recertification.report')),
                    ],
                    options={
                        'db_table': 'members_extensionrequest',
                        'ordering': ['-requested_at', '-id'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'cancelled'), _negated=True), fields=('report',), name='one_live_extension_per_report')],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types("members", "lifecycle", ["certificate", "extensionrequest"]),
    ]
