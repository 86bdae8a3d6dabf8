"""The time a report was last selected for audit, kept on the report.

Reports already selected take the time of their latest "selected for audit" audit record (the
random draw on submission or staff), or, without one, the report's last change; one UPDATE. Then
every selected report has a time, which the constraint requires from now on.
"""

from django.db import migrations, models
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast, Coalesce


def backfill_audit_selected_at(apps, schema_editor):
    Report = apps.get_model("recertification", "Report")
    AuditLog = apps.get_model("core", "AuditLog")
    latest = (
        AuditLog.objects.filter(
            object_type="recertification.report",
            object_id=Cast(OuterRef("pk"), CharField()),
            action="selected for audit",
        )
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    Report.objects.filter(selected_for_audit=True, audit_selected_at__isnull=True).update(
        audit_selected_at=Coalesce(Subquery(latest), F("updated_at"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("recertification", "0008_report_newest_first_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="audit_selected_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill_audit_selected_at, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.CheckConstraint(
                condition=models.Q(("selected_for_audit", False), ("audit_selected_at__isnull", False), _connector="OR"),
                name="audit_selection_has_time",
                violation_error_message="A report selected for audit needs the time it was selected.",
            ),
        ),
    ]
