"""State changes of invoices and payments.

Each public function is keyword-only and one transaction; anything that can race takes a row lock
and is a no-op when the work is already done (a second submission returns the first invoice, a
second webhook finds the payment confirmed). Lock order, always: report, invoice, payment,
invoice counter. Money is `Decimal` throughout; Stripe's integer cents are computed exactly in
`stripe_gateway.to_minor_units`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import log_action, snapshot
from members import emails as member_emails
from members.models import Credential, User
from recertification import rules
from recertification.fees import program_fees
from recertification.models import Report
from recertification.services import report_mark_paid

from . import stripe_gateway as gateway
from .emails import receipt_email
from .models import Invoice, InvoiceCounter, InvoiceLine, Payment, StripeCustomer, StripeEvent
from .signals import deadline_extended

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
PAYMENT_TERM = dt.timedelta(days=30)
LIVE_RECERTIFICATION_KINDS = (Invoice.Kind.RECERTIFICATION, Invoice.Kind.REINSTATEMENT)
INVOICE_FIELDS = ["status", "total", "paid_at", "cancelled_at"]
PAYMENT_FIELDS = ["status", "amount", "currency", "failure_message"]


class PaymentError(Exception):
    """A payment or invoice operation that cannot go ahead; the message is safe to show."""


class AlreadyPaid(PaymentError):
    """The invoice is paid already (perhaps by the attempt we just looked at)."""


# --- Invoices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    fee_code: str
    description: str
    unit_price: Decimal
    quantity: int = 1

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


def _next_number() -> tuple[str, int, str]:
    """Take the next number for the configured prefix under a row lock; numbers are never reused."""
    prefix = settings.INVOICE_NUMBER_PREFIX
    InvoiceCounter.objects.get_or_create(prefix=prefix)
    counter = InvoiceCounter.objects.select_for_update().get(prefix=prefix)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return prefix, counter.last_number, f"{prefix}{counter.last_number:05d}"


def _billing(member: User) -> dict[str, str]:
    return {
        "billing_name": member.get_full_name() or member.username,
        "billing_organization": member.organization,
        "billing_address": "\n".join(member.address_lines),
        "billing_email": member.email,
        "member_number": member.member_number,
    }


def _create_invoice(
    *,
    member: User,
    report: Report | None,
    kind: str,
    lines: list[Line],
    currency: str,
    issued_on: dt.date,
    payable_from: dt.date,
    due_on: dt.date,
    on_time_until: dt.date | None = None,
    cancels: Invoice | None = None,
    reason: str = "",
    actor=None,
) -> Invoice:
    if not lines:
        raise PaymentError("An invoice needs at least one line.")
    total = sum((line.amount for line in lines), ZERO)
    prefix, counter, number = _next_number()
    now = timezone.now()
    settled = kind == Invoice.Kind.CORRECTION or total == ZERO
    # Copy billing details from the original for a correction, so both show the same addressee.
    billing = (
        {
            "billing_name": cancels.billing_name,
            "billing_organization": cancels.billing_organization,
            "billing_address": cancels.billing_address,
            "billing_email": cancels.billing_email,
            "member_number": cancels.member_number,
        }
        if cancels is not None
        else _billing(member)
    )
    invoice = Invoice.objects.create(
        prefix=prefix,
        counter=counter,
        number=number,
        member=member,
        report=report,
        kind=kind,
        description=(
            f"Cancels invoice {cancels.number}" if cancels is not None else lines[0].description
        )[:300],
        status=Invoice.Status.PAID if settled else Invoice.Status.OPEN,
        paid_at=now if settled else None,
        currency=currency,
        issued_on=issued_on,
        payable_from=payable_from,
        due_on=max(due_on, issued_on),
        on_time_until=on_time_until,
        cancels=cancels,
        reason=reason,
        total=total,
        **billing,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            fee_code=line.fee_code,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
        )
        for position, line in enumerate(lines, start=1)
    )
    log_action(
        invoice,
        "issued",
        actor=actor,
        member=member,
        reason=reason,
        after={
            "number": number,
            "kind": kind,
            "total": total,
            "currency": currency,
            "status": invoice.status,
            "cancels": cancels.number if cancels else None,
        },
    )
    return invoice


def _lock_invoice(invoice: Invoice | int) -> Invoice:
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    return Invoice.objects.select_for_update(of=("self",)).select_related("member").get(pk=pk)


def _extension_granted(report: Report) -> bool:
    """An extension counts once its fee is paid, or when the lifecycle says it is active (staff may
    activate one): asked through the `deadline_extended` hook, since the lifecycle builds on us."""
    if Invoice.objects.filter(
        report=report, kind=Invoice.Kind.EXTENSION, status=Invoice.Status.PAID
    ).exists():
        return True
    return any(answer for _, answer in deadline_extended.send(sender=Report, report=report))


def _recertification_terms(
    report: Report, *, issued_on: dt.date, submitted_on: dt.date
) -> dict[str, Any]:
    """Kind, lines and dates of a report's invoice, from the program's fees and calendar."""
    program = rules.get_program(report.program)
    credentials = list(report.credentials.all())
    designations = " + ".join(sorted(c.designation for c in credentials)) or program.name
    fees = program_fees(program.code)
    calendar = program.deadlines_for(report.cycle_end.year)
    extension = _extension_granted(report)
    cycle = f"{report.cycle_start:%m/%d/%Y}–{report.cycle_end:%m/%d/%Y}"
    on_time = calendar.get("on_time_until")
    extended_until = calendar.get("extension_until") if extension else None
    # A paper report staff record for a lapsed credential reinstates it.
    lapsed = report.is_paper and any(c.status == Credential.Status.LAPSED for c in credentials)
    # A report staff accepted is billed at least its recertification fee, whatever the calendar.
    due = program.fees_due(
        report.cycle_end.year, submitted_on, extension_granted=extension, lapsed=lapsed
    ) or ["recertification"]
    lines = [
        Line(
            "recertification",
            f"Recertification fee, {designations}, cycle {cycle}",
            fees.recertification,
        )
    ]
    kind = Invoice.Kind.RECERTIFICATION
    if "reinstatement" in due and fees.reinstatement > ZERO:
        kind = Invoice.Kind.REINSTATEMENT
        lines.append(Line("reinstatement", "Reinstatement fee", fees.reinstatement))
    if "late" in due and fees.late > ZERO:
        lines.append(Line("late", f"Late fee (submitted after {on_time:%m/%d/%Y})", fees.late))

    payable_from = max(issued_on, calendar.get("invoice_payable_from", issued_on))
    late_until = calendar.get("late_until")
    if on_time and issued_on <= on_time:
        due_on = on_time
    elif extended_until and issued_on <= extended_until:
        due_on = extended_until
    elif late_until and issued_on <= late_until:
        due_on = late_until
    else:
        due_on = payable_from + PAYMENT_TERM
    return {
        "kind": kind,
        "lines": lines,
        "currency": fees.currency,
        "payable_from": payable_from,
        "due_on": max(due_on, payable_from),
        "on_time_until": extended_until or on_time,
    }


def _live_recertification_invoice(report: Report) -> Invoice | None:
    return (
        Invoice.objects.filter(report=report, kind__in=LIVE_RECERTIFICATION_KINDS)
        .exclude(status=Invoice.Status.CANCELLED)
        .first()
    )


@transaction.atomic
def invoice_issue(*, report: Report, actor=None, today: dt.date | None = None) -> Invoice:
    """Issue the invoice for a submitted report, or return the one it already has.

    Either way the report ends up where its invoice says: payment due while the invoice is open,
    on to review once it is paid (a report returned for correction and submitted again keeps
    its paid invoice and goes straight back to review).
    """
    report = (
        Report.objects.select_for_update(of=("self",)).select_related("member").get(pk=report.pk)
    )
    invoice = _live_recertification_invoice(report)
    if invoice is None:
        if report.status not in (Report.Status.SUBMITTED, Report.Status.PAYMENT_DUE):
            raise PaymentError("Only a submitted report can be invoiced.")
        issued_on = today or timezone.localdate()
        submitted_on = timezone.localdate(report.submitted_at) if report.submitted_at else issued_on
        terms = _recertification_terms(report, issued_on=issued_on, submitted_on=submitted_on)
        invoice = _create_invoice(
            member=report.member, report=report, issued_on=issued_on, actor=actor, **terms
        )
    if invoice.status == Invoice.Status.PAID:
        # Nothing (more) to pay, e.g. a fee set to zero: the report goes on to review.
        report_mark_paid(report=report, actor=actor)
    elif report.status == Report.Status.SUBMITTED:
        report.status = Report.Status.PAYMENT_DUE
        report.save(update_fields=["status", "updated_at"])
        log_action(
            report,
            "payment_due",
            actor=actor,
            member=report.member,
            before={"status": Report.Status.SUBMITTED},
            after={"status": report.status, "invoice": invoice.number},
        )
    return invoice


@transaction.atomic
def invoice_issue_extension(*, report: Report, actor=None, today: dt.date | None = None) -> Invoice:
    """Issue the extension fee invoice for a report (NAMSS), or return the live one it has."""
    report = (
        Report.objects.select_for_update(of=("self",)).select_related("member").get(pk=report.pk)
    )
    existing = (
        Invoice.objects.filter(report=report, kind=Invoice.Kind.EXTENSION)
        .exclude(status=Invoice.Status.CANCELLED)
        .first()
    )
    if existing is not None:
        return existing
    fees = program_fees(report.program)
    if fees.extension <= ZERO:
        raise PaymentError("This program has no extension fee.")
    issued_on = today or timezone.localdate()
    calendar = rules.deadlines(report.program, report.cycle_end.year)
    return _create_invoice(
        member=report.member,
        report=report,
        kind=Invoice.Kind.EXTENSION,
        lines=[Line("extension", f"Extension fee, {report.designations}", fees.extension)],
        currency=fees.currency,
        issued_on=issued_on,
        payable_from=issued_on,
        due_on=calendar.get("extension_request_until", issued_on + PAYMENT_TERM),
        actor=actor,
    )


def _settle_card_attempts(invoice: Invoice) -> None:
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
        _payment_apply_intent(intent)


def _issue_correction(*, invoice: Invoice, actor, reason: str) -> Invoice:
    """Cancel `invoice` (already locked) and issue the correction that refers to it."""
    today = timezone.localdate()
    lines = [
        Line(
            line.fee_code,
            f"Cancels {invoice.number}: {line.description}",
            -line.unit_price,
            line.quantity,
        )
        for line in invoice.lines.all()
    ]
    before = snapshot(invoice, INVOICE_FIELDS)
    invoice.status = Invoice.Status.CANCELLED
    invoice.cancelled_at = timezone.now()
    invoice.save(update_fields=["status", "cancelled_at", "updated_at"])
    log_action(
        invoice,
        "cancelled",
        actor=actor,
        member=invoice.member,
        reason=reason,
        before=before,
        after=snapshot(invoice, INVOICE_FIELDS),
    )
    return _create_invoice(
        member=invoice.member,
        report=invoice.report,
        kind=Invoice.Kind.CORRECTION,
        lines=lines,
        currency=invoice.currency,
        issued_on=today,
        payable_from=today,
        due_on=today,
        cancels=invoice,
        reason=reason,
        actor=actor,
    )


def invoice_cancel(*, invoice: Invoice, actor, reason: str) -> Invoice:
    """Cancel an unpaid invoice with a reason; returns the cancelling correction invoice."""
    if not reason or not reason.strip():
        raise PaymentError("Give a reason for the cancellation.")
    _settle_card_attempts(invoice)
    return _invoice_cancel(invoice=invoice, actor=actor, reason=reason.strip())


@transaction.atomic
def _invoice_cancel(*, invoice: Invoice, actor, reason: str) -> Invoice:
    invoice = _lock_invoice(invoice)
    if invoice.is_correction:
        raise PaymentError("A correction cannot be cancelled.")
    if invoice.status == Invoice.Status.CANCELLED:
        raise PaymentError(f"Invoice {invoice.number} is already cancelled.")
    if invoice.status == Invoice.Status.PAID:
        raise PaymentError(f"Invoice {invoice.number} is paid: refund its payment instead.")
    return _issue_correction(invoice=invoice, actor=actor, reason=reason)


# --- Payments: marking paid ------------------------------------------------------------------


def _payment_log(payment: Payment, action: str, *, before: dict, actor=None, reason: str = ""):
    log_action(
        payment,
        action,
        actor=actor,
        member=payment.invoice.member,
        reason=reason,
        before=before,
        after=snapshot(payment, PAYMENT_FIELDS) | {"invoice": payment.invoice.number},
    )


def _invoice_mark_paid(*, invoice: Invoice, payment: Payment, actor=None) -> None:
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
    _payment_log(payment, "refunded", before=before, reason=reason)


def _apply_intent_to_payment(
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
        _payment_log(payment, "confirmed", before=before, actor=actor)
        _invoice_mark_paid(invoice=invoice, payment=payment, actor=actor)
    elif payment.status in Payment.IN_FLIGHT:
        if intent.status in ("processing", "requires_action", "requires_capture"):
            if payment.status != Payment.Status.PENDING:
                payment.status = Payment.Status.PENDING
                payment.save()
                _payment_log(payment, "pending", before=before, actor=actor)
        elif intent.status == "canceled":
            payment.status = Payment.Status.CANCELED
            payment.save()
            _payment_log(payment, "canceled", before=before, actor=actor)
        elif intent.status == "requires_payment_method" and intent.error_message:
            payment.status = Payment.Status.FAILED
            payment.failure_message = intent.error_message
            payment.save()
            _payment_log(payment, "failed", before=before, actor=actor)
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
    _payment_log(payment, "adopted", before={})
    return payment


@transaction.atomic
def _payment_apply_intent(intent: gateway.Intent) -> Payment | None:
    payment = Payment.objects.filter(stripe_payment_intent_id=intent.id).first()
    if payment is None:
        payment = _adopt_payment_intent(intent)
        if payment is None:
            return None
    invoice = _lock_invoice(payment.invoice_id)
    return _apply_intent_to_payment(payment=payment, invoice=invoice, intent=intent)


def payment_confirm_from_stripe(*, payment_intent_id: str) -> Payment | None:
    """Ask Stripe for the PaymentIntent and apply what it says; marks the invoice paid once.

    The webhook and the return page both come here, and neither trusts what it was sent: the
    state is re-fetched from Stripe. Returns None for a PaymentIntent that is none of ours.
    """
    intent = gateway.payment_intent_retrieve(payment_intent_id)
    return _payment_apply_intent(intent)


# --- Payments: card ---------------------------------------------------------------------------


def _ensure_payable(invoice: Invoice, *, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    if invoice.status == Invoice.Status.PAID or invoice.is_correction:
        raise AlreadyPaid(f"Invoice {invoice.number} is paid. Thank you.")
    if invoice.status != Invoice.Status.OPEN:
        raise PaymentError(f"Invoice {invoice.number} is cancelled and cannot be paid.")
    if today < invoice.payable_from:
        raise PaymentError(
            f"Invoice {invoice.number} can be paid from {invoice.payable_from:%m/%d/%Y}."
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


def card_setup_start(*, invoice: Invoice, member: User) -> gateway.Intent:
    """A SetupIntent whose client secret lets Stripe.js collect the card for this invoice."""
    _ensure_payable(invoice)
    customer = stripe_customer_for(member)
    if not gateway.customer_exists(customer):
        # Stored under other keys or another test peer (one GET, once per visit to the pay page).
        customer = stripe_customer_for(member, refresh=True)
    try:
        return gateway.setup_intent_create(customer=customer, invoice_number=invoice.number)
    except gateway.GatewayError as exc:
        if isinstance(exc, gateway.Unavailable) or exc.code != "resource_missing":
            raise
        # The stored customer belongs to another Stripe account or test peer: make a new one.
        customer = stripe_customer_for(member, refresh=True)
        return gateway.setup_intent_create(customer=customer, invoice_number=invoice.number)


@transaction.atomic
def payment_intent_for(*, invoice: Invoice, member: User, payment_method: str) -> Payment:
    """The card payment attempt for this invoice: reuses an unconfirmed PaymentIntent or creates one.

    The invoice row is locked, so a double click or two tabs get one attempt at a time. Earlier
    attempts still in flight are settled first: one that succeeded is returned confirmed, one
    still processing is returned pending, an abandoned one is cancelled at Stripe so that it can
    never charge as well. A payment returned with status "created" is ready to confirm.
    """
    invoice = _lock_invoice(invoice)
    if invoice.member_id != member.pk:
        raise PermissionDenied
    _ensure_payable(invoice)
    customer = stripe_customer_for(member)
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
        payment = _apply_intent_to_payment(payment=payment, invoice=invoice, intent=intent)
        # Returned, not raised, so that what was just recorded is committed.
        if payment.status in (Payment.Status.CONFIRMED, Payment.Status.PENDING):
            return payment

    attempt = (
        invoice.payments.filter(method=Payment.Method.CARD).aggregate(n=Max("attempt"))["n"] or 0
    ) + 1
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
        intent = gateway.payment_intent_create(idempotency_key=key, **request)
    except gateway.GatewayError as exc:
        # An attempt number whose first try was rolled back here may meet its old key at Stripe
        # with other parameters; the card makes the key unique again.
        if exc.code != "idempotency_error":
            raise
        intent = gateway.payment_intent_create(idempotency_key=f"{key}-{payment_method}", **request)
    payment = Payment.objects.create(
        invoice=invoice,
        method=Payment.Method.CARD,
        status=Payment.Status.CREATED,
        amount=invoice.total,
        currency=invoice.currency,
        attempt=attempt,
        stripe_payment_intent_id=intent.id,
    )
    _payment_log(payment, "created", before={}, actor=member)
    return payment


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
        payment = _payment_apply_intent(intent) or payment
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
    invoice = _lock_invoice(payment.invoice_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    payment.invoice = invoice
    if payment.status not in Payment.IN_FLIGHT:
        return payment
    before = snapshot(payment, PAYMENT_FIELDS)
    payment.status = Payment.Status.FAILED
    payment.failure_message = message
    payment.save()
    _payment_log(payment, "failed", before=before)
    return payment


# --- Payments: checks and refunds ---------------------------------------------------------------


def _reissue_without(*, invoice: Invoice, fee_code: str, actor, reason: str) -> Invoice:
    """Cancel `invoice` (locked) and issue its replacement without the lines of one fee."""
    kept = [
        Line(line.fee_code, line.description, line.unit_price, line.quantity)
        for line in invoice.lines.all()
        if line.fee_code != fee_code
    ]
    _issue_correction(invoice=invoice, actor=actor, reason=reason)
    today = timezone.localdate()
    return _create_invoice(
        member=invoice.member,
        report=invoice.report,
        kind=invoice.kind,
        lines=kept,
        currency=invoice.currency,
        issued_on=today,
        payable_from=invoice.payable_from,
        due_on=max(invoice.due_on, today),
        on_time_until=invoice.on_time_until,
        reason=reason,
        actor=actor,
    )


def payment_record_check(
    *,
    invoice: Invoice,
    number: str,
    check_date: dt.date,
    amount: Decimal,
    actor,
    received_on: dt.date | None = None,
) -> Payment:
    """Record a check that pays an invoice in full.

    A check dated on or before the invoice's on-time date is on time: when it leaves out the late
    fee, the invoice is replaced by one without it (through a correction) and the check pays that.
    """
    number = (number or "").strip()
    if not number:
        raise PaymentError("Enter the check number.")
    if check_date is None:
        raise PaymentError("Enter the date written on the check.")
    amount = Decimal(amount).quantize(CENT)
    if amount <= ZERO:
        raise PaymentError("The amount must be more than zero.")
    _settle_card_attempts(invoice)
    return _payment_record_check(
        invoice=invoice,
        number=number,
        check_date=check_date,
        amount=amount,
        actor=actor,
        received_on=received_on,
    )


@transaction.atomic
def _payment_record_check(
    *, invoice: Invoice, number: str, check_date: dt.date, amount: Decimal, actor, received_on
) -> Payment:
    invoice = _lock_invoice(invoice)
    if invoice.is_correction or invoice.status != Invoice.Status.OPEN:
        raise PaymentError(f"Invoice {invoice.number} is not open for payment.")
    if amount != invoice.total:
        late = sum((line.amount for line in invoice.lines.all() if line.fee_code == "late"), ZERO)
        on_time = invoice.on_time_until is not None and check_date <= invoice.on_time_until
        if late > ZERO and on_time and amount == invoice.total - late:
            invoice = _reissue_without(
                invoice=invoice,
                fee_code="late",
                actor=actor,
                reason=(
                    f"Check {number} dated {check_date:%m/%d/%Y} is on time "
                    f"(on or before {invoice.on_time_until:%m/%d/%Y}): late fee waived."
                ),
            )
        else:
            raise PaymentError(
                f"The check is for {amount} {invoice.currency} but invoice {invoice.number} is "
                f"for {invoice.total} {invoice.currency}. Record a check only for the full "
                "amount, or cancel the invoice and issue a new one."
            )
    now = timezone.now()
    payment = Payment.objects.create(
        invoice=invoice,
        method=Payment.Method.CHECK,
        status=Payment.Status.CONFIRMED,
        amount=amount,
        currency=invoice.currency,
        check_number=number,
        check_date=check_date,
        received_on=received_on or timezone.localdate(),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        confirmed_at=now,
    )
    _payment_log(payment, "check_recorded", before={}, actor=actor)
    _invoice_mark_paid(invoice=invoice, payment=payment, actor=actor)
    return payment


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
    invoice = _lock_invoice(payment.invoice_id)
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
    _payment_log(payment, "refunded", before=before, actor=actor, reason=reason)
    return _issue_correction(invoice=invoice, actor=actor, reason=f"Refund: {reason}")


# --- Webhook events ------------------------------------------------------------------------------

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
