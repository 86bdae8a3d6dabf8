"""Reads that the payments pages share; every member query is scoped to its owner."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from members.models import User

from .models import Invoice, Payment


def invoices_for(member: User, *, unpaid_only: bool = False) -> QuerySet[Invoice]:
    """The member's invoices, newest first; unpaid means open and not a correction."""
    invoices = (
        Invoice.objects.filter(member=member)
        .select_related("cancels", "report")  # the report's program: where checks go
        .defer("report__snapshot")
        .order_by("-issued_on", "-counter")
    )
    if unpaid_only:
        invoices = invoices.filter(status=Invoice.Status.OPEN).exclude(kind=Invoice.Kind.CORRECTION)
    return invoices


def invoice_for(member: User, number: str) -> Invoice:
    """One of the member's invoices with its lines and payments; 404 for anyone else's."""
    queryset = Invoice.objects.select_related("cancels", "report").prefetch_related(
        "lines",
        Prefetch("payments", queryset=Payment.objects.order_by("created_at", "id")),
        "cancelled_by",
    )
    return get_object_or_404(queryset, number=number, member=member)


def receipt_payment(invoice: Invoice) -> Payment | None:
    """The payment that settled the invoice (still shown after a refund), if any."""
    return (
        invoice.payments.filter(status__in=[Payment.Status.CONFIRMED, Payment.Status.REFUNDED])
        .order_by("-confirmed_at", "-id")
        .first()
    )
