"""Audits chosen by staff: selecting a report, deciding each entry's documents, clearing or failing.

(Selection at submission, by the audit share, is `recertification.audits`.) Each state change is
keyword-only and one transaction; it locks the report with select_for_update, is a no-op when the
work is already done, and leaves an AuditLog row with the actor and the reason. Member emails are
recorded in the same transaction (members.emails) and sent after commit, so a mail server that is
down never undoes a decision: the email waits for `retry_emails`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core.audit import log_action, signed_in
from recertification import rules
from recertification.audits import email_audit_cleared, log_report, record_selection, report_state
from recertification.entry_details import entry_pairs
from recertification.models import AuditDecision, Entry, EntryFile, Report
from recertification.selectors import ScoredReport, scored_report, without_rejected

from .common import lock_report, required_reason
from .invoices import report_is_paid
from .review import APPROVABLE, return_to_member

S = Report.Status


@transaction.atomic
def report_select_for_audit(*, report: Report, actor, reason: str) -> Report:
    """Select a submitted report for audit; once paid it asks the member for documents."""
    reason = required_reason(reason, "selecting the report for audit")
    report = lock_report(report)
    paid = report.fee_waived or report_is_paid(report)
    pending = report.selected_for_audit and report.audit_outcome == ""
    if report.status == S.AUDIT or (pending and not paid):
        return report
    if report.status not in APPROVABLE:
        raise ValidationError(
            f"A report that is {report.get_status_display().lower()} cannot be selected for audit."
        )
    # A fresh audit: earlier decisions stay in the history, not on the report.
    AuditDecision.objects.filter(report=report).delete()
    record_selection(report, actor=actor, reason=reason, status=S.AUDIT if paid else None)
    return report


def _decision_reason(decision: str, reason: str) -> str:
    if decision not in AuditDecision.Decision.values:
        raise ValidationError("Choose accepted or rejected.")
    reason = (reason or "").strip()
    if decision == AuditDecision.Decision.REJECTED:
        reason = required_reason(reason, "rejecting the entry")
    return reason


def _decide(*, report: Report, entry: Entry, decision: str, reason: str, actor) -> AuditDecision:
    """One entry's decision on a locked report under audit, logged; the same again is a no-op."""
    existing = AuditDecision.objects.filter(report=report, entry=entry).first()
    if existing and existing.decision == decision and existing.reason == reason:
        return existing
    before = {"decision": existing.decision, "reason": existing.reason} if existing else None
    row, _ = AuditDecision.objects.update_or_create(
        report=report,
        entry=entry,
        defaults={
            "decision": decision,
            "reason": reason,
            "decided_by": signed_in(actor),
            "decided_at": timezone.now(),
        },
    )
    log_action(
        entry,
        f"audit {decision}",
        actor=actor,
        member=report.member,
        reason=reason,
        before=before,
        after={"decision": decision, "report": report.pk},
    )
    return row


def _locked_for_audit(report: Report) -> Report:
    report = lock_report(report)
    if report.status != S.AUDIT:
        raise ValidationError(
            "Entries are decided while the report is waiting for audit documents."
        )
    return report


@transaction.atomic
def audit_entry_decide(
    *, report: Report, entry: Entry, decision: str, actor, reason: str = ""
) -> AuditDecision:
    """Accept or reject one entry's documents (a rejection needs a reason). Same again: no-op."""
    reason = _decision_reason(decision, reason)
    report = _locked_for_audit(report)
    if not report.entries.filter(pk=entry.pk).exists():
        raise ValidationError("That entry is not part of this report.")
    return _decide(report=report, entry=entry, decision=decision, reason=reason, actor=actor)


@transaction.atomic
def audit_entries_decide(
    *, report: Report, decisions: list[tuple[Entry, str, str]], actor
) -> list[AuditDecision]:
    """Decide several entries of one report at once: (entry, decision, reason) each, all or none.

    Every decision is checked before any is saved; each saved one is logged as if decided alone."""
    checked = [
        (entry, decision, _decision_reason(decision, reason))
        for entry, decision, reason in decisions
    ]
    report = _locked_for_audit(report)
    own = set(report.entries.values_list("pk", flat=True))
    strangers = [entry.pk for entry, _, _ in checked if entry.pk not in own]
    if strangers:
        raise ValidationError("That entry is not part of this report.")
    return [
        _decide(report=report, entry=entry, decision=decision, reason=reason, actor=actor)
        for entry, decision, reason in checked
    ]


def files_since_selection() -> QuerySet[EntryFile]:
    """The files of the outer report's entries uploaded since its selection for audit (for an
    Exists or a Subquery over reports)."""
    return EntryFile.objects.filter(
        entry__reports=OuterRef("pk"), uploaded_at__gte=OuterRef("audit_selected_at")
    )


def audit_documents_received(report: Report) -> bool:
    """True when the member uploaded a document to one of the report's entries since the report
    was last selected for audit (False while it is not selected, or before any upload)."""
    if not report.selected_for_audit:
        return False
    return Report.objects.filter(pk=report.pk).filter(Exists(files_since_selection())).exists()


def rejected_entries(report: Report) -> list[tuple[str, str]]:
    """Each rejected entry of the report in words, with staff's note, in the entries' order."""
    program = rules.get_program(report.program)
    rejected = []
    for row in (
        AuditDecision.objects.filter(report=report, decision=AuditDecision.Decision.REJECTED)
        .select_related("entry")
        .order_by("entry__date", "entry__year", "entry_id")
    ):
        pairs = [value for label, value in entry_pairs(row.entry, program) if value]
        rejected.append((" · ".join(pairs), row.reason))
    return rejected


def rejected_notes(report: Report) -> list[str]:
    """Each rejected entry of the report in words with staff's note, for the member's email."""
    return [
        f"Not accepted: {entry}. Note from staff: {note}"
        for entry, note in rejected_entries(report)
    ]


def audited_score(report: Report) -> ScoredReport:
    """The report scored on its accepted entries only (automatic lines always count)."""
    return without_rejected(scored_report(report))


@transaction.atomic
def audit_clear(*, report: Report, actor, reason: str = "") -> Report:
    """Close a passed audit: every entry decided, and the accepted ones still meet the requirement."""
    report = lock_report(report)
    if report.audit_outcome == "cleared" and report.status != S.AUDIT:
        return report
    if report.status != S.AUDIT:
        raise ValidationError("Only a report waiting for audit documents can be cleared.")
    entry_ids = set(report.entries.values_list("pk", flat=True))
    decided = set(
        AuditDecision.objects.filter(report=report, entry_id__in=entry_ids).values_list(
            "entry_id", flat=True
        )
    )
    if entry_ids - decided:
        raise ValidationError(
            f"Accept or reject every entry first: {len(entry_ids - decided)} of "
            f"{len(entry_ids)} still undecided."
        )
    audited = audited_score(report)
    if not audited.met:
        raise ValidationError(
            f"Without the rejected entries the report counts {rules.format_decimal(audited.total)} "
            f"of {rules.format_decimal(audited.required)}: fail the audit instead."
        )
    before = report_state(report)
    report.audit_outcome = "cleared"
    report.status = S.IN_REVIEW
    report.save()
    cleared = log_report(
        report, "audit cleared", actor=actor, reason=reason, before=before, audited=audited.total
    )
    email_audit_cleared(
        report,
        cleared,
        total=audited.total,
        required=audited.required,
        not_accepted=rejected_entries(report),
    )
    return report


@transaction.atomic
def audit_fail(*, report: Report, actor, reason: str) -> Report:
    """Fail the audit: the report is returned to the member with the reason."""
    reason = required_reason(reason, "failing the audit")
    report = lock_report(report)
    if report.audit_outcome == "failed" and report.status == S.RETURNED:
        return report
    if report.status != S.AUDIT:
        raise ValidationError("Only a report waiting for audit documents can fail its audit.")
    report.audit_outcome = "failed"
    notes = rejected_notes(report)
    if notes:
        notes = ["The documents of these entries were not accepted:", *notes]
    return return_to_member(
        report, actor=actor, reason=reason, action="audit failed", details=tuple(notes)
    )
