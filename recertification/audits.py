"""Reports' history and the member emails about them, and the random audit draw on submission.

The back office (review, approval, audits) builds on these: a report's state goes into the audit log
as `report_state`, every decision the member should hear about is queued by `email_about_report`,
and a submission draws a share of reports for audit (`audit_select_on_submit`, before the invoice,
because a fee of zero moves a report on at once).
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.audit import log_action, snapshot
from core.formatting import format_date
from core.models import AuditLog
from core.site import site_url
from members import emails as member_emails

from . import rules
from .models import ProgramSettings, Report, ReportCredential

S = Report.Status
DEFAULT_AUDIT_RATE = Decimal("0.100")
# The audit log's action when a report is selected for audit, by the draw or by staff.
SELECTED_FOR_AUDIT = "selected for audit"
REPORT_FIELDS = ["status", "selected_for_audit", "audit_outcome", "fee_waived", "decided_at"]

# Notification kinds of the emails about a report (members.Notification.kind).
EMAIL_APPROVED = "report_approved"
EMAIL_RETURNED = "report_returned"
EMAIL_AUDIT = "audit_selected"
EMAIL_AUDIT_CLEARED = "audit_cleared"

_random = secrets.SystemRandom()


def report_state(report: Report) -> dict[str, Any]:
    return snapshot(report, REPORT_FIELDS)


def report_designations(report: Report) -> str:
    return " + ".join(
        sorted(
            ReportCredential.objects.filter(report=report).values_list(
                "credential__designation", flat=True
            )
        )
    )


def log_report(
    report: Report, action: str, *, actor, reason: str = "", before=None, **after
) -> AuditLog:
    return log_action(
        report,
        action,
        actor=actor,
        member=report.member,
        reason=reason,
        before=before,
        after=report_state(report) | after,
    )


def email_about_report(
    report: Report, subject: str, paragraphs: list[str], *, kind: str, event: AuditLog
) -> None:
    """Plain text, naming the member's numbers so support can find the record; recorded now
    under the key of the audit record of the decision, sent after commit."""
    member = report.member
    designations = report_designations(report)
    body = "\n\n".join(
        [
            f"Dear {member.display_name},",
            *paragraphs,
            f"Member number: {member.member_number}\n"
            f"Certification: {designations}\n"
            f"Recertification cycle: {format_date(report.cycle_start)} to {format_date(report.cycle_end)}\n"
            f"Report number: {report.pk}",
            f"Recertification Portal: {site_url()}{reverse('recertification:portal')}",
            f"Questions? Write to {settings.SUPPORT_EMAIL}.",
        ]
    )
    member_emails.queue(
        key=f"{kind}:{report.pk}:{event.pk}",
        kind=kind,
        member=member,
        context={},
        message=(f"{subject} ({designations}, member {member.member_number})", body, ""),
    )


def audit_rate(program: str) -> Decimal:
    rate = (
        ProgramSettings.objects.filter(program=program).values_list("audit_rate", flat=True).first()
    )
    return DEFAULT_AUDIT_RATE if rate is None else rate


def record_selection(report: Report, *, actor, reason: str, status: str | None = None) -> None:
    """Mark the report (locked by the caller) selected for audit now, with a new ``status`` if
    given; log it and email the member. The draw on submission and staff's selection both end
    here."""
    before = report_state(report)
    report.selected_for_audit = True
    report.audit_selected_at = timezone.now()
    report.audit_outcome = ""
    fields = ["selected_for_audit", "audit_selected_at", "audit_outcome", "updated_at"]
    if status is not None:
        report.status = status
        fields.append("status")
    report.save(update_fields=fields)
    selected = log_report(report, SELECTED_FOR_AUDIT, actor=actor, reason=reason, before=before)
    email_audit_selected(report, selected)


def audit_select_on_submit(report: Report, *, draw=None) -> bool:
    """Select a share of submitted reports at random for audit (ProgramSettings.audit_rate).

    Called by services.report_submit inside its transaction, with the report locked, before the invoice
    is issued (a fee of zero moves a report on at once). `draw` is for tests: a number in [0, 1).
    """
    if report.selected_for_audit or report.is_paper:
        return report.selected_for_audit
    rate = audit_rate(report.program)
    value = Decimal(str(draw)) if draw is not None else Decimal(_random.randrange(1000)) / 1000
    if value >= rate:
        return False
    record_selection(
        report,
        actor=None,
        reason=f"Random selection on submission ({rate * 100:.1f}% of {report.get_program_display()} reports)",
    )
    return True


def email_audit_selected(report: Report, event: AuditLog) -> None:
    email_about_report(
        report,
        "Your Recertification Report is selected for audit",
        [
            "Your Recertification Report has been selected for audit. For each entry, please "
            "upload the supporting documents (certificates, agendas, letters) on the Uploads page "
            "of the Recertification Portal"
            + (
                "."
                if report.status == S.AUDIT
                else " once your fee is paid; the report then shows “Audit: documents needed”."
            ),
            "Staff review the documents and then approve your report or ask you for more.",
        ],
        kind=EMAIL_AUDIT,
        event=event,
    )


def email_audit_cleared(
    report: Report,
    event: AuditLog,
    *,
    total: Decimal,
    required: Decimal,
    not_accepted: list[tuple[str, str]],
) -> None:
    """The "Your audit is complete" email: the documents are accepted and the report goes on to
    review; the entries whose documents were not accepted, each with staff's note, and the total
    the accepted entries count against the requirement. From templates/emails/audit_cleared*, recorded under
    the key of the audit record of the clearing, sent after commit."""
    program = rules.get_program(report.program)
    member_emails.queue(
        key=f"{EMAIL_AUDIT_CLEARED}:{report.pk}:{event.pk}",
        kind=EMAIL_AUDIT_CLEARED,
        member=report.member,
        context={
            "report": report,
            "designations": report_designations(report),
            "program_name": program.name,
            "point_name": program.point_names[1],
            "total": rules.format_decimal(total),
            "required": rules.format_decimal(required),
            "not_accepted": [{"entry": entry, "note": note} for entry, note in not_accepted],
        },
    )
