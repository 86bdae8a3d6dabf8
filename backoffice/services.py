"""What staff do to reports and credentials: review, approve, return, audit, paper reports.

Each state change is keyword-only and one transaction; it locks the report (then its credentials)
with select_for_update, is a no-op when the work is already done, and leaves an AuditLog row with
the actor and the reason. Member emails are recorded in the same transaction (members.emails) and
sent after commit, so a mail server that is down never undoes a decision: the email waits for
`retry_emails`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.lookups import IsNull
from django.utils import timezone

from core.audit import log_action, snapshot
from core.formatting import format_date
from core.models import AuditLog
from lifecycle.services import certificate_issue
from members.models import CommitteeRecord, Credential, MembershipRecord
from payments.checks import payment_record_check
from payments.invoices import PaymentError, invoice_issue
from payments.models import Invoice
from payments.settlement import invoice_cancel
from recertification import rules
from recertification.audits import (
    EMAIL_APPROVED,
    EMAIL_RETURNED,
    email_about_report,
    email_audit_selected,
    log_report,
    report_state,
)
from recertification.fees import program_fees
from recertification.models import AuditDecision, Entry, Report, ReportCredential
from recertification.selectors import ScoredReport, auto_entries, score, scored_report
from recertification.services import entry_year_key, report_mark_paid, reports_ensure_open
from recertification.uploads import check_upload

logger = logging.getLogger(__name__)

S = Report.Status
# Submitted and not yet decided: what the review queue shows by default.
QUEUE_STATUSES = (S.SUBMITTED, S.PAYMENT_DUE, S.IN_REVIEW, S.AUDIT)
APPROVABLE = (S.SUBMITTED, S.PAYMENT_DUE, S.IN_REVIEW)
RETURNABLE = (S.SUBMITTED, S.PAYMENT_DUE, S.IN_REVIEW, S.AUDIT)
CREDENTIAL_FIELDS = ["status", "cycle_start", "cycle_end", "renewed_on", "first_dual_cycle"]


def _required(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Give the reason for {what}; it is kept in the history."})
    return reason


def _lock(report: Report) -> Report:
    return Report.objects.select_for_update(of=("self",)).select_related("member").get(pk=report.pk)


# --- review and approval -----------------------------------------------------------------------


def approval_blocker(report: Report, *, paid: bool | None = None) -> str:
    """Why the report cannot be approved now, or "" when it can (`paid` if already known)."""
    if report.status == S.AUDIT or (
        report.selected_for_audit and report.audit_outcome != "cleared"
    ):
        return "The report is selected for audit: clear the audit before approving it."
    if report.status not in APPROVABLE:
        return f"A report that is {report.get_status_display().lower()} cannot be approved."
    if paid is None:
        paid = report_is_paid(report)
    if not (report.fee_waived or paid):
        return "The fee is not paid. Record the payment or waive the fee before approving."
    return ""


@transaction.atomic
def report_approve(*, report: Report, actor, reason: str = "") -> Report:
    """Approve a paid (or fee-waived) report: its credentials renew and the next cycle opens."""
    report = _lock(report)
    if report.status == S.APPROVED:
        return report
    blocker = approval_blocker(report)
    if blocker:
        raise ValidationError(blocker)
    return _approve(report, actor=actor, reason=(reason or "").strip())


def _approve(report: Report, *, actor, reason: str) -> Report:
    before = report_state(report)
    links = dict(
        ReportCredential.objects.filter(report=report).values_list("credential_id", "cycle_start")
    )
    credentials = list(
        Credential.objects.select_for_update().filter(pk__in=list(links)).order_by("pk")
    )
    report.status = S.APPROVED
    report.decided_at = timezone.now()
    report.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    report.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    renewed = [
        credential_renew(
            credential=c,
            actor=actor,
            reason=f"Report {report.pk} approved" + (f": {reason}" if reason else ""),
            from_cycle_start=links[c.pk],
        )
        for c in credentials
    ]
    approved = log_report(
        report,
        "approved",
        actor=actor,
        reason=reason,
        before=before,
        renewed={c.designation: f"{c.cycle_start}..{c.cycle_end}" for c in renewed},
    )
    for credential in renewed:
        certificate_issue(credential=credential, report=report, actor=actor)
    # The member can enter points for the new cycle at once: its report exists now.
    reports_ensure_open(member=report.member)
    cycles = "; ".join(
        f"{c.designation}: {format_date(c.cycle_start)} to {format_date(c.cycle_end)}"
        for c in renewed
    )
    email_about_report(
        report,
        "Your Recertification Report is approved",
        [
            "Your Recertification Report has been approved and your certification is renewed.",
            f"Your next recertification cycle: {cycles}. You can enter points for it in the "
            "Recertification Portal now.",
        ],
        kind=EMAIL_APPROVED,
        event=approved,
    )
    return report


@transaction.atomic
def credential_renew(
    *, credential: Credential, actor, reason: str = "", from_cycle_start: dt.date | None = None
) -> Credential:
    """Renew (or reinstate) a credential: status Renew, renewed today, the next cycle of its program.

    `from_cycle_start` is the cycle being renewed; when the credential has moved past it already,
    nothing changes, so approving twice renews once.
    """
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if from_cycle_start is not None and credential.cycle_start != from_cycle_start:
        return credential
    if credential.status in (Credential.Status.TERMINATED, Credential.Status.INACTIVE):
        raise ValidationError(
            f"The {credential.designation} credential is {credential.get_status_display().lower()} "
            "and cannot be renewed."
        )
    before = snapshot(credential, CREDENTIAL_FIELDS)
    action = "reinstated" if credential.status == Credential.Status.LAPSED else "renewed"
    start = rules.next_cycle_start(credential.cycle_end)
    credential.status = Credential.Status.RENEW
    credential.renewed_on = timezone.localdate()
    credential.cycle_start = start
    credential.cycle_end = rules.get_program(credential.program).cycle_end(start)
    credential.first_dual_cycle = False  # the first cycle as a dual certificant is over
    credential.save()
    log_action(
        credential,
        action,
        actor=actor,
        member=credential.holder,
        reason=reason,
        before=before,
        after=snapshot(credential, CREDENTIAL_FIELDS),
    )
    return credential


def _return(report: Report, *, actor, reason: str, action: str) -> Report:
    before = report_state(report)
    report.status = S.RETURNED
    report.return_reason = reason
    report.save()
    returned = log_report(report, action, actor=actor, reason=reason, before=before)
    email_about_report(
        report,
        "Your Recertification Report needs correction",
        [
            "Staff have returned your Recertification Report for correction, for this reason:",
            reason,
            "Your report is open again in the Recertification Portal: make the corrections and "
            "submit it again. Your payment, if you have made it, still stands.",
        ],
        kind=EMAIL_RETURNED,
        event=returned,
    )
    return report


@transaction.atomic
def report_return(*, report: Report, actor, reason: str) -> Report:
    """Reopen a submitted report for correction; the member is emailed the reason."""
    reason = _required(reason, "returning the report")
    report = _lock(report)
    if report.status == S.RETURNED:
        return report
    if report.status not in RETURNABLE:
        raise ValidationError(
            f"A report that is {report.get_status_display().lower()} cannot be returned."
        )
    return _return(report, actor=actor, reason=reason, action="returned")


@transaction.atomic
def report_waive_fee(*, report: Report, actor, reason: str) -> Report:
    """Waive the fee of a submitted report: its open invoice is cancelled and review can go on."""
    reason = _required(reason, "waiving the fee")
    report = _lock(report)
    if report.fee_waived:
        return report
    if report.status in (S.OPEN, S.RETURNED, S.APPROVED):
        raise ValidationError(
            f"A report that is {report.get_status_display().lower()} has no fee to waive."
        )
    if report_is_paid(report):
        raise ValidationError(
            "The fee is already paid. To give the money back, refund the payment from its invoice."
        )
    before = report_state(report)
    cancelled = _cancel_open_invoice(report, actor=actor, reason=f"Fee waived: {reason}")
    report.fee_waived = True
    report.save(update_fields=["fee_waived", "updated_at"])
    log_report(report, "fee waived", actor=actor, reason=reason, before=before, invoice=cancelled)
    if report.status in (S.SUBMITTED, S.PAYMENT_DUE):
        # Waived counts as paid: on to review (or to audit when selected).
        report_mark_paid(report=report, actor=actor)
        report.refresh_from_db()
    return report


# --- audits ----------------------------------------------------------------------------------


@transaction.atomic
def report_select_for_audit(*, report: Report, actor, reason: str) -> Report:
    """Select a submitted report for audit; once paid it asks the member for documents."""
    reason = _required(reason, "selecting the report for audit")
    report = _lock(report)
    paid = report.fee_waived or report_is_paid(report)
    pending = report.selected_for_audit and report.audit_outcome == ""
    if report.status == S.AUDIT or (pending and not paid):
        return report
    if report.status not in APPROVABLE:
        raise ValidationError(
            f"A report that is {report.get_status_display().lower()} cannot be selected for audit."
        )
    before = report_state(report)
    # A fresh audit: earlier decisions stay in the history, not on the report.
    AuditDecision.objects.filter(report=report).delete()
    report.selected_for_audit = True
    report.audit_outcome = ""
    if paid:
        report.status = S.AUDIT
    report.save()
    selected = log_report(report, "selected for audit", actor=actor, reason=reason, before=before)
    email_audit_selected(report, selected)
    return report


@transaction.atomic
def audit_entry_decide(
    *, report: Report, entry: Entry, decision: str, actor, reason: str = ""
) -> AuditDecision:
    """Accept or reject one entry's documents (a rejection needs a reason). Same again: no-op."""
    if decision not in AuditDecision.Decision.values:
        raise ValidationError("Choose accepted or rejected.")
    reason = (reason or "").strip()
    if decision == AuditDecision.Decision.REJECTED:
        reason = _required(reason, "rejecting the entry")
    report = _lock(report)
    if report.status != S.AUDIT:
        raise ValidationError(
            "Entries are decided while the report is waiting for audit documents."
        )
    if not report.entries.filter(pk=entry.pk).exists():
        raise ValidationError("That entry is not part of this report.")
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
            "decided_by": actor if getattr(actor, "is_authenticated", False) else None,
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


def audited_score(report: Report) -> ScoredReport:
    """The report scored on its accepted entries only (automatic lines always count)."""
    scored = scored_report(report)
    rejected = set(
        AuditDecision.objects.filter(
            report=report, decision=AuditDecision.Decision.REJECTED
        ).values_list("entry_id", flat=True)
    )
    entries = [
        line.entry for line in scored.lines if not line.auto and line.entry.pk not in rejected
    ]
    autos = [line.entry for line in scored.lines if line.auto]
    return score(scored.report, entries, autos, scored.credentials)


@transaction.atomic
def audit_clear(*, report: Report, actor, reason: str = "") -> Report:
    """Close a passed audit: every entry decided, and the accepted ones still meet the requirement."""
    report = _lock(report)
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
    log_report(
        report, "audit cleared", actor=actor, reason=reason, before=before, audited=audited.total
    )
    return report


@transaction.atomic
def audit_fail(*, report: Report, actor, reason: str) -> Report:
    """Fail the audit: the report is returned to the member with the reason."""
    reason = _required(reason, "failing the audit")
    report = _lock(report)
    if report.audit_outcome == "failed" and report.status == S.RETURNED:
        return report
    if report.status != S.AUDIT:
        raise ValidationError("Only a report waiting for audit documents can fail its audit.")
    report.audit_outcome = "failed"
    return _return(report, actor=actor, reason=reason, action="audit failed")


# --- lapsed credentials: paper reports ---------------------------------------------------------


@dataclass(frozen=True)
class PaperEntry:
    """One activity from a paper report: scoring values (kind, date or year, quantity...) and details."""

    values: dict[str, Any]
    details: dict[str, Any]


@dataclass(frozen=True)
class CheckReceived:
    number: str
    check_date: dt.date
    amount: Decimal
    received_on: dt.date | None = None


def paper_report_blocker(credential: Credential, today: dt.date | None = None) -> str:
    """Why a paper report cannot be recorded for this credential, or ""."""
    if credential.status != Credential.Status.LAPSED:
        if credential.status == Credential.Status.TERMINATED:
            return (
                f"The {credential.designation} credential is terminated: the person must apply "
                "again and pass the examination."
            )
        return (
            f"The {credential.designation} credential is {credential.get_status_display().lower()}; "
            "paper reports are recorded for lapsed credentials only."
        )
    today = today or timezone.localdate()
    until = rules.deadlines(credential.program, credential.cycle_end.year).get(
        "reinstatement_until"
    )
    if until is not None and today > until:
        return (
            f"The grace period to reinstate {credential.designation} ended on {format_date(until)}: "
            "the person must re-take the examination."
        )
    return ""


def paper_cycle_report(credential: Credential) -> Report | None:
    """The report of the credential's lapsed cycle, if the member had opened one."""
    link = (
        ReportCredential.objects.filter(credential=credential, cycle_start=credential.cycle_start)
        .select_related("report")
        .first()
    )
    return link.report if link else None


def _paper_report_shell(credential: Credential) -> Report:
    return Report(
        member=credential.holder,
        program=credential.program,
        cycle_start=credential.cycle_start,
        cycle_end=credential.cycle_end,
        is_paper=True,
    )


def _paper_entry(credential: Credential, item: PaperEntry) -> Entry:
    """An unsaved Entry for a paper activity, checked as the portal checks a member's entry."""
    program = rules.get_program(credential.program)
    values = dict(item.values)
    try:
        kind = program.kind(values["kind"])
        rules.check_activity(program, rules.Activity(**values))
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError(str(error)) from None
    day, year = values.get("date"), values.get("year")
    start, end = credential.cycle_start, credential.cycle_end
    window = f"the cycle {format_date(start)} to {format_date(end)}"
    if day is not None and not start <= day <= end:
        raise ValidationError(f"{kind.short} on {format_date(day)} is outside {window}.")
    if year is not None and not start.year <= year <= end.year:
        raise ValidationError(f"{kind.short} in {year} is outside {window}.")
    if (day or dt.date(year or 1, 1, 1)) > timezone.localdate():
        raise ValidationError(f"{kind.short}: the date is in the future.")
    return Entry(
        member=credential.holder,
        program=credential.program,
        category=kind.category,
        details=item.details,
        year_key=entry_year_key(program, values),
        **values,
    )


def paper_report_preview(
    *, credential: Credential, entries: list[PaperEntry]
) -> tuple[ScoredReport, list[str]]:
    """Score a paper report before it is saved: the cycle's existing entries, the automatic
    lines and the new ones, by the same rules engine. Returns the score and row errors."""
    existing = paper_cycle_report(credential)
    report = existing or _paper_report_shell(credential)
    errors: list[str] = []
    new: list[Entry] = []
    for number, item in enumerate(entries, start=1):
        try:
            new.append(_paper_entry(credential, item))
        except ValidationError as error:
            errors.append(f"Row {number}: {' '.join(error.messages)}")
    program = rules.get_program(credential.program)
    autos = auto_entries(
        program,
        MembershipRecord.objects.filter(member_id=credential.holder_id),
        CommitteeRecord.objects.filter(member_id=credential.holder_id),
    )
    old = list(existing.entries.order_by("created_at", "id")) if existing else []
    credentials = list(existing.credentials.all()) if existing else [credential]
    return score(report, [*old, *new], autos, credentials), errors


def _snapshot_lines(scored: ScoredReport) -> dict[str, Any]:
    # The same shape report_submit stores, so a paper report reads like an online one.
    return {
        "lines": [
            {
                "entry": getattr(line.entry, "pk", None),
                "kind": line.kind.code,
                "category": line.kind.category,
                "claimed": str(line.claimed),
                "counted": str(line.counted),
                "reason": line.reason,
                "auto": line.auto,
            }
            for line in scored.lines
        ],
        "total": str(scored.total),
        "required": str(scored.required),
    }


@transaction.atomic
def paper_report_record(
    *,
    credential: Credential,
    entries: list[PaperEntry],
    scanned_file,
    signed_on: dt.date,
    actor,
    reason: str = "",
    check: CheckReceived | None = None,
) -> Report:
    """Record the paper Recertification Report of a lapsed credential and the payment received.

    The report is the lapsed cycle's (the member's own unsubmitted one when there is one), marked
    paper, submitted with the entries scored by the rules engine; payments issues the invoice
    (with the reinstatement fee where the program has one) and records the check when given.
    """
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("holder")
        .get(pk=credential.pk)
    )
    blocker = paper_report_blocker(credential)
    if blocker:
        raise ValidationError(blocker)
    if not entries:
        raise ValidationError("Enter the activities listed on the paper report.")
    if scanned_file is None:
        raise ValidationError({"scanned_file": "Upload the scanned paper report."})
    try:
        checked = check_upload(scanned_file)
    except ValidationError as error:
        raise ValidationError({"scanned_file": error.messages}) from None

    report = paper_cycle_report(credential)
    if report is not None:
        report = _lock(report)
        if not report.is_editable:
            raise ValidationError(
                f"The report for this cycle is already {report.get_status_display().lower()} "
                f"(report {report.pk})."
            )
    else:
        report = _paper_report_shell(credential)
        report.save()
        ReportCredential.objects.create(
            report=report, credential=credential, cycle_start=credential.cycle_start
        )
    before = report_state(report)

    new = []
    for number, item in enumerate(entries, start=1):
        try:
            new.append(_paper_entry(credential, item))
        except ValidationError as error:
            raise ValidationError(f"Row {number}: {' '.join(error.messages)}") from None
    keys = [e.year_key for e in new if e.year_key]
    clash = set(
        Entry.objects.filter(member=credential.holder, year_key__in=keys).values_list(
            "year_key", flat=True
        )
    )
    if clash or len(keys) != len(set(keys)):
        raise ValidationError(
            "A membership, leadership or employment year is entered twice for the same "
            "organization (on this form or already in the portal)."
        )
    for entry in new:
        entry.save()
    report.entries.add(*new)

    scored = scored_report(report)
    if not scored.met:
        raise ValidationError(
            "The paper report does not meet the requirement: " + " ".join(scored.result.shortfalls)
        )
    report.scanned_report.save(checked.name, scanned_file, save=False)
    report.scanned_report_name = checked.name
    report.is_paper = True
    report.status = S.SUBMITTED
    report.submitted_at = timezone.now()
    report.agreed_on = signed_on
    report.points_counted = scored.total
    report.points_required = scored.required
    report.snapshot = _snapshot_lines(scored)
    report.save()
    for entry in new:
        log_action(
            entry,
            "created",
            actor=actor,
            member=credential.holder,
            reason=f"Paper report {report.pk}",
            after=snapshot(entry, ["kind", "date", "year", "quantity", "organization", "details"]),
        )
    log_report(
        report,
        "paper report recorded",
        actor=actor,
        reason=reason,
        before=before,
        points_counted=scored.total,
        entries=len(new),
        scanned_report=checked.name,
    )
    _bill_paper_report(report, actor=actor, check=check)
    report.refresh_from_db()
    return report


@transaction.atomic
def paper_report_approve(*, report: Report, actor, reason: str = "") -> Report:
    """Approve a paper report: the lapsed credential is reinstated with a new cycle and the
    member's portal opens again (its report for the new cycle is created at once)."""
    report = _lock(report)
    if not report.is_paper:
        raise ValidationError("This is not a paper report; approve it from the review queue.")
    return report_approve(report=report, actor=actor, reason=reason)


# --- what the staff pages read -----------------------------------------------------------------


def report_history(
    report: Report, *, entry_ids: list[int], invoice_ids: list[int], credential_ids: list[int]
) -> list[AuditLog]:
    """Every audit record of the report, its entries, credentials and invoices, newest first."""
    wanted = Q(object_type="recertification.report", object_id=str(report.pk))
    if entry_ids:
        wanted |= Q(object_type="recertification.entry", object_id__in=[str(i) for i in entry_ids])
    if invoice_ids:
        wanted |= Q(object_type="payments.invoice", object_id__in=[str(i) for i in invoice_ids])
    if credential_ids:
        wanted |= Q(
            object_type="members.credential", object_id__in=[str(i) for i in credential_ids]
        )
    return list(AuditLog.objects.filter(wanted).select_related("actor").order_by("-at", "-id"))


# --- invoices and payments of reports ------------------------------------------------------------


def _recertification_invoices() -> QuerySet:

    return Invoice.objects.filter(
        kind__in=[Invoice.Kind.RECERTIFICATION, Invoice.Kind.REINSTATEMENT]
    )


def paid_condition() -> Q | Exists:
    """An expression true for reports whose recertification invoice is paid (for filters and columns)."""
    return Exists(
        _recertification_invoices().filter(report=OuterRef("pk"), status=Invoice.Status.PAID)
    )


def paid_column() -> IsNull | Value:
    """The "paid" column of one report row: a scalar subquery per row shown.

    ``paid_condition()`` in a SELECT list is planned by PostgreSQL as a hash of every paid invoice
    (a pass over the invoice table on each page of the queue); this looks up the rows shown, by
    index, so a queue page costs the same with 1,000 reports as with 100,000.
    """

    paid_invoice = Subquery(
        _recertification_invoices()
        .filter(report=OuterRef("pk"), status=Invoice.Status.PAID)
        .values("pk")[:1]
    )
    return IsNull(paid_invoice, False)


def invoice_number_condition(term: str) -> Q:
    """Reports with an invoice numbered `term` (search); an uncorrelated subquery, so it stays an
    index lookup however many reports there are."""

    return Q(pk__in=Invoice.objects.filter(number__iexact=term).values("report_id"))


def invoice_numbers_have_prefix() -> bool:
    return bool(getattr(settings, "INVOICE_NUMBER_PREFIX", ""))


def looks_like_invoice_number(term: str) -> bool:
    """True for a search word that starts with the invoice number prefix (e.g. "RC-00042")."""
    prefix = getattr(settings, "INVOICE_NUMBER_PREFIX", "")
    return bool(prefix) and term.upper().startswith(prefix.upper())


def report_is_paid(report: Report) -> bool:
    """True when the report's recertification (or reinstatement) invoice is paid."""
    return Report.objects.filter(pk=report.pk).filter(paid_condition()).exists()


def invoices_paid(invoices: list) -> bool:
    """Whether these invoices (from report_invoices) include a paid recertification invoice."""
    return any(
        i.status == Invoice.Status.PAID
        and i.kind in (Invoice.Kind.RECERTIFICATION, Invoice.Kind.REINSTATEMENT)
        for i in invoices
    )


def report_invoices(report: Report) -> list:
    """The report's invoices with their payments and lines, for the review page."""
    return list(
        Invoice.objects.filter(report=report)
        .prefetch_related("payments", "lines")
        .order_by("issued_on", "counter")
    )


def paper_fees(program: str, *, reinstating: bool) -> tuple[list[tuple[str, Decimal]], str]:
    """The fees a paper report of a lapsed credential is billed, and the currency."""
    fees = program_fees(program)
    lines = [("Recertification fee", fees.recertification)]
    if reinstating and fees.reinstatement > 0:
        lines.append(("Reinstatement fee", fees.reinstatement))
    return lines, fees.currency


def _cancel_open_invoice(report: Report, *, actor, reason: str) -> str | None:
    invoice = _recertification_invoices().filter(report=report, status=Invoice.Status.OPEN).first()
    if invoice is None:
        return None
    try:
        invoice_cancel(invoice=invoice, actor=actor, reason=reason)
    except PaymentError as error:
        raise ValidationError(str(error)) from None
    return invoice.number


def _bill_paper_report(report: Report, *, actor, check: CheckReceived | None) -> None:
    try:
        invoice = invoice_issue(report=report, actor=actor)
        if check is not None and invoice.is_open:
            payment_record_check(
                invoice=invoice,
                number=check.number,
                check_date=check.check_date,
                amount=check.amount,
                received_on=check.received_on,
                actor=actor,
            )
    except PaymentError as error:
        raise ValidationError({"amount": str(error)}) from None
