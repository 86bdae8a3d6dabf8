"""CSV for the accounts team: invoices, payments and refunds, as filtered on screen, streamed."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from core.admin_helpers import CSV_CHUNK, csv_response

INVOICE_HEADER = [
    "number", "kind", "status", "member_number", "billing_name", "billing_organization",
    "billing_email", "currency", "total", "issued_on", "due_on", "paid_at", "cancelled_at",
    "cancels", "report",
]  # fmt: skip
PAYMENT_HEADER = [
    "id", "invoice", "member_number", "method", "status", "amount", "currency", "check_number",
    "check_date", "received_on", "stripe_payment_intent", "confirmed_at", "refunded_at",
]  # fmt: skip
REFUND_HEADER = [
    "id", "invoice", "member_number", "payment", "method", "status", "amount", "currency",
    "check_number", "check_date", "stripe_refund", "reason", "consequence", "requested_by",
    "approved_by", "requested_at", "refunded_at", "correction",
]  # fmt: skip


def _stamp(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _filename(what: str) -> str:
    return f"{what}-{timezone.localdate().isoformat()}.csv"


def _export(
    what: str,
    header: list[str],
    queryset: QuerySet,
    related: list[str],
    row: Callable,
    order: str = "pk",
) -> HttpResponse:
    """`row(obj)` for every object, read a chunk at a time with `related` joined in, so the export
    costs the same few queries per chunk however many rows it has."""
    objects = queryset.select_related(*related).order_by(order).iterator(CSV_CHUNK)
    return csv_response(_filename(what), header, (row(obj) for obj in objects))


def _invoice_row(i) -> list:
    return [
        i.number, i.kind, i.status, i.member_number, i.billing_name, i.billing_organization,
        i.billing_email, i.currency, i.total, i.issued_on, i.due_on, _stamp(i.paid_at),
        _stamp(i.cancelled_at), i.cancels.number if i.cancels_id else "", i.report_id or "",
    ]  # fmt: skip


def _payment_row(p) -> list:
    return [
        p.pk, p.invoice.number, p.invoice.member_number, p.method, p.status, p.amount,
        p.currency, p.check_number, p.check_date or "", p.received_on or "",
        p.stripe_payment_intent_id or "", _stamp(p.confirmed_at), _stamp(p.refunded_at),
    ]  # fmt: skip


def _refund_row(r) -> list:
    return [
        r.pk, r.payment.invoice.number, r.payment.invoice.member_number, r.payment_id, r.method,
        r.status, r.amount, r.currency, r.check_number, r.check_date or "",
        r.stripe_refund_id or "", r.reason, r.consequence, r.requested_by, r.approved_by or "",
        _stamp(r.requested_at), _stamp(r.refunded_at),
        r.correction.number if r.correction_id else "",
    ]  # fmt: skip


def invoices_csv(queryset: QuerySet) -> HttpResponse:
    return _export("invoices", INVOICE_HEADER, queryset, ["cancels"], _invoice_row, order="counter")


def payments_csv(queryset: QuerySet) -> HttpResponse:
    return _export("payments", PAYMENT_HEADER, queryset, ["invoice"], _payment_row)


def refunds_csv(queryset: QuerySet) -> HttpResponse:
    related = ["payment__invoice", "requested_by", "approved_by", "correction"]
    return _export("refunds", REFUND_HEADER, queryset, related, _refund_row)
