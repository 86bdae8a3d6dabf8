"""Card payments through Stripe: the member's customer, the SetupIntent that collects the card,
one PaymentIntent per attempt (locked per invoice), and what the member sees of the outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import snapshot
from core.formatting import format_date
from members.models import User

from . import stripe_gateway as gateway
from .invoices import PAYMENT_FIELDS, AlreadyPaid, PaymentError, lock_invoice
from .models import Invoice, Payment, StripeCustomer
from .settlement import (
    apply_intent_to_payment,
    payment_apply_intent,
    payment_confirm_from_stripe,
    payment_log,
)


def ensure_payable(invoice: Invoice, *, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    if invoice.status == Invoice.Status.PAID or invoice.is_correction:
        raise AlreadyPaid(f"Invoice {invoice.number} is paid. Thank you.")
    if invoice.status != Invoice.Status.OPEN:
        raise PaymentError(f"Invoice {invoice.number} is cancelled and cannot be paid.")
    if today < invoice.payable_from:
        raise PaymentError(
            f"Invoice {invoice.number} can be paid from {format_date(invoice.payable_from)}."
        )


def stripe_customer_for(member: User, *, refresh: bool = False) -> str:
    """The member's Stripe Customer id, created at Stripe on first use."""
    row = StripeCustomer.objects.filter(member=member).first()
    if row is not None and not refresh:
        return row.customer_id
    customer_id = gateway.customer_create(
        email=member.email,
        name=member.get_full_name() or member.username,
        member_number=member.member_number,
        idempotency_key=f"customer-{member.pk}-{member.member_number}-{int(refresh)}",
    )
    if row is not None:
        row.customer_id = customer_id
        row.save(update_fields=["customer_id"])
        return customer_id
    try:
        with transaction.atomic():
            row, _ = StripeCustomer.objects.get_or_create(
                member=member, defaults={"customer_id": customer_id}
            )
    except IntegrityError:
        row = StripeCustomer.objects.get(member=member)
    return row.customer_id


# A SetupIntent in one of these states can still collect a card: the pay page shows it again.
REUSABLE_SETUP = {"requires_payment_method", "requires_confirmation", "requires_action"}
SETUP_REMEMBERED_SECONDS = 23 * 3600


def _setup_cache_key(invoice: Invoice, customer: str) -> str:
    return f"setup-intent:{invoice.pk}:{customer}"


def _remembered_setup(invoice: Invoice, customer: str) -> gateway.Intent | None:
    """The SetupIntent the pay page showed for this invoice, if it can still collect a card."""
    setup_id = cache.get(_setup_cache_key(invoice, customer))
    if not setup_id:
        return None
    try:
        setup = gateway.setup_intent_retrieve(setup_id)
    except gateway.GatewayError:
        return None
    reusable = (
        setup.status in REUSABLE_SETUP
        and setup.customer in ("", customer)
        and setup.metadata.get("invoice", invoice.number) == invoice.number
    )
    return setup if reusable else None


def _new_setup(invoice: Invoice, customer: str) -> gateway.Intent:
    setup = gateway.setup_intent_create(customer=customer, invoice_number=invoice.number)
    cache.set(_setup_cache_key(invoice, customer), setup.id, timeout=SETUP_REMEMBERED_SECONDS)
    return setup


def card_setup_start(*, invoice: Invoice, member: User) -> gateway.Intent:
    """A SetupIntent whose client secret lets Stripe.js collect the card for this invoice: the one
    shown before while it can still collect a card (reloading the page makes no new one), else a
    new one."""
    ensure_payable(invoice)
    customer = stripe_customer_for(member)
    if not gateway.customer_exists(customer):
        # Stored under other keys or another test peer (one GET, once per visit to the pay page).
        customer = stripe_customer_for(member, refresh=True)
    remembered = _remembered_setup(invoice, customer)
    if remembered is not None:
        return remembered
    try:
        return _new_setup(invoice, customer)
    except gateway.GatewayError as exc:
        if isinstance(exc, gateway.Unavailable) or exc.code != "resource_missing":
            raise
        # The stored customer belongs to another Stripe account or test peer: make a new one.
        customer = stripe_customer_for(member, refresh=True)
        return _new_setup(invoice, customer)


@transaction.atomic
def payment_intent_for(*, invoice: Invoice, member: User, payment_method: str) -> Payment:
    """The card payment attempt for this invoice: reuses an unconfirmed PaymentIntent or creates one.

    The invoice row is locked, so a double click or two tabs get one attempt at a time. Earlier
    attempts still in flight are settled first: one that succeeded is returned confirmed, one
    still processing is returned pending, an abandoned one is cancelled at Stripe so that it can
    never charge as well. A payment returned with status "created" is ready to confirm.
    """
    invoice = lock_invoice(invoice)
    if invoice.member_id != member.pk:
        raise PermissionDenied
    ensure_payable(invoice)
    customer = stripe_customer_for(member)
    settled = _settle_in_flight(invoice, payment_method)
    if settled is not None:
        return settled
    return _new_card_attempt(invoice, member, customer, payment_method)


def _settle_in_flight(invoice: Invoice, payment_method: str) -> Payment | None:
    """Bring the invoice's card attempts still in flight up to date with Stripe, oldest first.

    Returns the first that is reusable (unconfirmed, now with this card), confirmed or pending;
    None when all of them have ended (an abandoned one is cancelled at Stripe first).
    """
    in_flight = invoice.payments.filter(
        method=Payment.Method.CARD, status__in=Payment.IN_FLIGHT
    ).order_by("attempt")
    for payment in in_flight:
        intent = gateway.payment_intent_retrieve(payment.stripe_payment_intent_id)
        if intent.status in ("requires_confirmation", "requires_payment_method") and not (
            intent.error_message
        ):
            gateway.payment_intent_set_method(intent.id, payment_method=payment_method)
            return payment
        if intent.status == "requires_action":
            intent = gateway.payment_intent_cancel(intent.id)
        payment = apply_intent_to_payment(payment=payment, invoice=invoice, intent=intent)
        # Returned, not raised, so that what was just recorded is committed.
        if payment.status in (Payment.Status.CONFIRMED, Payment.Status.PENDING):
            return payment
    return None


def _new_card_attempt(
    invoice: Invoice, member: User, customer: str, payment_method: str
) -> Payment:
    """The next card attempt: a new PaymentIntent at Stripe and its Payment, status "created"."""
    attempt = (
        invoice.payments.filter(method=Payment.Method.CARD).aggregate(n=Max("attempt"))["n"] or 0
    ) + 1
    intent = _create_payment_intent(invoice, customer, payment_method, attempt)
    payment = Payment.objects.create(
        invoice=invoice,
        method=Payment.Method.CARD,
        status=Payment.Status.CREATED,
        amount=invoice.total,
        currency=invoice.currency,
        attempt=attempt,
        stripe_payment_intent_id=intent.id,
    )
    payment_log(payment, "created", before={}, actor=member)
    return payment


def _create_payment_intent(
    invoice: Invoice, customer: str, payment_method: str, attempt: int
) -> gateway.Intent:
    """The PaymentIntent for the invoice's total, idempotent per invoice and attempt number."""
    request = {
        "amount": gateway.to_minor_units(invoice.total, invoice.currency),
        "currency": invoice.currency,
        "customer": customer,
        "payment_method": payment_method,
        "metadata": {
            "invoice": invoice.number,
            "invoice_id": str(invoice.pk),
            "member_number": invoice.member_number,
        },
    }
    key = f"invoice-{invoice.pk}-attempt-{attempt}"
    try:
        return gateway.payment_intent_create(idempotency_key=key, **request)
    except gateway.GatewayError as exc:
        # An attempt number whose first try was rolled back here may meet its old key at Stripe
        # with other parameters; the card makes the key unique again.
        if exc.code != "idempotency_error":
            raise
        return gateway.payment_intent_create(idempotency_key=f"{key}-{payment_method}", **request)


@dataclass(frozen=True)
class CardOutcome:
    payment: Payment
    status: str  # "paid", "requires_action", "pending"
    client_secret: str = ""


def payment_card_charge(*, invoice: Invoice, member: User, setup_intent_id: str) -> CardOutcome:
    """Charge the card the member has just entered (collected by Stripe.js with a SetupIntent).

    Not one transaction on purpose: each step that changes our rows is (payment_intent_for,
    payment_confirm_from_stripe), and the Stripe calls between them must not hold row locks.
    Raises CardDeclined (the member can try again), Unavailable or PaymentError.
    """
    setup = gateway.setup_intent_retrieve(setup_intent_id)
    customer = StripeCustomer.objects.filter(member=member).first()
    if (
        customer is None
        or setup.customer != customer.customer_id
        or setup.status != "succeeded"
        or not setup.payment_method
        or setup.metadata.get("invoice") != invoice.number
    ):
        raise PaymentError("We could not read your card details. Please enter them again.")
    payment = payment_intent_for(
        invoice=invoice, member=member, payment_method=setup.payment_method
    )
    if payment.status == Payment.Status.CONFIRMED:
        return CardOutcome(payment=payment, status="paid")
    if payment.status == Payment.Status.PENDING:
        return CardOutcome(payment=payment, status="pending")
    pi = payment.stripe_payment_intent_id
    try:
        intent = gateway.payment_intent_confirm(
            pi, idempotency_key=f"{pi}-confirm-{setup.payment_method}"
        )
    except gateway.CardDeclined as exc:
        payment_mark_failed(payment=payment, message=exc.user_message)
        raise
    if intent.status == "requires_action":
        payment = payment_apply_intent(intent) or payment
        return CardOutcome(
            payment=payment, status="requires_action", client_secret=intent.client_secret
        )
    payment = payment_confirm_from_stripe(payment_intent_id=pi) or payment
    if payment.status == Payment.Status.CONFIRMED:
        return CardOutcome(payment=payment, status="paid")
    if payment.status == Payment.Status.FAILED:
        raise gateway.CardDeclined(payment.failure_message or "Your card was declined.")
    return CardOutcome(payment=payment, status="pending")


@transaction.atomic
def payment_mark_failed(*, payment: Payment, message: str) -> Payment:
    """A card attempt Stripe declined; the invoice stays open for another try."""
    invoice = lock_invoice(payment.invoice_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    payment.invoice = invoice
    if payment.status not in Payment.IN_FLIGHT:
        return payment
    before = snapshot(payment, PAYMENT_FIELDS)
    payment.status = Payment.Status.FAILED
    payment.failure_message = message
    payment.save()
    payment_log(payment, "failed", before=before)
    return payment
