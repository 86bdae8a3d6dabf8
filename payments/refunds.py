"""Refunds of confirmed payments (through Stripe for a card), each with its cancelling invoice."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from core.audit import snapshot

from . import stripe_gateway as gateway
from .invoices import PAYMENT_FIELDS, PaymentError, issue_correction, lock_invoice
from .models import Invoice, Payment
from .settlement import payment_log


def can_refund(user) -> bool:
    return bool(user and user.is_active and user.has_perm("payments.refund_payment"))


@transaction.atomic
def payment_refund(*, payment: Payment, actor, reason: str) -> Invoice:
    """Refund a confirmed payment (through Stripe for a card) and issue the cancelling invoice."""
    if not can_refund(actor):
        raise PermissionDenied("Only finance staff can refund payments.")
    if not reason or not reason.strip():
        raise PaymentError("Give a reason for the refund.")
    reason = reason.strip()
    invoice = lock_invoice(payment.invoice_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    payment.invoice = invoice
    if payment.status != Payment.Status.CONFIRMED:
        raise PaymentError("Only a confirmed payment can be refunded.")
    before = snapshot(payment, PAYMENT_FIELDS)
    if payment.method == Payment.Method.CARD:
        # Inside the transaction with an idempotency key: if our commit fails, the retry gets the
        # same refund back from Stripe instead of a second one.
        payment.stripe_refund_id = gateway.refund_create(
            payment_intent_id=payment.stripe_payment_intent_id,
            amount=gateway.to_minor_units(payment.amount, payment.currency),
            idempotency_key=f"refund-payment-{payment.pk}",
            metadata={"invoice": invoice.number, "reason": reason[:400]},
        )
    payment.status = Payment.Status.REFUNDED
    payment.refunded_at = timezone.now()
    payment.refund_reason = reason
    payment.save()
    payment_log(payment, "refunded", before=before, actor=actor, reason=reason)
    return issue_correction(invoice=invoice, actor=actor, reason=f"Refund: {reason}")
