"""The triggers of the recertification app's tables that change the pages versions
(core.pages_version)."""

from django.db import migrations

from core.pages_version import SITE, operation

REPORT_MEMBER = "(SELECT member_id FROM recertification_report WHERE id = {row}.report_id)"
ENTRY_MEMBER = "(SELECT member_id FROM recertification_entry WHERE id = {row}.entry_id)"

TRIGGERS = {
    "recertification_report": "{row}.member_id",
    "recertification_reportcredential": REPORT_MEMBER,
    "recertification_entry": "{row}.member_id",
    "recertification_entry_reports": ENTRY_MEMBER,
    "recertification_entryfile": ENTRY_MEMBER,
    "recertification_auditdecision": REPORT_MEMBER,
    "recertification_pointsadjustment": REPORT_MEMBER,
    "recertification_programsettings": SITE,
}


class Migration(migrations.Migration):
    dependencies = [
        ("recertification", "0009_report_audit_selected_at"),
        ("members", "0012_pages_version"),
        ("core", "0002_pagesversion"),
    ]

    operations = [operation(TRIGGERS)]
