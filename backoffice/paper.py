"""Lapsed credentials' paper reports: staff record the report and the check, approval reinstates.

Whether a paper report can be recorded, its preview scored by the rules engine, recording it
(entries, scanned file, submission) with the invoice and check it is billed, and its approval.
Each state change is keyword-only and one transaction; it locks the credential and the report
with select_for_update and leaves an AuditLog row with the actor and the reason; emails (on
approval) are recorded in the transaction and sent after commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import log_action, snapshot
from core.formatting import format_date
from members.models import CommitteeRecord, Credential, MembershipRecord
from payments.checks import payment_record_check
from payments.invoices import PaymentError, invoice_issue, live_recertification_invoice
from payments.models import Invoice
from recertification import rules
from recertification.audits import log_report, report_state
from recertification.fees import program_fees
from recertification.models import Entry, Report, ReportCredential
from recertification.selectors import ScoredReport, auto_entries, score, scored_report
from recertification.services import entry_year_key
from recertification.uploads import CheckedFile, check_upload

from .common import lock_report
from .review import report_approve

S = Report.Status


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


def paper_cycle_invoice(credential: Credential) -> Invoice | None:
    """The invoice the member asked for online for this cycle's paper report (Reinstatement
    page), paid or not; None when they have not."""
    report = paper_cycle_report(credential)
    return live_recertification_invoice(report) if report is not None else None


def invoice_settled_note(invoice: Invoice) -> str:
    """How a paid invoice was settled, for staff: "paid on 03/16/2026 by check 12" or "by card
    online"; a fee of zero was paid by nobody."""
    paid_on = f" on {format_date(timezone.localdate(invoice.paid_at))}" if invoice.paid_at else ""
    confirmed = invoice.payments.filter(status="confirmed").first()
    if confirmed is None:
        return f"settled{paid_on}, nothing to pay"
    if confirmed.method == confirmed.Method.CHECK:
        return f"paid{paid_on} by check {confirmed.check_number}"
    return f"paid{paid_on} by card online"


def _refuse_check_on_paid_invoice(report: Report, check: CheckReceived | None) -> None:
    invoice = live_recertification_invoice(report)
    if check is not None and invoice is not None and not invoice.is_open:
        raise ValidationError(
            {
                "check_number": f"Invoice {invoice.number} is already paid "
                f"({invoice_settled_note(invoice)}): there is no check to record. Clear the "
                "check fields to record the report."
            }
        )


def paper_fees(program: str, *, reinstating: bool) -> tuple[list[tuple[str, Decimal]], str]:
    """The fees a paper report of a lapsed credential is billed, and the currency."""
    fees = program_fees(program)
    lines = [("Recertification fee", fees.recertification)]
    if reinstating and fees.reinstatement > 0:
        lines.append(("Reinstatement fee", fees.reinstatement))
    return lines, fees.currency


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
    checked = _check_paper_form(credential, entries, scanned_file)
    report = _report_to_record(credential)
    _refuse_check_on_paid_invoice(report, check)
    before = report_state(report)
    new = _save_paper_entries(report, credential, entries)
    scored = scored_report(report)
    if not scored.met:
        raise ValidationError(
            "The paper report does not meet the requirement: " + " ".join(scored.result.shortfalls)
        )
    _submit_paper_report(
        report, scored, scanned_file=scanned_file, checked=checked, signed_on=signed_on
    )
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


def _check_paper_form(
    credential: Credential, entries: list[PaperEntry], scanned_file
) -> CheckedFile:
    """Refuse the form unless the credential can take a paper report, with entries and a scan."""
    blocker = paper_report_blocker(credential)
    if blocker:
        raise ValidationError(blocker)
    if not entries:
        raise ValidationError("Enter the activities listed on the paper report.")
    if scanned_file is None:
        raise ValidationError({"scanned_file": "Upload the scanned paper report."})
    try:
        return check_upload(scanned_file)
    except ValidationError as error:
        raise ValidationError({"scanned_file": error.messages}) from None


def _report_to_record(credential: Credential) -> Report:
    """The lapsed cycle's report, locked and still editable, or a new paper report for it."""
    report = paper_cycle_report(credential)
    if report is not None:
        report = lock_report(report)
        if not report.is_editable:
            raise ValidationError(
                f"The report for this cycle is already {report.get_status_display().lower()} "
                f"(report {report.pk})."
            )
        return report
    report = _paper_report_shell(credential)
    report.save()
    ReportCredential.objects.create(
        report=report, credential=credential, cycle_start=credential.cycle_start
    )
    return report


def _save_paper_entries(
    report: Report, credential: Credential, entries: list[PaperEntry]
) -> list[Entry]:
    """Check each row as the portal would, refuse a year entered twice, save and attach them."""
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
    return new


def _submit_paper_report(
    report: Report, scored: ScoredReport, *, scanned_file, checked: CheckedFile, signed_on: dt.date
) -> None:
    """Attach the scan and submit the report with its score, as signed on paper."""
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


@transaction.atomic
def paper_report_approve(*, report: Report, actor, reason: str = "") -> Report:
    """Approve a paper report: the lapsed credential is reinstated with a new cycle and the
    member's portal opens again (its report for the new cycle is created at once)."""
    report = lock_report(report)
    if not report.is_paper:
        raise ValidationError("This is not a paper report; approve it from the review queue.")
    return report_approve(report=report, actor=actor, reason=reason)
