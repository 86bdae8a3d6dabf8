"""localstripe delivers its signed webhook to the portal running on the live test server."""

from __future__ import annotations

import time
import uuid

import pytest

from payments import card, settlement
from payments import stripe_gateway as gateway
from payments.models import Invoice, Payment, StripeEvent
from tests.factories import UserFactory
from tests.payments.conftest import register_webhook
from tests.payments.factories import InvoiceFactory


def wait_for(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_payment_confirmed_at_stripe_is_marked_paid_once_by_the_webhook(live_server, stripe_on):
    register_webhook(
        stripe_on,
        f"portal-{uuid.uuid4().hex[:8]}",
        f"{live_server.url}/payments/stripe/webhook/",
        ["payment_intent.succeeded", "payment_intent.payment_failed"],
    )
    member = UserFactory()
    invoice = InvoiceFactory(report__member=member)
    payment = card.payment_intent_for(invoice=invoice, member=member, payment_method="pm_card_visa")

    # Confirmed at Stripe only: the portal learns of it from the webhook alone.
    intent = gateway.payment_intent_confirm(payment.stripe_payment_intent_id, idempotency_key="w")
    assert intent.status == "succeeded"

    assert wait_for(lambda: Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID), (
        "the webhook never marked the invoice paid"
    )
    confirmed = Payment.objects.get(invoice=invoice, status=Payment.Status.CONFIRMED)
    assert confirmed == payment
    # Events of earlier tests may arrive too (localstripe sends to every registered webhook).
    ours = [
        e
        for e in StripeEvent.objects.filter(type="payment_intent.succeeded")
        if e.payload["data"]["object"]["id"] == payment.stripe_payment_intent_id
    ]
    assert [e.status for e in ours] == [StripeEvent.Status.PROCESSED]
    # The return page, arriving after the webhook, finds nothing left to do.
    again = settlement.payment_confirm_from_stripe(
        payment_intent_id=payment.stripe_payment_intent_id
    )
    assert again.status == Payment.Status.CONFIRMED
    assert Payment.objects.filter(invoice=invoice, status=Payment.Status.CONFIRMED).count() == 1
