"""Transactions, invoices, card payment and the Stripe webhook. Views fetch through the owner."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.page_cache import member_page

from . import card, invoices, pdf, selectors, settlement, webhooks
from . import stripe_gateway as gateway
from .check_address import CheckInstructions, check_addresses, check_instructions_for
from .models import Invoice, Payment, StripeEvent

logger = logging.getLogger(__name__)

# A Stripe PaymentIntent id. Anything else is not found before it reaches the database
# (PostgreSQL answers a NUL byte in a query with an error, which would be a 500).
PAYMENT_INTENT_ID = re.compile(r"pi_[A-Za-z0-9_]{1,250}")
# Stripe's event ids: "evt_" and ASCII letters and digits; the column holds 255 characters.
EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,250}", re.ASCII)


def _number(number: str) -> str:
    """An invoice number from the address, or 404 for one that cannot be (too long, control
    characters such as NUL); the prefix is a setting, so its characters are not assumed."""
    if len(number) > 40 or any(ord(c) < 32 or ord(c) == 127 for c in number):
        raise Http404("No such invoice")
    return number


def _check_instructions(invoice: Invoice) -> dict:
    """The check instructions of `invoice` (report joined): None while staff have set no address."""
    return {"invoice": invoice, "check": check_instructions_for(invoice)}


def _by_check(invoices: list[Invoice]) -> list[dict]:
    """Payable invoices grouped by where their checks go, in the order they are listed."""
    addresses = check_addresses()
    groups: dict[CheckInstructions | None, list[Invoice]] = {}
    for invoice in invoices:
        groups.setdefault(addresses.for_invoice(invoice), []).append(invoice)
    return [{"check": check, "invoices": items} for check, items in groups.items()]


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
@member_page("transactions")
def transactions(request: HttpRequest) -> HttpResponse:
    unpaid_only = request.GET.get("unpaid") == "1"
    today = timezone.localdate()
    invoices = list(selectors.invoices_for(request.user, unpaid_only=unpaid_only))
    # The Pay button only where card payment works; otherwise the way to pay by check.
    by_card = gateway.is_configured()
    for invoice in invoices:
        invoice.payable_now = invoice.is_payable_on(today)
        invoice.pay_by_card = invoice.payable_now and by_card
        invoice.not_yet_payable = (
            invoice.is_open and not invoice.is_correction and (today < invoice.payable_from)
        )
    payable = [i for i in invoices if i.payable_now]
    return render(
        request,
        "payments/transactions.html",
        {
            "active": "transactions",
            "invoices": invoices,
            "unpaid_only": unpaid_only,
            "waiting": [i for i in invoices if i.not_yet_payable],
            "by_check": [] if by_card else _by_check(payable),
        },
    )


@login_required
@require_GET
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    invoice = selectors.invoice_for(request.user, _number(number))
    payable_now = invoice.is_payable_on(timezone.localdate())
    payments = list(invoice.payments.all())
    receipt = next(
        (
            p
            for p in reversed(payments)
            if p.status in (Payment.Status.CONFIRMED, Payment.Status.REFUNDED)
        ),
        None,
    )
    return render(
        request,
        "payments/invoice_detail.html",
        {
            "active": "transactions",
            "invoice": invoice,
            "payments": payments,
            "receipt": receipt,
            "payable_now": payable_now,
            "card_configured": gateway.is_configured(),
            "check": check_instructions_for(invoice) if payable_now else None,
            "corrections": list(invoice.cancelled_by.all()),
        },
    )


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    invoice = selectors.invoice_for(request.user, _number(number))
    return _pdf_response(pdf.invoice_pdf(invoice), f"invoice-{invoice.number}.pdf")


@login_required
@require_GET
def receipt_pdf(request: HttpRequest, number: str) -> HttpResponse:
    invoice = get_object_or_404(Invoice, number=_number(number), member=request.user)
    payment = selectors.receipt_payment(invoice)
    if payment is None:
        raise Http404("This invoice has no payment yet.")
    return _pdf_response(pdf.receipt_pdf(payment), f"receipt-{invoice.number}.pdf")


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, number: str) -> HttpResponse:
    invoice = get_object_or_404(
        Invoice.objects.select_related("report"), number=_number(number), member=request.user
    )
    if invoice.status == Invoice.Status.PAID or invoice.is_correction:
        messages.info(request, f"Invoice {invoice.number} is paid. Thank you.")
        return redirect(invoice)
    if invoice.status != Invoice.Status.OPEN:
        messages.error(request, f"Invoice {invoice.number} is cancelled and cannot be paid.")
        return redirect(invoice)
    if request.method == "POST":
        return _pay_post(request, invoice)

    context = {"active": "transactions", **_check_instructions(invoice)}
    context["payable_now"] = invoice.is_payable_on(timezone.localdate())
    context["card_configured"] = gateway.is_configured()
    if context["payable_now"] and context["card_configured"]:
        try:
            setup = card.card_setup_start(invoice=invoice, member=request.user)
        except gateway.GatewayError as exc:
            context["card_error"] = exc.user_message
        else:
            context["client_secret"] = setup.client_secret
            context["publishable_key"] = gateway.publishable_key()
            context["stripe_js_url"] = settings.STRIPE_JS_URL
    return render(request, "payments/pay.html", context)


def _pay_post(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    pay_url = reverse("payments:pay", args=[invoice.number])
    if not gateway.is_configured():
        messages.error(request, "Card payment is not available. Please pay by check.")
        return redirect(pay_url)
    setup_intent = request.POST.get("setup_intent", "").strip()
    if not setup_intent.startswith("seti_"):
        messages.error(request, "Please enter your card details.")
        return redirect(pay_url)
    try:
        outcome = card.payment_card_charge(
            invoice=invoice, member=request.user, setup_intent_id=setup_intent
        )
    except gateway.CardDeclined as exc:
        messages.error(
            request,
            f"{exc.user_message} Nothing was charged and your invoice is still open: "
            "you can try again with this card or another one.",
        )
        return redirect(pay_url)
    except gateway.GatewayError as exc:
        messages.error(request, exc.user_message)
        return redirect(pay_url)
    except invoices.AlreadyPaid as exc:
        messages.info(request, str(exc))
        return redirect(invoice)
    except invoices.PaymentError as exc:
        messages.error(request, str(exc))
        return redirect(pay_url)

    return_url = (
        reverse("payments:pay_return", args=[invoice.number])
        + "?"
        + urlencode({"payment_intent": outcome.payment.stripe_payment_intent_id})
    )
    if outcome.status == "requires_action":
        return render(
            request,
            "payments/authenticate.html",
            {
                "active": "transactions",
                "invoice": invoice,
                "client_secret": outcome.client_secret,
                "publishable_key": gateway.publishable_key(),
                "stripe_js_url": settings.STRIPE_JS_URL,
                "return_url": return_url,
            },
        )
    return _after_payment(request, invoice, outcome.payment)


def _after_payment(request: HttpRequest, invoice: Invoice, payment: Payment) -> HttpResponse:
    if payment.status == Payment.Status.CONFIRMED:
        messages.success(
            request,
            f"Thank you: your payment of {payment.amount} {payment.currency} for invoice "
            f"{invoice.number} was received. We have emailed you a receipt.",
        )
        return redirect(invoice)
    if payment.status == Payment.Status.FAILED:
        messages.error(
            request,
            f"{payment.failure_message or 'Your card was declined.'} Nothing was charged and your "
            "invoice is still open: you can try again with this card or another one.",
        )
        return redirect("payments:pay", number=invoice.number)
    if payment.status == Payment.Status.CANCELED:
        messages.error(
            request, "The payment was not completed. Your invoice is still open: please try again."
        )
        return redirect("payments:pay", number=invoice.number)
    messages.info(
        request,
        "Your payment is being processed. This page will show it as paid once your bank confirms "
        "it; we will also email you a receipt.",
    )
    return redirect(invoice)


@login_required
@require_GET
def pay_return(request: HttpRequest, number: str) -> HttpResponse:
    """Where the browser lands after Stripe.js; the state is asked of Stripe, never taken from here."""
    invoice = get_object_or_404(Invoice, number=_number(number), member=request.user)
    intent_id = request.GET.get("payment_intent", "")
    if not PAYMENT_INTENT_ID.fullmatch(intent_id):
        raise Http404("No such payment")
    payment = get_object_or_404(
        Payment, invoice=invoice, method=Payment.Method.CARD, stripe_payment_intent_id=intent_id
    )
    try:
        payment = (
            settlement.payment_confirm_from_stripe(
                payment_intent_id=payment.stripe_payment_intent_id
            )
            or payment
        )
    except gateway.GatewayError as exc:
        messages.error(request, exc.user_message)
        return redirect(invoice)
    return _after_payment(request, invoice, payment)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's webhook: 400 unless signed with STRIPE_WEBHOOK_SECRET; 200 once handled or ignored."""
    try:
        event = gateway.event_from_webhook(request.body, request.headers.get("Stripe-Signature"))
    except gateway.BadSignature as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return HttpResponse("bad signature", status=400, content_type="text/plain")
    event_id = event.get("id") if isinstance(event, dict) else None
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        logger.warning("Stripe webhook refused: a signed event without a Stripe event id")
        return HttpResponse("bad event", status=400, content_type="text/plain")
    row = webhooks.stripe_event_process(event=event)
    if row.status == StripeEvent.Status.FAILED:
        # Stripe delivers the event again later; the stored row keeps the error for staff.
        return HttpResponse("failed, retry later", status=500, content_type="text/plain")
    return HttpResponse(row.status, content_type="text/plain")
