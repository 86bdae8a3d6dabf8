"""Invoices: issued for a submitted report (with the fees its program's calendar makes due) or an
extension, and corrected only by a cancelling invoice, never edited or deleted.

Each public function is keyword-only and one transaction; the report row is locked, so a second
submission returns the first invoice. Lock order, always: report, invoice, payment, invoice counter.
Money is `Decimal` throughout.

Every invoice issued is emailed to the member ("invoice issued"), in the issuing transaction, except
a cancelling invoice (a correction), an invoice with nothing to pay, the replacement a check short
of the late fee is paid with at once (its receipt tells the member), and the invoice of a
submission, which the submission's own email covers (payments.receivers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.audit import log_action, snapshot
from core.formatting import format_date
from members.models import Credential, User
from recertification import rules
from recertification.fees import program_fees
from recertification.models import Report
from recertification.services import report_mark_paid

from .emails import queue_invoice_issued
from .models import Invoice, InvoiceCounter, InvoiceLine
from .signals import deadline_extended

CENT = Decimal("0.01")


ZERO = Decimal("0.00")


PAYMENT_TERM = dt.timedelta(days=30)


LIVE_RECERTIFICATION_KINDS = (Invoice.Kind.RECERTIFICATION, Invoice.Kind.REINSTATEMENT)


INVOICE_FIELDS = ["status", "total", "paid_at", "cancelled_at"]


PAYMENT_FIELDS = ["status", "amount", "currency", "failure_message"]


class PaymentError(Exception):
    """A payment or invoice operation that cannot go ahead; the message is safe to show."""


class AlreadyPaid(PaymentError):
    """The invoice is paid already (perhaps by the attempt we just looked at)."""


@dataclass(frozen=True)
class Line:
    fee_code: str
    description: str
    unit_price: Decimal
    quantity: int = 1

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


def _next_number() -> tuple[str, int, str]:
    """Take the next number for the configured prefix; numbers are never reused.

    One statement: the UPDATE locks the counter's row until the transaction ends, so two
    invoices issued at once get consecutive numbers. The first invoice of a prefix creates
    its counter, then takes the number the same way.
    """
    prefix = settings.INVOICE_NUMBER_PREFIX
    table = connection.ops.quote_name(InvoiceCounter._meta.db_table)
    # The table's name is the model's own; the prefix is a parameter.
    sql = f"UPDATE {table} SET last_number = last_number + 1 WHERE prefix = %s"  # noqa: S608
    sql += " RETURNING last_number"
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix])
        row = cursor.fetchone()
        if row is None:
            InvoiceCounter.objects.get_or_create(prefix=prefix)
            cursor.execute(sql, [prefix])
            row = cursor.fetchone()
    number = row[0]
    return prefix, number, f"{prefix}{number:05d}"


def _billing(member: User) -> dict[str, str]:
    return {
        "billing_name": member.get_full_name() or member.username,
        "billing_organization": member.organization,
        "billing_address": "\n".join(member.address_lines),
        "billing_email": member.email,
        "member_number": member.member_number,
    }


def create_invoice(
    *,
    member: User,
    report: Report | None,
    kind: str,
    lines: list[Line],
    currency: str,
    issued_on: dt.date,
    payable_from: dt.date,
    due_on: dt.date,
    on_time_until: dt.date | None = None,
    cancels: Invoice | None = None,
    reason: str = "",
    actor=None,
    notify: bool = True,
    billing: dict[str, str] | None = None,
) -> Invoice:
    if not lines:
        raise PaymentError("An invoice needs at least one line.")
    total = sum((line.amount for line in lines), ZERO)
    prefix, counter, number = _next_number()
    now = timezone.now()
    settled = kind == Invoice.Kind.CORRECTION or total == ZERO
    billing = _billing_for(member, cancels) | (billing or {})
    invoice = Invoice.objects.create(
        prefix=prefix,
        counter=counter,
        number=number,
        member=member,
        report=report,
        kind=kind,
        description=(
            f"Cancels invoice {cancels.number}" if cancels is not None else lines[0].description
        )[:300],
        status=Invoice.Status.PAID if settled else Invoice.Status.OPEN,
        paid_at=now if settled else None,
        currency=currency,
        issued_on=issued_on,
        payable_from=payable_from,
        due_on=max(due_on, issued_on),
        on_time_until=on_time_until,
        cancels=cancels,
        reason=reason,
        total=total,
        **billing,
    )
    _create_lines(invoice, lines)
    _log_issued(invoice, member=member, actor=actor)
    if notify and kind != Invoice.Kind.CORRECTION and total > ZERO:
        queue_invoice_issued(invoice)
    return invoice


def _billing_for(member: User, cancels: Invoice | None) -> dict[str, str]:
    """The member's billing details, or for a correction a copy of the original's, so that both
    show the same addressee.
    """
    if cancels is None:
        return _billing(member)
    return {
        "billing_name": cancels.billing_name,
        "billing_organization": cancels.billing_organization,
        "billing_address": cancels.billing_address,
        "billing_email": cancels.billing_email,
        "member_number": cancels.member_number,
    }


def _create_lines(invoice: Invoice, lines: list[Line]) -> None:
    """The invoice's lines, numbered from 1 in the order given."""
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            fee_code=line.fee_code,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
        )
        for position, line in enumerate(lines, start=1)
    )


def _log_issued(invoice: Invoice, *, member: User, actor) -> None:
    """The audit record of a new invoice."""
    log_action(
        invoice,
        "issued",
        actor=actor,
        member=member,
        reason=invoice.reason,
        after={
            "number": invoice.number,
            "kind": invoice.kind,
            "total": invoice.total,
            "currency": invoice.currency,
            "status": invoice.status,
            "cancels": invoice.cancels.number if invoice.cancels else None,
        },
    )


def lock_invoice(invoice: Invoice | int) -> Invoice:
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    return Invoice.objects.select_for_update(of=("self",)).select_related("member").get(pk=pk)


def _extension_granted(report: Report) -> bool:
    """An extension counts once its fee is paid, or when the lifecycle says it is active (staff may
    activate one): asked through the `deadline_extended` hook, since the lifecycle builds on us."""
    if Invoice.objects.filter(
        report=report, kind=Invoice.Kind.EXTENSION, status=Invoice.Status.PAID
    ).exists():
        return True
    return any(answer for _, answer in deadline_extended.send(sender=Report, report=report))


def _recertification_terms(
    report: Report, *, issued_on: dt.date, submitted_on: dt.date
) -> dict[str, Any]:
    """Kind, lines and dates of a report's invoice, from the program's fees and calendar."""
    program = rules.get_program(report.program)
    credentials = list(report.credentials.all())
    designations = " + ".join(sorted(c.designation for c in credentials)) or program.name
    fees = program_fees(program.code)
    calendar = program.deadlines_for(report.cycle_end.year)
    extension = _extension_granted(report)
    cycle = f"{format_date(report.cycle_start)}–{format_date(report.cycle_end)}"
    on_time = calendar.get("on_time_until")
    extended_until = calendar.get("extension_until") if extension else None
    # A paper report staff record for a lapsed credential reinstates it.
    lapsed = report.is_paper and any(c.status == Credential.Status.LAPSED for c in credentials)
    # A report staff accepted is billed at least its recertification fee, whatever the calendar.
    due = program.fees_due(
        report.cycle_end.year, submitted_on, extension_granted=extension, lapsed=lapsed
    ) or ["recertification"]
    lines = [
        Line(
            "recertification",
            f"Recertification fee, {designations}, cycle {cycle}",
            fees.recertification,
        )
    ]
    kind = Invoice.Kind.RECERTIFICATION
    if "reinstatement" in due and fees.reinstatement > ZERO:
        kind = Invoice.Kind.REINSTATEMENT
        lines.append(Line("reinstatement", "Reinstatement fee", fees.reinstatement))
    if "late" in due and fees.late > ZERO:
        lines.append(Line("late", f"Late fee (submitted after {format_date(on_time)})", fees.late))

    payable_from = max(issued_on, calendar.get("invoice_payable_from", issued_on))
    late_until = calendar.get("late_until")
    if on_time and issued_on <= on_time:
        due_on = on_time
    elif extended_until and issued_on <= extended_until:
        due_on = extended_until
    elif late_until and issued_on <= late_until:
        due_on = late_until
    else:
        due_on = payable_from + PAYMENT_TERM
    return {
        "kind": kind,
        "lines": lines,
        "currency": fees.currency,
        "payable_from": payable_from,
        "due_on": max(due_on, payable_from),
        "on_time_until": extended_until or on_time,
    }


def lock_report(report: Report | int) -> Report:
    """The report read again under select_for_update (its own row only), with its member."""
    pk = report.pk if isinstance(report, Report) else report
    return Report.objects.select_for_update(of=("self",)).select_related("member").get(pk=pk)


def report_payment_due(
    report: Report,
    *,
    actor,
    invoice: Invoice | None = None,
    action: str = "payment_due",
    reason: str = "",
) -> None:
    """Move a report (locked by the caller) to payment due and log it: the one place it happens.

    Paying moves it on again through `recertification.services.report_mark_paid`.
    """
    before = report.status
    report.status = Report.Status.PAYMENT_DUE
    report.save(update_fields=["status", "updated_at"])
    after = {"status": report.status}
    if invoice is not None:
        after["invoice"] = invoice.number
    log_action(
        report,
        action,
        actor=actor,
        member=report.member,
        reason=reason,
        before={"status": before},
        after=after,
    )


def live_recertification_invoice(report: Report) -> Invoice | None:
    """The report's recertification (or reinstatement) invoice that is not cancelled, if any."""
    return (
        Invoice.objects.filter(report=report, kind__in=LIVE_RECERTIFICATION_KINDS)
        .exclude(status=Invoice.Status.CANCELLED)
        .first()
    )


@transaction.atomic
def invoice_issue(
    *, report: Report, actor=None, today: dt.date | None = None, notify: bool = True
) -> Invoice:
    """Issue the invoice for a submitted report, or return the one it already has.

    Either way the report ends up where its invoice says: payment due while the invoice is open,
    on to review once it is paid (a report returned for correction and submitted again keeps
    its paid invoice and goes straight back to review). A new invoice is emailed to the member
    unless `notify` is False (at submission, whose email names the invoice).
    """
    report = lock_report(report)
    invoice = live_recertification_invoice(report)
    if invoice is None:
        if report.status not in (Report.Status.SUBMITTED, Report.Status.PAYMENT_DUE):
            raise PaymentError("Only a submitted report can be invoiced.")
        issued_on = today or timezone.localdate()
        submitted_on = timezone.localdate(report.submitted_at) if report.submitted_at else issued_on
        terms = _recertification_terms(report, issued_on=issued_on, submitted_on=submitted_on)
        invoice = create_invoice(
            member=report.member,
            report=report,
            issued_on=issued_on,
            actor=actor,
            notify=notify,
            **terms,
        )
    if invoice.status == Invoice.Status.PAID:
        # Nothing (more) to pay, e.g. a fee set to zero: the report goes on to review.
        report_mark_paid(report=report, actor=actor)
    elif report.status == Report.Status.SUBMITTED:
        report_payment_due(report, actor=actor, invoice=invoice)
    return invoice


@transaction.atomic
def invoice_issue_paper_report(
    *, report: Report, actor=None, today: dt.date | None = None
) -> Invoice:
    """Bill the paper report of a lapsed credential ahead of the report itself, or return the live
    invoice the report has.

    The report (the lapsed cycle's, still open) is billed what `invoice_issue` bills the paper
    report staff record for it (the same fees and terms), so that when staff record it
    `invoice_issue` finds this invoice: one invoice per report, already paid if the member paid.
    The report's status does not change: it is not submitted until staff record it.
    """
    report = lock_report(report)
    invoice = live_recertification_invoice(report)
    if invoice is not None:
        return invoice
    if not report.is_editable:
        raise PaymentError(
            f"The report for this cycle is already {report.get_status_display().lower()}."
        )
    if not any(c.status == Credential.Status.LAPSED for c in report.credentials.all()):
        raise PaymentError("Only the paper report of a lapsed credential is billed before it.")
    issued_on = today or timezone.localdate()
    # Billed as the paper report staff will record (not saved here: staff's recording marks it).
    report.is_paper = True
    terms = _recertification_terms(report, issued_on=issued_on, submitted_on=issued_on)
    return create_invoice(
        member=report.member, report=report, issued_on=issued_on, actor=actor, **terms
    )


@transaction.atomic
def invoice_issue_extension(*, report: Report, actor=None, today: dt.date | None = None) -> Invoice:
    """Issue the extension fee invoice for a report (NAMSS), or return the live one it has."""
    report = lock_report(report)
    existing = (
        Invoice.objects.filter(report=report, kind=Invoice.Kind.EXTENSION)
        .exclude(status=Invoice.Status.CANCELLED)
        .first()
    )
    if existing is not None:
        return existing
    fees = program_fees(report.program)
    if fees.extension <= ZERO:
        raise PaymentError("This program has no extension fee.")
    issued_on = today or timezone.localdate()
    calendar = rules.deadlines(report.program, report.cycle_end.year)
    return create_invoice(
        member=report.member,
        report=report,
        kind=Invoice.Kind.EXTENSION,
        lines=[Line("extension", f"Extension fee, {report.designations}", fees.extension)],
        currency=fees.currency,
        issued_on=issued_on,
        payable_from=issued_on,
        due_on=calendar.get("extension_request_until", issued_on + PAYMENT_TERM),
        actor=actor,
    )


def issue_correction(*, invoice: Invoice, actor, reason: str) -> Invoice:
    """Cancel `invoice` (already locked) and issue the correction that refers to it."""
    today = timezone.localdate()
    lines = [
        Line(
            line.fee_code,
            f"Cancels {invoice.number}: {line.description}",
            -line.unit_price,
            line.quantity,
        )
        for line in invoice.lines.all()
    ]
    before = snapshot(invoice, INVOICE_FIELDS)
    invoice.status = Invoice.Status.CANCELLED
    invoice.cancelled_at = timezone.now()
    invoice.save(update_fields=["status", "cancelled_at", "updated_at"])
    log_action(
        invoice,
        "cancelled",
        actor=actor,
        member=invoice.member,
        reason=reason,
        before=before,
        after=snapshot(invoice, INVOICE_FIELDS),
    )
    return create_invoice(
        member=invoice.member,
        report=invoice.report,
        kind=Invoice.Kind.CORRECTION,
        lines=lines,
        currency=invoice.currency,
        issued_on=today,
        payable_from=today,
        due_on=today,
        cancels=invoice,
        reason=reason,
        actor=actor,
    )


def reissue_without(*, invoice: Invoice, fee_code: str, actor, reason: str) -> Invoice:
    """Cancel `invoice` (locked) and issue its replacement without the lines of one fee.

    Not emailed: the replacement is issued to be paid at once by the check that was short of the
    fee, and the receipt names it.
    """
    kept = [
        Line(line.fee_code, line.description, line.unit_price, line.quantity)
        for line in invoice.lines.all()
        if line.fee_code != fee_code
    ]
    issue_correction(invoice=invoice, actor=actor, reason=reason)
    today = timezone.localdate()
    return create_invoice(
        member=invoice.member,
        report=invoice.report,
        kind=invoice.kind,
        lines=kept,
        currency=invoice.currency,
        issued_on=today,
        payable_from=invoice.payable_from,
        due_on=max(invoice.due_on, today),
        on_time_until=invoice.on_time_until,
        reason=reason,
        actor=actor,
        notify=False,
    )


BILLING_FIELDS = ["billing_name", "billing_organization", "billing_address", "billing_email"]


def billing_details(member: User) -> dict[str, str]:
    """The billing details an invoice for `member` starts from: their profile."""
    return {k: v for k, v in _billing(member).items() if k in BILLING_FIELDS}


@transaction.atomic
def invoice_issue_manual(
    *,
    member: User,
    lines: list[tuple[str, Decimal]],
    currency: str,
    due_on: dt.date,
    actor,
    billing: dict[str, str] | None = None,
    report: Report | None = None,
    reason: str = "",
    today: dt.date | None = None,
) -> Invoice:
    """An invoice finance raises by hand (some programs place the recertification invoice in the
    member's account): the lines as entered, numbered like every invoice and emailed to the member.

    Tied to a report, it is that report's recertification invoice (one live invoice per report):
    a submitted report moves to payment due, and paying it moves the report on to review.
    """
    issued_on = today or timezone.localdate()
    cleaned = []
    for description, amount in lines:
        description = (description or "").strip()
        amount = Decimal(amount).quantize(CENT)
        if not description or amount <= ZERO:
            raise PaymentError("Each line needs a description and an amount more than zero.")
        cleaned.append(Line("", description[:300], amount))
    if not cleaned:
        raise PaymentError("An invoice needs at least one line.")
    if due_on < issued_on:
        raise PaymentError("The due date cannot be before today.")
    if report is not None:
        report = lock_report(report)
        if report.member_id != member.pk:
            raise PaymentError("That report belongs to another member.")
        existing = live_recertification_invoice(report)
        if existing is not None:
            raise PaymentError(
                f"The report has invoice {existing.number} already; cancel it first to raise "
                "another."
            )
    billing = {k: (v or "").strip() for k, v in (billing or {}).items() if k in BILLING_FIELDS}
    invoice = create_invoice(
        member=member,
        report=report,
        kind=Invoice.Kind.RECERTIFICATION,
        lines=cleaned,
        currency=currency.upper(),
        issued_on=issued_on,
        payable_from=issued_on,
        due_on=due_on,
        reason=(reason or "").strip(),
        actor=actor,
        billing=billing,
    )
    if report is not None and report.status == Report.Status.SUBMITTED:
        report_payment_due(report, actor=actor, invoice=invoice)
    return invoice
