"""What the back office reads of a report's invoices and payments.

Whether a report is paid (for one report, a filter or a queue column), invoice-number search, the
invoices shown on the review page, and cancelling the open invoice when a fee is waived. The
invoices themselves belong to `payments`: nothing here issues or settles one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.lookups import IsNull

from payments.invoices import PaymentError
from payments.models import Invoice
from payments.settlement import invoice_cancel
from recertification.models import Report


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


def cancel_open_invoice(report: Report, *, actor, reason: str) -> str | None:
    """Cancel the report's open recertification invoice, if any; its number, or None."""
    invoice = _recertification_invoices().filter(report=report, status=Invoice.Status.OPEN).first()
    if invoice is None:
        return None
    try:
        invoice_cancel(invoice=invoice, actor=actor, reason=reason)
    except PaymentError as error:
        raise ValidationError(str(error)) from None
    return invoice.number
