"""The member's emails about money: the receipt (plain text and HTML from templates, with the PDF
receipt attached), the "invoice issued" email, and the one email a submission sends (the report
received and its invoice). The last two go through the members' outbox (members.emails.queue)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from members import emails as member_emails
from members.models import Notification
from recertification import rules
from recertification.models import Report

from . import pdf
from . import stripe_gateway as gateway
from .check_address import check_instructions_for
from .models import Invoice, Payment, Refund


def receipt_email(payment: Payment) -> EmailMultiAlternatives:
    invoice = payment.invoice
    context = member_emails.base_context(invoice.member) | {
        "payment": payment,
        "invoice": invoice,
        "invoice_url": member_emails.site_url("payments:invoice", invoice.number),
    }
    message = EmailMultiAlternatives(
        subject=f"Receipt for invoice {invoice.number}",
        body=render_to_string("payments/email/receipt.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invoice.billing_email or invoice.member.email],
        reply_to=[settings.SUPPORT_EMAIL],
    )
    message.attach_alternative(
        render_to_string("payments/email/receipt.html", context), "text/html"
    )
    message.attach(f"receipt-{invoice.number}.pdf", pdf.receipt_pdf(payment), "application/pdf")
    return message


# --- invoices and submission --------------------------------------------------------------------


def _how_to_pay(invoice: Invoice) -> dict[str, Any]:
    """What an email says of paying `invoice`: nothing to pay, the card payment page, or (without
    card payments) where to mail a check; the invoice page always."""
    number = invoice.number
    payable = invoice.status == Invoice.Status.OPEN and invoice.total > 0
    card = payable and gateway.is_configured()
    return {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "amount": f"{invoice.total} {invoice.currency}",
        "payable": payable,
        "paid_already": invoice.status == Invoice.Status.PAID and invoice.total > 0,
        "payable_later": payable and invoice.payable_from > invoice.issued_on,
        "pay_url": member_emails.site_url("payments:pay", number) if card else "",
        "check": None if card or not payable else check_instructions_for(invoice),
        "invoice_url": member_emails.site_url("payments:invoice", number),
    }


def queue_invoice_issued(invoice: Invoice) -> None:
    """The "invoice issued" email, for an invoice issued at any time but submission (whose email
    covers it): recorded in the issuing transaction, sent after commit."""
    member_emails.queue(
        key=f"invoice_issued:{invoice.pk}",
        kind=Notification.Kind.INVOICE_ISSUED,
        member=invoice.member,
        invoice_ref=invoice.pk,
        context=_how_to_pay(invoice),
    )


def queue_report_submitted(*, report: Report, invoice: Invoice) -> None:
    """One email at submission: what was submitted, its invoice (or that there is nothing to pay)
    and the next step.

    Composed here rather than in recertification, which submits the report: the invoice is issued
    by payments in the same transaction (payments.receivers), and recertification may not import
    payments. Recorded before the submission commits, so a rolled-back submission sends nothing.
    """
    program = rules.get_program(report.program)
    credentials = sorted(report.credentials.all(), key=lambda c: c.designation)
    submitted_at = report.submitted_at.isoformat() if report.submitted_at else ""
    member_emails.queue(
        key=f"report_submitted:{report.pk}:{submitted_at}",
        kind=Notification.Kind.REPORT_SUBMITTED,
        member=report.member,
        invoice_ref=invoice.pk,
        context={
            **_how_to_pay(invoice),
            "report": report,
            "credentials": credentials,
            "designations": " + ".join(c.designation for c in credentials),
            "program_name": program.name,
            "points_counted": rules.format_decimal(report.points_counted or 0),
            "points_required": rules.format_decimal(report.points_required or 0),
            "point_name": program.point_names[1],
            "in_audit": report.status == Report.Status.AUDIT,
            "uploads_url": member_emails.site_url("recertification:uploads"),
        },
    )


# --- refunds --------------------------------------------------------------------------------------


def queue_refund_receipt(refund, *, invoice: Invoice, report: Report | None) -> None:
    """The refund receipt: amount, method, invoice and what it means for the member's
    certification; recorded in the refund's transaction, sent after commit."""
    approved = report is not None and report.status == Report.Status.APPROVED
    member_emails.queue(
        key=f"refund_receipt:{refund.pk}",
        kind=Notification.Kind.REFUND_RECEIPT,
        member=invoice.member,
        invoice_ref=invoice.pk,
        to_email=invoice.billing_email or invoice.member.email,
        context={
            "refund": refund,
            "invoice": invoice,
            "amount": f"{refund.amount} {refund.currency}",
            "paid": f"{refund.payment.amount} {refund.payment.currency}",
            "method": refund.method_text,
            "full": refund.correction_id is not None,
            "report": report,
            "renewal_stands": approved,
            "payment_due_again": report is not None
            and refund.consequence == Refund.Consequence.PAYMENT_DUE,
            "invoice_url": member_emails.site_url("payments:invoice", invoice.number),
        },
    )
