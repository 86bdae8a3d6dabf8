"""Verified email addresses and email changes awaiting confirmation.

Every account that exists already receives the portal's email, so it counts as verified from the
day it was made (`mark_existing_accounts_verified`); from then on the field's default verifies the
accounts staff create, and self sign-up clears it until the member opens the link.
"""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def mark_existing_accounts_verified(apps, schema_editor):
    User = apps.get_model("members", "User")
    User.objects.filter(email_verified_at__isnull=True).update(email_verified_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_lifecycle_models_move"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="email verified"),
        ),
        migrations.RunPython(mark_existing_accounts_verified, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(
                blank=True,
                default=django.utils.timezone.now,
                null=True,
                verbose_name="email verified",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="pending_email",
            field=models.EmailField(
                blank=True, max_length=254, verbose_name="new email awaiting confirmation"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="pending_email_requested_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="new email requested"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("cycle_reminder", "Recertification reminder"),
                    ("invoice_reminder", "Unpaid invoice reminder"),
                    ("lapsed", "Credential lapsed"),
                    ("terminated", "Credential terminated"),
                    ("extension_requested", "Extension requested"),
                    ("extension_active", "Extension granted"),
                    ("certificate_issued", "Certificate issued"),
                    ("report_approved", "Recertification report approved"),
                    ("report_returned", "Recertification report returned"),
                    ("audit_selected", "Report selected for audit"),
                    ("payment_receipt", "Payment receipt"),
                    ("report_submitted", "Recertification report received"),
                    ("invoice_issued", "Invoice issued"),
                    ("email_verify", "Confirm your email address"),
                    ("email_change_confirm", "Confirm a new email address"),
                    ("email_change_notice", "Email change requested (old address)"),
                    ("email_changed", "Email address changed (old address)"),
                ],
                max_length=30,
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("held", "Held: waiting for a verified address"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
    ]
