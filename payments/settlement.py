"""Money received: an invoice marked paid (and its report moved on), the receipt email, card
attempts brought in line with what Stripe reports, and cancelling an unpaid invoice.

Stripe is never trusted from what we were sent: a PaymentIntent is re-fetched and applied under the
invoice's row lock, exactly once; money for an invoice that is no longer open is refunded at once.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import log_action, snapshot
from members import emails as member_emails
from recertification.services import report_mark_paid

from . import stripe_gateway as gateway
from .emails import receipt_email
from .invoices import (
    INVOICE_FIELDS,
    LIVE_RECERTIFICATION_KINDS,
    PAYMENT_FIELDS,
    PaymentError,
    issue_correction,
    lock_invoice,
)
from .models import Invoice, Payment, StripeCustomer

logger = logging.getLogger(__name__)


def settle_card_attempts(invoice: Invoice) -> None:
    """Stop unfinished card attempts before an invoice is cancelled or paid by check.

    Each attempt is asked of Stripe and cancelled there when it can be, then applied in its own
    transaction (so a payment that succeeded meanwhile is recorded, not rolled back with the
    caller). If Stripe cannot be reached the attempt stays; should it succeed later, the webhook
    finds the invoice no longer open and refunds the card.
    """
    attempts = Payment.objects.filter(
        invoice_id=invoice.pk, method=Payment.Method.CARD, status__in=Payment.IN_FLIGHT
    ).values_list("stripe_payment_intent_id", flat=True)
    for intent_id in list(attempts):
        try:
            intent = gateway.payment_intent_retrieve(intent_id)
            if intent.status in (
                "requires_payment_method",
                "requires_confirmation",
                "requires_action",
            ):
                intent = gateway.payment_intent_cancel(intent_id)
        except gateway.GatewayError as exc:
            logger.warning("Could not cancel %s: %s", intent_id, exc)
            continue
        payment_apply_intent(intent)


def invoice_cancel(*, invoice: Invoice, actor, reason: str) -> Invoice:
    """Cancel an unpaid invoice with a reason; returns the cancelling correction invoice."""
    if not reason or not reason.strip():
        raise PaymentError("Give a reason for the cancellation.")
    settle_card_attempts(invoice)
    return _invoice_cancel(invoice=invoice, actor=actor, reason=reason.strip())


@transaction.atomic
def _invoice_cancel(*, invoice: Invoice, actor, reason: str) -> Invoice:
    invoice = lock_invoice(invoice)
    if invoice.is_correction:
        raise PaymentError("A correction cannot be cancelled.")
    if invoice.status == Invoice.Status.CANCELLED:
        raise PaymentError(f"Invoice {invoice.number} is already cancelled.")
    if invoice.status == Invoice.Status.PAID:
        raise PaymentError(f"Invoice {invoice.number} is paid: refund its payment instead.")
    return issue_correction(invoice=invoice, actor=actor, reason=reason)


def payment_log(payment: Payment, action: str, *, before: dict, actor=None, reason: str = ""):
    log_action(
        payment,
        action,
        actor=actor,
        member=payment.invoice.member,
        reason=reason,
        before=before,
        after=snapshot(payment, PAYMENT_FIELDS) | {"invoice": payment.invoice.number},
    )


def invoice_mark_paid(*, invoice: Invoice, payment: Payment, actor=None) -> None:
    before = snapshot(invoice, INVOICE_FIELDS)
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = timezone.now()
    invoice.save(update_fields=["status", "paid_at", "updated_at"])
    log_action(
        invoice,
        "paid",
        actor=actor,
        member=invoice.member,
        before=before,
        after=snapshot(invoice, INVOICE_FIELDS) | {"payment": payment.pk, "method": payment.method},
    )
    if invoice.report_id and invoice.kind in LIVE_RECERTIFICATION_KINDS:
        report_mark_paid(report=invoice.report, actor=actor)
    _queue_receipt(payment=payment, invoice=invoice)


RECEIPT_EMAIL = "payment_receipt"


def _queue_receipt(*, payment: Payment, invoice: Invoice) -> None:
    """Record the receipt email in the payment's transaction; it goes out after commit.

    A mail server that is down never undoes the payment: the email stays recorded as failed and
    `retry_emails` sends it later. Its body and PDF are made when it is sent (`receipt_content`),
    so that this transaction holds its locks for one INSERT only.
    """
    member_emails.queue(
        key=f"receipt:{payment.pk}",
        kind=RECEIPT_EMAIL,
        member=invoice.member,
        context={},
        invoice_ref=invoice.pk,
        to_email=invoice.billing_email or invoice.member.email,
        message=(f"Receipt for invoice {invoice.number}", "", ""),
    )


def receipt_content(notification) -> tuple[str, str, list[tuple[str, bytes, str]]]:
    """The receipt email of a recorded payment (payments/emails.py): text, HTML and the PDF."""
    payment_id = int(notification.key.rsplit(":", 1)[1])
    message = receipt_email(Payment.objects.select_related("invoice__member").get(pk=payment_id))
    html = next((body for body, kind in message.alternatives if kind == "text/html"), "")
    return message.body, html, [tuple(a) for a in message.attachments]


def _refund_unneeded(*, payment: Payment, invoice: Invoice, reason: str) -> None:
    """Money arrived for an invoice that is no longer open: give it back at once."""
    refund_id = gateway.refund_create(
        payment_intent_id=payment.stripe_payment_intent_id,
        amount=gateway.to_minor_units(payment.amount, payment.currency),
        idempotency_key=f"refund-unneeded-payment-{payment.pk}",
        metadata={"invoice": invoice.number, "reason": reason[:400]},
    )
    before = snapshot(payment, PAYMENT_FIELDS)
    now = timezone.now()
    payment.status = Payment.Status.REFUNDED
    payment.stripe_refund_id = refund_id
    payment.confirmed_at = payment.confirmed_at or now
    payment.refunded_at = now
    payment.refund_reason = reason
    payment.save()
    payment_log(payment, "refunded", before=before, reason=reason)


def apply_intent_to_payment(
    *, payment: Payment, invoice: Invoice, intent: gateway.Intent, actor=None
) -> Payment:
    """Bring a (locked) payment in line with its PaymentIntent as Stripe reports it."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    payment.invoice = invoice
    before = snapshot(payment, PAYMENT_FIELDS)
    if intent.status == "succeeded":
        if payment.status in (Payment.Status.CONFIRMED, Payment.Status.REFUNDED):
            return payment  # exactly once: a replay or a second delivery changes nothing
        expected = gateway.to_minor_units(payment.amount, payment.currency)
        if intent.amount != expected or intent.currency != payment.currency.upper():
            raise PaymentError(
                f"{intent.id} is for {intent.amount} {intent.currency}, "
                f"expected {expected} {payment.currency}."
            )
        if invoice.status != Invoice.Status.OPEN:
            _refund_unneeded(
                payment=payment,
                invoice=invoice,
                reason=f"Invoice {invoice.number} was already {invoice.get_status_display().lower()}.",
            )
            return payment
        payment.status = Payment.Status.CONFIRMED
        payment.confirmed_at = timezone.now()
        payment.received_on = timezone.localdate()
        payment.failure_message = ""
        payment.save()
        payment_log(payment, "confirmed", before=before, actor=actor)
        invoice_mark_paid(invoice=invoice, payment=payment, actor=actor)
    elif payment.status in Payment.IN_FLIGHT:
        if intent.status in ("processing", "requires_action", "requires_capture"):
            if payment.status != Payment.Status.PENDING:
                payment.status = Payment.Status.PENDING
                payment.save()
                payment_log(payment, "pending", before=before, actor=actor)
        elif intent.status == "canceled":
            payment.status = Payment.Status.CANCELED
            payment.save()
            payment_log(payment, "canceled", before=before, actor=actor)
        elif intent.status == "requires_payment_method" and intent.error_message:
            payment.status = Payment.Status.FAILED
            payment.failure_message = intent.error_message
            payment.save()
            payment_log(payment, "failed", before=before, actor=actor)
    return payment


def _adopt_payment_intent(intent: gateway.Intent) -> Payment | None:
    """A PaymentIntent we have no row for (our commit was lost): attach it by its metadata."""
    number = intent.metadata.get("invoice")
    if not number or intent.status not in ("succeeded", "processing", "requires_capture"):
        return None
    try:
        invoice = Invoice.objects.select_for_update(of=("self",)).get(
            number=number, pk=intent.metadata.get("invoice_id")
        )
    except (Invoice.DoesNotExist, ValueError):
        return None
    # Numbers are unique here, not across every database that ever used this Stripe account
    # (a test database reset): the PaymentIntent must also be of this member's customer.
    if not StripeCustomer.objects.filter(
        member_id=invoice.member_id, customer_id=intent.customer
    ).exists():
        return None
    existing = Payment.objects.filter(stripe_payment_intent_id=intent.id).first()
    if existing is not None:
        return existing
    if intent.amount is None or not intent.currency:
        return None
    attempt = (
        invoice.payments.filter(method=Payment.Method.CARD).aggregate(n=Max("attempt"))["n"] or 0
    ) + 1
    payment = Payment.objects.create(
        invoice=invoice,
        method=Payment.Method.CARD,
        status=Payment.Status.CREATED,
        amount=gateway.from_minor_units(intent.amount, intent.currency),
        currency=intent.currency,
        attempt=attempt,
        stripe_payment_intent_id=intent.id,
    )
    payment_log(payment, "adopted", before={})
    return payment


@transaction.atomic
def payment_apply_intent(intent: gateway.Intent) -> Payment | None:
    payment = Payment.objects.filter(stripe_payment_intent_id=intent.id).first()
    if payment is None:
        payment = _adopt_payment_intent(intent)
        if payment is None:
            return None
    invoice = lock_invoice(payment.invoice_id)
    return apply_intent_to_payment(payment=payment, invoice=invoice, intent=intent)


def payment_confirm_from_stripe(*, payment_intent_id: str) -> Payment | None:
    """Ask Stripe for the PaymentIntent and apply what it says; marks the invoice paid once.

    The webhook and the return page both come here, and neither trusts what it was sent: the
    state is re-fetched from Stripe. Returns None for a PaymentIntent that is none of ours.
    """
    intent = gateway.payment_intent_retrieve(payment_intent_id)
    return payment_apply_intent(intent)
