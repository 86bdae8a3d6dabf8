"""What the lifecycle reads of invoices (`InvoiceInfo`), and the few payments calls it makes: the
extension fee invoice, a report's live invoice, unpaid invoices falling due, a program's fees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from members import emails
from payments.invoices import invoice_issue_extension
from payments.models import Invoice
from recertification.fees import program_fees as fees_of
from recertification.models import Report


@dataclass(frozen=True)
class InvoiceInfo:
    """What the lifecycle reads of an invoice."""

    pk: int
    number: str
    kind: str
    status: str
    total: Decimal
    currency: str
    payable_from: dt.date
    due_on: dt.date
    member_id: int
    report_id: int | None

    @property
    def paid(self) -> bool:
        return self.status == "paid"

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def url(self) -> str:
        return emails.site_url("payments:invoice", self.number)

    @property
    def pay_url(self) -> str:
        return emails.site_url("payments:pay", self.number)


def _invoice_info(invoice) -> InvoiceInfo:
    return InvoiceInfo(
        pk=invoice.pk,
        number=invoice.number,
        kind=invoice.kind,
        status=invoice.status,
        total=invoice.total,
        currency=invoice.currency,
        payable_from=invoice.payable_from,
        due_on=invoice.due_on,
        member_id=invoice.member_id,
        report_id=invoice.report_id,
    )


def invoice_get(pk: int | None, *, lock: bool = False) -> InvoiceInfo | None:
    """The invoice, or None; `lock`: its row locked until the caller's transaction ends."""
    if pk is None:
        return None
    invoices = Invoice.objects.select_for_update(of=("self",)) if lock else Invoice.objects
    invoice = invoices.filter(pk=pk).first()
    return _invoice_info(invoice) if invoice else None


def extension_invoice_issue(*, report: Report, actor, today: dt.date) -> InvoiceInfo | None:
    """Bill the extension fee (payments.invoices.invoice_issue_extension)."""
    return _invoice_info(invoice_issue_extension(report=report, actor=actor, today=today))


def report_invoice(report: Report) -> InvoiceInfo | None:
    """The report's live recertification (or reinstatement) invoice, if any."""
    invoice = (
        Invoice.objects.filter(report=report, kind__in=["recertification", "reinstatement"])
        .exclude(status="cancelled")
        .order_by("-issued_on", "-pk")
        .first()
    )
    return _invoice_info(invoice) if invoice else None


def unpaid_invoices_due(*, start: dt.date, end: dt.date) -> list[InvoiceInfo]:
    """Open invoices with something to pay, due between `start` and `end`."""
    invoices = (
        Invoice.objects.filter(status="open", total__gt=0, due_on__gte=start, due_on__lte=end)
        .exclude(kind="correction")
        .order_by("due_on", "pk")
    )
    return [_invoice_info(i) for i in invoices]


def program_fees(program: str) -> tuple[dict[str, Decimal], str]:
    """The fees as staff set them, by code, and their currency."""
    fees = fees_of(program)
    return fees.by_code(), fees.currency


def invoices_of_reports(report_ids) -> list[InvoiceInfo]:
    """The invoices (not cancelled) of these reports, newest first: one query."""
    invoices = (
        Invoice.objects.filter(report_id__in=list(report_ids))
        .exclude(status="cancelled")
        .order_by("-issued_on", "-pk")
    )
    return [_invoice_info(i) for i in invoices]
