"""Where an entry came from when the member did not type it: a CE provider's report or credits
carried over from the cycle before.

SQLite rebuilds the entry table for the new constraint, which drops its triggers and is refused
while another table's trigger reads it; those triggers are removed first and installed again after
(core.pages_version)."""

from functools import partial

import django.db.models.deletion
from django.db import migrations, models

from core.pages_version import install, operation, remove

ENTRY_MEMBER = "(SELECT member_id FROM recertification_entry WHERE id = {row}.entry_id)"

TRIGGERS = {
    "recertification_entry": "{row}.member_id",
    "recertification_entry_reports": ENTRY_MEMBER,
    "recertification_entryfile": ENTRY_MEMBER,
    "recertification_auditdecision": (
        "(SELECT member_id FROM recertification_report WHERE id = {row}.report_id)"
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("recertification", "0010_pages_version"),
    ]

    operations = [
        migrations.RunPython(partial(remove, TRIGGERS), partial(install, TRIGGERS)),
        migrations.AddField(
            model_name="entry",
            name="source",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Entered by the member"),
                    ("provider", "Reported by a CE provider"),
                    ("carried", "Carried over"),
                ],
                default="",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="entry",
            name="source_note",
            field=models.CharField(
                blank=True,
                help_text='E.g. "Reported by …" or "Carried over from …".',
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="entry",
            name="carried_from",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="carried_entries",
                to="recertification.report",
            ),
        ),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("carried_from__isnull", False)),
                fields=("carried_from",),
                name="one_carried_entry_per_report",
            ),
        ),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("source", ""), models.Q(("source_note", ""), _negated=True), _connector="OR"
                ),
                name="entry_source_has_note",
                violation_error_message="An entry that was not typed by the member says where it "
                "came from.",
            ),
        ),
        operation(TRIGGERS),
    ]
