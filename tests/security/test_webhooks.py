"""Hostile webhooks: unsigned, wrongly signed, replayed, out of order, lying, for unknown objects.

Stripe's webhook is the one CSRF-exempt endpoint; its signature (HMAC-SHA256 over the timestamp
and the body, with STRIPE_WEBHOOK_SECRET) is the only thing that lets a request in, and even a
signed event is only news: the portal asks Stripe (localstripe here) for the PaymentIntent and
acts on what Stripe says. The basic cases are tests/payments/test_webhook.py; these are generated
or adversarial.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import stripe
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from payments import card, webhooks
from payments import stripe_gateway as gateway
from payments.models import Invoice, Payment, StripeEvent
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.factories import InvoiceFactory

from .conftest import HOSTILE, changed_tables, db_fingerprint, tried

pytestmark = pytest.mark.django_db

URL = "/payments/stripe/webhook/"


def event(type_: str, object_id: str, **extra) -> dict:
    return {
        "id": extra.pop("id", f"evt_{time.monotonic_ns()}"),
        "object": "event",
        "type": type_,
        "created": extra.pop("created", int(time.time())),
        "data": {"object": {"id": object_id, "object": "payment_intent", **extra}},
    }


def signed(body: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    if timestamp is None:
        return stripe.WebhookSignature.generate_signature_header(body, secret)
    return stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)


def deliver(client, body: str | bytes, header: str | None):
    headers = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def open_invoice(member):
    return InvoiceFactory(report__member=member)


BODIES = st.one_of(
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.text(max_size=300),
    st.builds(
        lambda t, i: json.dumps(event(t, i)),
        st.sampled_from(["payment_intent.succeeded", "payment_intent.payment_failed", "charge.x"]),
        st.text(max_size=30).map(lambda s: "pi_" + s),
    ),
)


def bad_headers(body: str):
    now = int(time.time())
    return st.one_of(
        st.none(),
        st.just(""),
        st.text(max_size=200),
        st.just(signed(body, "whsec_someone_else")),
        st.just(signed(body + " ")),  # signed for another body
        st.just(signed(body, timestamp=now - 3600)),  # a captured delivery, an hour later
        st.just(signed(body, timestamp=now + 3600)),
        st.just(signed(body).replace("v1=", "v0=")),
        st.just(f"t={now},v1={'0' * 64},v1={'f' * 64}"),
        st.just(f"t=not-a-number,v1={'0' * 64}"),
    )


def test_unsigned_or_wrongly_signed_deliveries_are_refused_and_change_nothing(
    client, webhook_secret, open_invoice
):
    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        tried("stripe webhook (bad signature)")
        body = data.draw(BODIES, label="body")
        header = data.draw(bad_headers(body), label="Stripe-Signature")
        before = db_fingerprint()
        response = deliver(client, body.encode("utf-8", "surrogatepass"), header)
        assert response.status_code == 400, (header, response.status_code)
        assert changed_tables(before, db_fingerprint()) == []

    attempt()


def test_signed_nonsense_is_refused_or_ignored_and_touches_no_money(
    client, webhook_secret, stripe_on, open_invoice
):
    """Even with a valid signature (a leaked secret, a confused proxy): never an error page, and
    nothing but the event log changes, because the portal believes Stripe, not the payload."""
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=12,
    )
    payloads = st.one_of(
        json_values.map(json.dumps),
        st.builds(
            lambda kind, obj, status, metadata: json.dumps(
                event(kind, obj, status=status, metadata=metadata, amount=15000, currency="usd")
            ),
            st.sampled_from(sorted(webhooks.PAYMENT_INTENT_EVENTS) + ["invoice.paid", ""]),
            st.one_of(
                st.text(max_size=40).map(lambda s: "pi_" + s), st.text(max_size=40), st.just("")
            ),
            st.sampled_from(["succeeded", "processing", "canceled", "requires_action"]),
            st.fixed_dictionaries({"invoice": st.just(open_invoice.number)}),
        ),
    )

    @HOSTILE
    @given(body=payloads)
    def attempt(body):
        tried("stripe webhook (signed nonsense)")
        before = db_fingerprint()
        response = deliver(client, body, signed(body))
        assert response.status_code in (200, 400), response.status_code
        assert set(changed_tables(before, db_fingerprint())) <= {"payments.stripeevent"}
        open_invoice.refresh_from_db()
        assert open_invoice.status == Invoice.Status.OPEN

    attempt()


def test_a_signed_event_that_lies_about_success_pays_nothing(
    client, webhook_secret, stripe_on, member, open_invoice
):
    """The payload says succeeded; Stripe says the PaymentIntent was never confirmed."""
    payment = card.payment_intent_for(
        invoice=open_invoice, member=member, payment_method="pm_card_visa"
    )
    body = json.dumps(
        event("payment_intent.succeeded", payment.stripe_payment_intent_id, status="succeeded")
    )
    response = deliver(client, body, signed(body))
    assert response.status_code == 200
    payment.refresh_from_db()
    open_invoice.refresh_from_db()
    assert payment.status != Payment.Status.CONFIRMED
    assert open_invoice.status == Invoice.Status.OPEN


@pytest.fixture
def succeeded(member, stripe_on, open_invoice):
    """A card payment that succeeded at Stripe; the portal has not heard yet."""
    payment = card.payment_intent_for(
        invoice=open_invoice, member=member, payment_method="pm_card_visa"
    )
    assert gateway.payment_intent_confirm(payment.stripe_payment_intent_id, idempotency_key="c")
    return payment


@pytest.mark.parametrize(
    "order",
    [
        ["payment_intent.succeeded", "payment_intent.payment_failed"],
        ["payment_intent.payment_failed", "payment_intent.succeeded"],
        ["payment_intent.processing", "payment_intent.succeeded", "payment_intent.canceled"],
        ["payment_intent.succeeded", "payment_intent.processing", "payment_intent.requires_action"],
    ],
)
def test_events_in_any_order_end_in_the_state_stripe_reports(
    client, webhook_secret, succeeded, order
):
    start = int(time.time()) - 60
    for position, kind in enumerate(order):
        body = json.dumps(
            event(kind, succeeded.stripe_payment_intent_id, created=start + position, status="x")
        )
        assert deliver(client, body, signed(body)).status_code == 200
    succeeded.refresh_from_db()
    assert succeeded.status == Payment.Status.CONFIRMED
    assert succeeded.invoice.status == Invoice.Status.PAID
    assert Payment.objects.filter(status=Payment.Status.CONFIRMED).count() == 1
    assert StripeEvent.objects.filter(status=StripeEvent.Status.PROCESSED).count() == len(order)


def test_a_captured_delivery_replayed_later_is_refused(client, webhook_secret, succeeded):
    body = json.dumps(event("payment_intent.succeeded", succeeded.stripe_payment_intent_id))
    header = signed(body)
    assert deliver(client, body, header).status_code == 200
    events = StripeEvent.objects.count()
    # Inside the tolerance the same delivery is recognised by its event id and does nothing.
    assert deliver(client, body, header).status_code == 200
    assert StripeEvent.objects.count() == events
    # Ten minutes later its signature has expired.
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=10)):
        before = db_fingerprint()
        assert deliver(client, body, header).status_code == 400
        assert changed_tables(before, db_fingerprint()) == []
    assert Payment.objects.filter(status=Payment.Status.CONFIRMED).count() == 1


def test_an_event_for_someone_elses_payment_intent_is_not_adopted(
    client, webhook_secret, stripe_on, member, second_member, open_invoice
):
    """A PaymentIntent of another customer whose metadata names this member's invoice."""
    intent = gateway.payment_intent_create(
        amount=15000,
        currency="USD",
        customer=card.stripe_customer_for(second_member),
        payment_method="pm_card_visa",
        metadata={"invoice": open_invoice.number, "invoice_id": str(open_invoice.pk)},
        idempotency_key="not-yours",
    )
    gateway.payment_intent_confirm(intent.id, idempotency_key="not-yours-confirm")
    body = json.dumps(event("payment_intent.succeeded", intent.id))
    assert deliver(client, body, signed(body)).status_code == 200
    open_invoice.refresh_from_db()
    assert open_invoice.status == Invoice.Status.OPEN
    assert not Payment.objects.exists()


def test_a_signed_event_with_nul_characters_is_refused(client, webhook_secret, open_invoice):
    """PostgreSQL cannot store NUL in text or jsonb; Stripe never sends it: 400, nothing stored."""
    body = json.dumps(event("payment_intent.succeeded", "pi_\x00", metadata={"k\x00": "v"}))
    before = db_fingerprint()
    assert deliver(client, body, signed(body)).status_code == 400
    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize("event_id", [12345, "evt_" + "a" * 300, "", None, "evt_\u0131x"], ids=str)
def test_a_signed_event_with_a_malformed_id_is_refused(
    client, webhook_secret, open_invoice, event_id
):
    """Stripe's event ids are "evt_" and letters and digits; anything else is refused (400),
    never stored, never an error page (an over-long id would not fit its column)."""
    payload = event("payment_intent.succeeded", "pi_malformed")
    payload["id"] = event_id
    body = json.dumps(payload)
    before = db_fingerprint()
    assert deliver(client, body, signed(body)).status_code == 400
    assert changed_tables(before, db_fingerprint()) == []
