"""Stripe webhook events: stored once, acted on once (the PaymentIntent is re-fetched)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import stripe_gateway as gateway
from .models import StripeEvent
from .settlement import payment_confirm_from_stripe

logger = logging.getLogger(__name__)

PAYMENT_INTENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
        "payment_intent.requires_action",
    }
)


def stripe_event_process(*, event: dict[str, Any]) -> StripeEvent:
    """Store a verified webhook event once and act on it once.

    The event row is locked while it is processed, so a duplicate delivery waits and then finds
    it done. A failure is recorded and answered with an error, so that Stripe delivers it again.
    """
    with transaction.atomic():
        row, _ = StripeEvent.objects.get_or_create(
            event_id=event["id"],
            defaults={"type": event.get("type", ""), "payload": event},
        )
        row = StripeEvent.objects.select_for_update().get(pk=row.pk)
        if row.status in StripeEvent.DONE:
            return row
        row.attempts += 1
        row.error = ""
        if row.type not in PAYMENT_INTENT_EVENTS:
            row.status = StripeEvent.Status.IGNORED
            row.error = "Event type not handled."
        else:
            obj = (event.get("data") or {}).get("object") or {}
            intent_id = obj.get("id", "") if isinstance(obj, dict) else ""
            try:
                with transaction.atomic():
                    payment = (
                        payment_confirm_from_stripe(payment_intent_id=intent_id)
                        if intent_id.startswith("pi_")
                        else None
                    )
            except gateway.GatewayError as exc:
                # An object Stripe does not know is none of ours to wait for; anything else is
                # worth another delivery.
                missing = exc.code == "resource_missing"
                row.status = StripeEvent.Status.IGNORED if missing else StripeEvent.Status.FAILED
                row.error = f"{exc.code}: {exc.user_message}"
            except Exception as exc:
                logger.exception("Stripe event %s failed", row.event_id)
                row.status = StripeEvent.Status.FAILED
                row.error = repr(exc)[:2000]
            else:
                if payment is None:
                    row.status = StripeEvent.Status.IGNORED
                    row.error = f"No invoice or payment for {intent_id or 'this object'}."
                else:
                    row.status = StripeEvent.Status.PROCESSED
        row.processed_at = timezone.now()
        row.save()
        return row
