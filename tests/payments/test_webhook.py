"""The Stripe webhook with signed payloads: signatures, unknown events, replays, failures."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import stripe
from django.core import mail
from django.urls import reverse

from payments import card, checks
from payments import stripe_gateway as gateway
from payments.models import Invoice, Payment, StripeEvent
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

URL = reverse("payments:stripe_webhook")


def event(type_: str = "payment_intent.succeeded", object_id: str = "pi_123", **extra) -> dict:
    return {
        "id": extra.pop("id", f"evt_{time.monotonic_ns()}"),
        "object": "event",
        "type": type_,
        "created": int(time.time()),
        "data": {"object": {"id": object_id, "object": type_.split(".")[0], **extra}},
    }


def deliver(client, payload: dict | str, *, secret: str = WEBHOOK_SECRET, header: str | None = ""):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    if header == "":
        header = stripe.WebhookSignature.generate_signature_header(body, secret)
    headers = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def succeeded_payment(member, stripe_on):
    """A card payment that succeeded at Stripe and that the portal has not heard of yet."""
    invoice = InvoiceFactory(report__member=member)
    payment = card.payment_intent_for(invoice=invoice, member=member, payment_method="pm_card_visa")
    intent = gateway.payment_intent_confirm(payment.stripe_payment_intent_id, idempotency_key="c")
    assert intent.status == "succeeded"
    return payment


def test_a_request_without_signature_is_refused(client, webhook_secret):
    response = deliver(client, event(), header=None)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_request_signed_with_another_secret_is_refused(client, webhook_secret):
    response = deliver(client, event(), secret="whsec_someone_else")

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_tampered_payload_is_refused(client, webhook_secret):
    payload = json.dumps(event(type_="charge.refunded"))
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)

    response = deliver(
        client, payload.replace("charge.refunded", "payment_intent.succeeded"), header=header
    )

    assert response.status_code == 400


def test_an_old_signature_is_refused(client, webhook_secret):
    payload = json.dumps(event())
    header = stripe.WebhookSignature.generate_signature_header(
        payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 3600
    )

    assert deliver(client, payload, header=header).status_code == 400


def test_without_a_webhook_secret_nothing_is_accepted(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = deliver(client, event(), secret="")

    assert response.status_code == 400


def test_the_webhook_accepts_only_post(client, webhook_secret):
    assert client.get(URL).status_code == 405


def test_an_unknown_event_type_is_answered_200_and_changes_nothing(client, webhook_secret, member):
    invoice = InvoiceFactory(report__member=member)

    response = deliver(client, event(type_="customer.created", object_id="cus_1"))

    assert response.status_code == 200
    row = StripeEvent.objects.get()
    assert (row.type, row.status) == ("customer.created", StripeEvent.Status.IGNORED)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert not Payment.objects.exists()


def test_a_succeeded_event_marks_the_invoice_paid(
    client, succeeded_payment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, event(object_id=succeeded_payment.stripe_payment_intent_id))

    assert response.status_code == 200
    succeeded_payment.refresh_from_db()
    assert succeeded_payment.status == Payment.Status.CONFIRMED
    assert succeeded_payment.invoice.status == Invoice.Status.PAID
    assert StripeEvent.objects.get().status == StripeEvent.Status.PROCESSED
    assert len(mail.outbox) == 1


def test_a_replayed_event_adds_no_second_payment(
    client, succeeded_payment, django_capture_on_commit_callbacks
):
    payload = event(object_id=succeeded_payment.stripe_payment_intent_id, id="evt_replayed")
    with django_capture_on_commit_callbacks(execute=True):
        first = deliver(client, payload)
    with django_capture_on_commit_callbacks(execute=True) as later:
        second = deliver(client, payload)
        # The same news under another event id (Stripe may send both) is no news either.
        third = deliver(client, event(object_id=succeeded_payment.stripe_payment_intent_id))

    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 200]
    assert Payment.objects.filter(status=Payment.Status.CONFIRMED).count() == 1
    assert StripeEvent.objects.get(event_id="evt_replayed").attempts == 1
    assert later == []
    assert len(mail.outbox) == 1


def test_an_event_for_an_unknown_invoice_is_ignored(client, member, stripe_on):
    intent = gateway.payment_intent_create(
        amount=15000,
        currency="USD",
        customer=card.stripe_customer_for(member),
        payment_method="pm_card_visa",
        metadata={"invoice": "RC-99999"},
        idempotency_key="stray",
    )
    gateway.payment_intent_confirm(intent.id, idempotency_key="stray-confirm")

    response = deliver(client, event(object_id=intent.id))

    assert response.status_code == 200
    row = StripeEvent.objects.get()
    assert row.status == StripeEvent.Status.IGNORED
    assert intent.id in row.error
    assert not Payment.objects.exists()


def test_an_event_for_a_payment_intent_stripe_does_not_know_is_ignored(client, stripe_on):
    response = deliver(client, event(object_id="pi_does_not_exist"))

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED


def test_a_failed_payment_event_records_the_reason_and_leaves_the_invoice_open(
    client, member, stripe_on
):
    invoice = InvoiceFactory(report__member=member)
    payment = card.payment_intent_for(
        invoice=invoice, member=member, payment_method="pm_card_chargeCustomerFail"
    )
    with pytest.raises(gateway.CardDeclined):
        gateway.payment_intent_confirm(payment.stripe_payment_intent_id, idempotency_key="d")

    response = deliver(
        client, event("payment_intent.payment_failed", payment.stripe_payment_intent_id)
    )

    assert response.status_code == 200
    payment.refresh_from_db()
    assert (payment.status, payment.failure_message) == ("failed", "Your card was declined.")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN


def test_when_stripe_cannot_be_asked_the_event_fails_and_a_later_delivery_succeeds(
    client, succeeded_payment, settings, stripe_on
):
    payload = event(object_id=succeeded_payment.stripe_payment_intent_id, id="evt_retry")
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: nothing answers

    failed = deliver(client, payload)

    assert failed.status_code == 500
    row = StripeEvent.objects.get()
    assert row.status == StripeEvent.Status.FAILED
    assert row.error.startswith("unreachable")
    succeeded_payment.refresh_from_db()
    assert succeeded_payment.status == Payment.Status.CREATED

    settings.STRIPE_API_BASE = stripe_on
    retried = deliver(client, payload)

    assert retried.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.attempts) == (StripeEvent.Status.PROCESSED, 2)
    succeeded_payment.refresh_from_db()
    assert succeeded_payment.status == Payment.Status.CONFIRMED


def test_money_for_an_invoice_already_paid_by_check_is_refunded(client, succeeded_payment, staff):
    invoice = succeeded_payment.invoice
    # The check arrives and is recorded while Stripe cannot be asked about the card attempt.
    checks._payment_record_check(
        invoice=invoice,
        number="321",
        check_date=dt.date(2026, 11, 1),
        amount=invoice.total,
        actor=staff,
        received_on=None,
    )

    response = deliver(client, event(object_id=succeeded_payment.stripe_payment_intent_id))

    assert response.status_code == 200
    succeeded_payment.refresh_from_db()
    assert succeeded_payment.status == Payment.Status.REFUNDED
    assert succeeded_payment.stripe_refund_id.startswith("re_")
    assert "already paid" in succeeded_payment.refund_reason
    assert Payment.objects.filter(invoice=invoice, status="confirmed").count() == 1


def _orphan_intent(invoice, customer):
    """A PaymentIntent created for the invoice whose database row was lost (a rolled-back commit)."""
    intent = gateway.payment_intent_create(
        amount=15000,
        currency="USD",
        customer=customer,
        payment_method="pm_card_visa",
        metadata={"invoice": invoice.number, "invoice_id": str(invoice.pk)},
        idempotency_key=f"orphan-{time.monotonic_ns()}",
    )
    gateway.payment_intent_confirm(intent.id, idempotency_key=f"orphan-confirm-{intent.id}")
    return intent


def test_a_succeeded_payment_intent_without_a_row_is_adopted_by_its_invoice(
    client, member, stripe_on
):
    invoice = InvoiceFactory(report__member=member)
    intent = _orphan_intent(invoice, card.stripe_customer_for(member))

    response = deliver(client, event(object_id=intent.id))

    assert response.status_code == 200
    payment = Payment.objects.get(stripe_payment_intent_id=intent.id)
    assert payment.status == Payment.Status.CONFIRMED
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_a_payment_intent_of_another_customer_is_not_adopted(
    client, member, second_member, stripe_on
):
    invoice = InvoiceFactory(report__member=member)
    card.stripe_customer_for(member)
    intent = _orphan_intent(invoice, card.stripe_customer_for(second_member))

    response = deliver(client, event(object_id=intent.id))

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED
    assert not Payment.objects.exists()
