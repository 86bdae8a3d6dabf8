"""The one renderer of invoice and receipt PDFs (reportlab), generated on request from stored rows."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.formatting import format_date

from . import stripe_gateway as gateway
from .check_address import check_instructions_for
from .models import Invoice, Payment

BRAND = colors.HexColor("#0d6efd")


def _money(amount: Decimal, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,.2f} {currency}"


def _styles():
    styles = getSampleStyleSheet()
    return {
        "title": styles["Title"],
        "normal": styles["Normal"],
        "small": styles["BodyText"].clone("small", fontSize=8, leading=10),
        "h3": styles["Heading3"],
    }


def _document(buffer: io.BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.75 * inch,
        bottomMargin=0.75 * inch,
        title=title,
        author=settings.SITE_NAME,
    )


def _header(invoice: Invoice, heading: str, facts: list[tuple[str, str]]) -> list:
    s = _styles()
    addressee = [escape(invoice.billing_name)]
    if invoice.billing_organization:
        addressee.append(escape(invoice.billing_organization))
    addressee += [escape(line) for line in invoice.billing_address_lines]
    if invoice.member_number:
        addressee.append(f"Member number {escape(invoice.member_number)}")
    facts_table = Table(
        [[Paragraph(f"<b>{escape(k)}</b>", s["normal"]), escape(v)] for k, v in facts],
        colWidths=[1.4 * inch, 1.8 * inch],
    )
    facts_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    top = Table(
        [[Paragraph("<br/>".join(addressee), s["normal"]), facts_table]],
        colWidths=[3.6 * inch, 3.4 * inch],
    )
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [
        Paragraph(escape(settings.SITE_NAME), s["normal"]),
        Paragraph(escape(heading), s["title"]),
        top,
        Spacer(1, 12),
    ]


def _lines_table(invoice: Invoice) -> Table:
    s = _styles()
    rows = [["Description", "Qty", "Unit price", "Amount"]]
    for line in invoice.lines.all():
        rows.append(
            [
                Paragraph(escape(line.description), s["normal"]),
                str(line.quantity),
                _money(line.unit_price, invoice.currency),
                _money(line.amount, invoice.currency),
            ]
        )
    rows.append(["", "", "Total", _money(invoice.total, invoice.currency)])
    table = Table(rows, colWidths=[3.9 * inch, 0.5 * inch, 1.3 * inch, 1.3 * inch], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), BRAND),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                ("FONTNAME", (2, -1), (-1, -1), "Helvetica-Bold"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#f2f2f2")]),
            ]
        )
    )
    return table


def invoice_pdf(invoice: Invoice) -> bytes:
    s = _styles()
    buffer = io.BytesIO()
    heading = "Correction invoice" if invoice.is_correction else "Invoice"
    facts = [
        ("Invoice", invoice.number),
        ("Date issued", f"{format_date(invoice.issued_on)}"),
    ]
    if invoice.is_correction and invoice.cancels_id:
        facts.append(("Cancels", invoice.cancels.number))
    else:
        facts += [
            ("Payable from", f"{format_date(invoice.payable_from)}"),
            ("Due date", f"{format_date(invoice.due_on)}"),
        ]
    facts.append(("Status", invoice.display_status))
    story = _header(invoice, heading, facts)
    story.append(_lines_table(invoice))
    story.append(Spacer(1, 12))
    if invoice.reason:
        story.append(Paragraph(f"<b>Reason:</b> {escape(invoice.reason)}", s["normal"]))
    cancelled_by = invoice.cancelled_by.first() if not invoice.is_correction else None
    if cancelled_by is not None:
        story.append(
            Paragraph(
                f"This invoice was cancelled by correction invoice {escape(cancelled_by.number)}.",
                s["normal"],
            )
        )
    payments = [
        p
        for p in invoice.payments.all()
        if p.status in (Payment.Status.CONFIRMED, Payment.Status.REFUNDED)
    ]
    if payments:
        story.append(Paragraph("Payments", s["h3"]))
        for payment in payments:
            story.append(Paragraph(escape(_payment_sentence(payment)), s["normal"]))
    elif invoice.status == Invoice.Status.OPEN and not invoice.is_correction:
        story += _how_to_pay(invoice)
    story.append(Spacer(1, 18))
    story.append(Paragraph(f"Printed {format_date(timezone.localdate())}", s["small"]))
    _document(buffer, f"Invoice {invoice.number}").build(story)
    return buffer.getvalue()


def _how_to_pay(invoice: Invoice) -> list:
    """Card (only when it works) and the check instructions with the payee and the address that
    staff set; with none set yet, where it will be shown and whom to ask. Short lines, one fact
    each, so that none is split when printed."""
    s = _styles()
    check = check_instructions_for(invoice)
    lines = []
    if gateway.is_configured():
        lines.append(
            "Pay by card under Transactions in the Recertification Portal, or by check as below."
        )
    lines.append(
        f"By check: {_money(invoice.total, invoice.currency)}, with the invoice number "
        f"{escape(invoice.number)} written on the check."
    )
    if invoice.on_time_until:
        lines.append(f"A check dated on or before {format_date(invoice.on_time_until)} is on time.")
    if check is not None:
        lines.append(f"Make checks payable to: {escape(check.payee)}")
        lines.append(
            "Mail it to:<br/>" + "<br/>".join(escape(line) for line in check.address_lines)
        )
        lines.append(f"Questions: {escape(settings.SUPPORT_EMAIL)}.")
    else:
        lines.append("The address to mail your check to is not set up yet.")
        lines.append(
            "It will be shown on this invoice under Transactions in the Recertification Portal."
        )
        lines.append(f"Until then, write to {escape(settings.SUPPORT_EMAIL)} for it.")
    return [Paragraph("How to pay", s["h3"]), *(Paragraph(line, s["normal"]) for line in lines)]


def _payment_sentence(payment: Payment) -> str:
    when = timezone.localdate(payment.confirmed_at) if payment.confirmed_at else None
    how = f"check {payment.check_number}" if payment.method == Payment.Method.CHECK else "card"
    text = f"{_money(payment.amount, payment.currency)} by {how}"
    if payment.method == Payment.Method.CHECK and payment.check_date:
        text += f" dated {format_date(payment.check_date)}"
    if when:
        text += f", received {format_date(when)}"
    if payment.status == Payment.Status.REFUNDED and payment.refunded_at:
        text += f"; refunded {format_date(timezone.localdate(payment.refunded_at))}"
    return text + "."


def receipt_pdf(payment: Payment) -> bytes:
    s = _styles()
    invoice = payment.invoice
    buffer = io.BytesIO()
    paid_on = timezone.localdate(payment.confirmed_at) if payment.confirmed_at else None
    facts = [
        ("Receipt for", invoice.number),
        ("Date paid", f"{format_date(paid_on)}" if paid_on else ""),
        ("Amount paid", _money(payment.amount, payment.currency)),
        (
            "Paid by",
            f"Check {payment.check_number}" if payment.method == Payment.Method.CHECK else "Card",
        ),
    ]
    story = _header(invoice, "Receipt", facts)
    story.append(_lines_table(invoice))
    story.append(Spacer(1, 12))
    story.append(Paragraph(escape(_payment_sentence(payment)), s["normal"]))
    if payment.status == Payment.Status.REFUNDED:
        story.append(
            Paragraph("This payment was refunded; see the correction invoice.", s["normal"])
        )
    else:
        story.append(Paragraph("Thank you for your payment.", s["normal"]))
    story.append(Spacer(1, 18))
    story.append(Paragraph(f"Printed {format_date(timezone.localdate())}", s["small"]))
    _document(buffer, f"Receipt {invoice.number}").build(story)
    return buffer.getvalue()
