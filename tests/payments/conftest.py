"""Fixtures for the payments tests: localstripe as a real server (tests/stripe_peer.py), what
Stripe.js does in the browser, personas."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from tests.payments.factories import FinanceFactory
from tests.stripe_peer import (  # noqa: F401 - the fixtures of this folder; constants for its tests
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    _stripe_off,
    localstripe,
    stripe_on,
    stripe_unreachable,
)

# live_server tests touch the ORM from the test thread while the server runs (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def finance(db):
    return FinanceFactory(username="fran.finance", email="fran@example.org")


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


def collect_card(base: str, client_secret: str, number: str) -> dict:
    """What Stripe.js's confirmCardSetup does in the browser (localstripe's stand-in, verbatim)."""
    setup_intent = client_secret.split("_secret_")[0]
    body = json.dumps(
        {
            "key": PUBLISHABLE_KEY,
            "use_stripe_sdk": True,
            "client_secret": client_secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
                "billing_details": {"name": "Pat Member", "address": {"postal_code": "62701"}},
            },
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/v1/setup_intents/{setup_intent}/confirm", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        result = json.loads(response.read())
    if result.get("status") == "requires_action":
        # The stand-in's 3D Secure modal, answered "Complete authentication".
        again = json.dumps(
            {"key": PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": client_secret}
        ).encode()
        request = urllib.request.Request(
            f"{base}/v1/setup_intents/{setup_intent}/confirm", data=again, method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            result = json.loads(response.read())
    return result


def authenticate_payment(base: str, client_secret: str, *, success: bool = True) -> dict:
    """What Stripe.js's confirmCardPayment does for a PaymentIntent that needs 3D Secure."""
    intent = client_secret.split("_secret_")[0]
    body = json.dumps({"key": PUBLISHABLE_KEY, "client_secret": client_secret}).encode()
    request = urllib.request.Request(
        f"{base}/v1/payment_intents/{intent}/_authenticate?success={str(success).lower()}",
        data=body,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def register_webhook(base: str, webhook_id: str, url: str, events: list[str]) -> None:
    fields = [("url", url), ("secret", WEBHOOK_SECRET)] + [("events[]", e) for e in events]
    data = "&".join(f"{k}={urllib.request.quote(v, safe='')}" for k, v in fields).encode()
    request = urllib.request.Request(
        f"{base}/_config/webhooks/{webhook_id}", data=data, method="POST"
    )
    urllib.request.urlopen(request, timeout=5).close()
