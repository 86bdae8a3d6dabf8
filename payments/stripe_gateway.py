"""The one place that talks to Stripe. Everything else sees plain dataclasses and three errors.

Works against Stripe itself and against localstripe (tests): `STRIPE_API_BASE` points the client at
the test peer. Only parameters both accept are sent (no `automatic_payment_methods`,
`description` or `receipt_email`).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)

# ISO 4217 currencies that Stripe charges in whole units (no cents).
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)

UNAVAILABLE_MESSAGE = (
    "We could not reach our card processor just now, so nothing was charged and your invoice is "
    "still open. Please try again in a few minutes, or pay by check."
)


class GatewayError(Exception):
    """Stripe said no or could not be asked; `user_message` is safe to show to the member."""

    def __init__(self, user_message: str, *, code: str = "", payment_intent_id: str = ""):
        super().__init__(user_message)
        self.user_message = user_message
        self.code = code
        self.payment_intent_id = payment_intent_id


class Unavailable(GatewayError):
    """Stripe is not configured, unreachable, slow or answering with a server error."""


class CardDeclined(GatewayError):
    """The card was refused; the member can try another."""


class BadSignature(Exception):
    """A webhook payload whose Stripe-Signature does not verify."""


@dataclass(frozen=True)
class Intent:
    """What we need of a PaymentIntent or a SetupIntent."""

    id: str
    status: str
    client_secret: str = ""
    amount: int | None = None
    currency: str = ""
    customer: str = ""
    payment_method: str = ""
    error_message: str = ""
    error_code: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


def is_configured() -> bool:
    """Card payment is offered only with both keys; the webhook also needs its secret."""
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)


def publishable_key() -> str:
    return settings.STRIPE_PUBLISHABLE_KEY


def client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise Unavailable("Card payment is not set up on this portal.", code="not_configured")
    stripe.enable_telemetry = False
    options: dict[str, Any] = {
        "max_network_retries": getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 1),
        "http_client": stripe.RequestsClient(timeout=getattr(settings, "STRIPE_TIMEOUT", 10)),
    }
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE.rstrip("/")}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Decimal amount to Stripe's integer amount (cents), refusing anything not exact."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    scaled = amount.scaleb(exponent)
    whole = scaled.to_integral_value(rounding=ROUND_HALF_UP)
    if whole != scaled:
        raise ValueError(f"{amount} {currency} is not a whole number of the smallest unit.")
    return int(whole)


def from_minor_units(amount: int, currency: str) -> Decimal:
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return Decimal(amount).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def _get(obj: Any, name: str, default: Any = None) -> Any:
    try:
        value = obj[name] if isinstance(obj, dict) else getattr(obj, name)
    except (KeyError, AttributeError):
        return default
    return default if value is None else value


def _intent(obj: Any) -> Intent:
    error = _get(obj, "last_payment_error") or _get(obj, "last_setup_error") or {}
    payment_method = _get(obj, "payment_method", "")
    customer = _get(obj, "customer", "")
    metadata = _get(obj, "metadata", {})
    if hasattr(metadata, "to_dict"):
        metadata = metadata.to_dict()
    return Intent(
        id=_get(obj, "id", ""),
        status=_get(obj, "status", ""),
        client_secret=_get(obj, "client_secret", ""),
        amount=_get(obj, "amount"),
        currency=(_get(obj, "currency", "") or "").upper(),
        customer=customer if isinstance(customer, str) else _get(customer, "id", ""),
        payment_method=(
            payment_method if isinstance(payment_method, str) else _get(payment_method, "id", "")
        ),
        error_message=_get(error, "message", ""),
        error_code=_get(error, "code", ""),
        metadata=dict(metadata or {}),
    )


def _call(what: str, func, *args, **kwargs):
    """Run one Stripe call and translate its errors into ours."""
    try:
        return func(*args, **kwargs)
    except stripe.CardError as exc:
        intent = getattr(getattr(exc, "error", None), "payment_intent", None)
        raise CardDeclined(
            exc.user_message or "Your card was declined.",
            code=exc.code or "card_declined",
            payment_intent_id=getattr(intent, "id", "") or "",
        ) from exc
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        logger.warning("Stripe unreachable during %s: %s", what, exc)
        raise Unavailable(UNAVAILABLE_MESSAGE, code="unreachable") from exc
    except stripe.AuthenticationError as exc:
        logger.error("Stripe refused our key during %s: %s", what, exc)
        raise Unavailable(UNAVAILABLE_MESSAGE, code="authentication") from exc
    except stripe.IdempotencyError as exc:
        raise GatewayError(
            "The card processor refused a repeated request.", code="idempotency_error"
        ) from exc
    except stripe.StripeError as exc:
        status = getattr(exc, "http_status", None) or 0
        logger.warning("Stripe error during %s (%s): %s", what, status, exc)
        if status >= 500 or status == 0:
            raise Unavailable(UNAVAILABLE_MESSAGE, code="server_error") from exc
        raise GatewayError(
            exc.user_message or "The card processor refused the request.",
            code=getattr(exc, "code", "") or ("resource_missing" if status == 404 else "invalid"),
        ) from exc


# --- Customers and SetupIntents (collecting a card) --------------------------------------------


def customer_create(*, email: str, name: str, member_number: str, idempotency_key: str) -> str:
    params = {"email": email, "name": name, "metadata": {"member_number": member_number}}
    customer = _call(
        "customer create",
        client().v1.customers.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )
    return customer.id


def customer_exists(customer_id: str) -> bool:
    try:
        customer = _call("customer retrieve", client().v1.customers.retrieve, customer_id)
    except GatewayError as exc:
        if isinstance(exc, Unavailable):
            raise
        return False
    return not _get(customer, "deleted", False)


def setup_intent_create(*, customer: str, invoice_number: str) -> Intent:
    params = {
        "customer": customer,
        "usage": "on_session",
        "payment_method_types": ["card"],
        "metadata": {"invoice": invoice_number},
    }
    return _intent(_call("setup intent create", client().v1.setup_intents.create, params=params))


def setup_intent_retrieve(setup_intent_id: str) -> Intent:
    return _intent(
        _call("setup intent retrieve", client().v1.setup_intents.retrieve, setup_intent_id)
    )


# --- PaymentIntents ----------------------------------------------------------------------------


def payment_intent_create(
    *,
    amount: int,
    currency: str,
    customer: str,
    payment_method: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> Intent:
    params = {
        "amount": amount,
        "currency": currency.lower(),
        "customer": customer,
        "payment_method": payment_method,
        # Naming the method keeps Stripe from requiring a return_url for redirect methods.
        "payment_method_types": ["card"],
        "metadata": metadata,
    }
    return _intent(
        _call(
            "payment intent create",
            client().v1.payment_intents.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
    )


def payment_intent_set_method(payment_intent_id: str, *, payment_method: str) -> Intent:
    # localstripe answers 500 to confirm(id, payment_method=...): modify first, then confirm.
    return _intent(
        _call(
            "payment intent modify",
            client().v1.payment_intents.update,
            payment_intent_id,
            params={"payment_method": payment_method},
        )
    )


def payment_intent_confirm(payment_intent_id: str, *, idempotency_key: str) -> Intent:
    return _intent(
        _call(
            "payment intent confirm",
            client().v1.payment_intents.confirm,
            payment_intent_id,
            options={"idempotency_key": idempotency_key},
        )
    )


def payment_intent_retrieve(payment_intent_id: str) -> Intent:
    return _intent(
        _call("payment intent retrieve", client().v1.payment_intents.retrieve, payment_intent_id)
    )


def payment_intent_cancel(payment_intent_id: str) -> Intent:
    return _intent(
        _call("payment intent cancel", client().v1.payment_intents.cancel, payment_intent_id)
    )


def refund_create(
    *, payment_intent_id: str, amount: int, idempotency_key: str, metadata: dict[str, str]
) -> str:
    refund = _call(
        "refund create",
        client().v1.refunds.create,
        params={"payment_intent": payment_intent_id, "amount": amount, "metadata": metadata},
        options={"idempotency_key": idempotency_key},
    )
    return refund.id


# --- Webhooks ----------------------------------------------------------------------------------


def event_from_webhook(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Verify the Stripe-Signature header against STRIPE_WEBHOOK_SECRET and parse the event."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret or not signature:
        raise BadSignature("missing signature or webhook secret")
    tolerance = stripe.Webhook.DEFAULT_TOLERANCE
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret, tolerance)
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise BadSignature(str(exc)) from exc
    # Stripe's check refuses old signatures only; one dated in the future would stay valid for
    # as long as it is ahead, so a captured delivery could be replayed for that long.
    stamps = [p.split("=", 1)[1] for p in signature.split(",") if p.strip().startswith("t=")]
    if not stamps or not stamps[0].strip().isdigit() or int(stamps[0]) > time.time() + tolerance:
        raise BadSignature("signature timestamp missing or in the future")
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise BadSignature("not a Stripe event")
    if _has_nul(event):
        # Stripe never sends NUL characters; PostgreSQL cannot store them (jsonb, text).
        raise BadSignature("not a Stripe event: NUL characters")
    return event


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
