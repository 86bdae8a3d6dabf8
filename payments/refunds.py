"""Refunds of confirmed payments: in part or in full, by the payment's method (through Stripe for a
card, by a check staff write for a check), one `Refund` row each.

The refunds of a payment never add up to more than it: each request is checked against what is
left under the payment's row lock, and money a request waits for (a second approver) is set aside.
A refund above the amount finance set (`FinanceSettings.refund_approval_above`) is carried out
only when a different finance user approves it. The refund that leaves nothing of the payment
marks it refunded and cancels its invoice with a correction.

What it means for the invoice's report is staff's explicit choice, on the form:
- an approved report: the renewal stands, with a reason. An approval cannot be undone safely (the
  credential has moved to its next cycle, its certificate is issued and the next report is open),
  so the portal never takes it back by itself;
- a report not approved yet, refunded in full: "the report returns to payment due" issues it a
  new invoice (emailed), or nothing changes.

Lock order, as everywhere in payments: report, invoice, payment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import log_action, snapshot
from recertification.models import Report

from . import stripe_gateway as gateway
from .emails import queue_refund_receipt
from .invoices import (
    CENT,
    PAYMENT_FIELDS,
    ZERO,
    PaymentError,
    invoice_issue,
    issue_correction,
    lock_invoice,
    lock_report,
    report_payment_due,
)
from .models import FinanceSettings, Invoice, Payment, Refund
from .settlement import payment_log

REFUND_FIELDS = ["status", "amount", "method", "consequence", "stripe_refund_id", "check_number"]
# Refunds that count against the payment: done, or set aside for a second approver.
COUNTED = (Refund.Status.REQUESTED, Refund.Status.REFUNDED)


def can_refund(user) -> bool:
    return bool(user and user.is_active and user.has_perm("payments.refund_payment"))


def _require_finance(actor) -> None:
    if not can_refund(actor):
        raise PermissionDenied("Only finance staff can refund payments.")


def refundable(payment: Payment, *, exclude: Refund | None = None) -> Decimal:
    """What is left of the payment to refund (money waiting for approval is set aside)."""
    if payment.status != Payment.Status.CONFIRMED:
        return ZERO
    taken = payment.refunds.filter(status__in=COUNTED)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    return payment.amount - (taken.aggregate(s=Sum("amount"))["s"] or ZERO)


def needs_second_approval(amount: Decimal) -> bool:
    threshold = FinanceSettings.refund_threshold()
    return threshold is not None and amount > threshold


def report_is_approved(invoice: Invoice) -> bool:
    return bool(invoice.report_id) and invoice.report.status == Report.Status.APPROVED


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, TypeError, ValueError):
        raise PaymentError("Enter the amount to refund.") from None
    if amount <= ZERO:
        raise PaymentError("The amount to refund must be more than zero.")
    return amount


def _lock(payment: Payment) -> tuple[Report | None, Invoice, Payment]:
    """The report (if any), the invoice and the payment, locked in that order."""
    invoice_row = Invoice.objects.only("report_id").get(pk=payment.invoice_id)
    report = lock_report(invoice_row.report_id) if invoice_row.report_id else None
    invoice = lock_invoice(payment.invoice_id)
    if report is not None:
        invoice.report = report
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    payment.invoice = invoice
    return report, invoice, payment


def _check_consequence(
    *, report: Report | None, full: bool, consequence: str, consequence_reason: str
) -> None:
    if report is not None and report.status == Report.Status.APPROVED:
        if consequence != Refund.Consequence.RENEWAL_STANDS or not consequence_reason:
            raise PaymentError(
                "The report of this invoice is approved and the credential renewed. An approval "
                "cannot be undone safely (the next cycle has started and its certificate is "
                "issued), so confirm that the renewal stands and give the reason."
            )
        return
    if consequence == Refund.Consequence.RENEWAL_STANDS:
        raise PaymentError("The report of this invoice is not approved: there is no renewal.")
    if consequence == Refund.Consequence.PAYMENT_DUE:
        if report is None:
            raise PaymentError("This invoice has no report to return to payment due.")
        if not full:
            raise PaymentError(
                "Only a refund of the whole payment returns the report to payment due."
            )
        if report.status not in (
            Report.Status.SUBMITTED,
            Report.Status.PAYMENT_DUE,
            Report.Status.IN_REVIEW,
            Report.Status.AUDIT,
        ):
            raise PaymentError(
                f"A report that is {report.get_status_display().lower()} cannot return to "
                "payment due."
            )


@transaction.atomic
def refund_request(
    *,
    payment: Payment,
    actor,
    amount,
    reason: str,
    check_number: str = "",
    check_date: dt.date | None = None,
    consequence: str = Refund.Consequence.NONE,
    consequence_reason: str = "",
) -> Refund:
    """Refund `amount` of a confirmed payment, or (above the threshold) ask a second approver.

    A check payment is refunded by a check: its number and date are required.
    """
    _require_finance(actor)
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Give a reason for the refund.")
    amount = _amount(amount)
    consequence_reason = (consequence_reason or "").strip()
    check_number = (check_number or "").strip()
    report, invoice, payment = _lock(payment)
    if payment.status != Payment.Status.CONFIRMED:
        raise PaymentError("Only a confirmed payment can be refunded.")
    left = refundable(payment)
    if amount > left:
        raise PaymentError(
            f"At most {left} {payment.currency} of this payment is left to refund "
            f"(paid {payment.amount}, refunded or waiting for approval {payment.amount - left})."
        )
    if payment.method == Payment.Method.CHECK and not (check_number and check_date):
        raise PaymentError(
            "A check payment is refunded by check: enter the refund check's number and date."
        )
    _check_consequence(
        report=report,
        full=amount == left,
        consequence=consequence,
        consequence_reason=consequence_reason,
    )
    refund = Refund.objects.create(
        payment=payment,
        status=Refund.Status.REQUESTED,
        method=payment.method,
        amount=amount,
        currency=payment.currency,
        reason=reason,
        consequence=consequence,
        consequence_reason=consequence_reason,
        check_number=check_number if payment.method == Payment.Method.CHECK else "",
        check_date=check_date if payment.method == Payment.Method.CHECK else None,
        requested_by=actor,
    )
    if needs_second_approval(amount):
        log_action(
            refund,
            "refund requested",
            actor=actor,
            member=invoice.member,
            reason=reason,
            after=snapshot(refund, REFUND_FIELDS) | {"invoice": invoice.number},
        )
        return refund
    return _carry_out(
        refund, report=report, invoice=invoice, payment=payment, left=left, actor=actor
    )


@transaction.atomic
def refund_approve(*, refund: Refund, actor) -> Refund:
    """A second finance user approves a requested refund, which is then carried out."""
    _require_finance(actor)
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.requested_by_id == actor.pk:
        raise PermissionDenied("You requested this refund: another finance user must approve it.")
    report, invoice, payment = _lock(refund.payment)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != Refund.Status.REQUESTED:
        raise PaymentError(f"This refund is {refund.get_status_display().lower()} already.")
    left = refundable(payment, exclude=refund)
    if refund.amount > left:
        raise PaymentError("The payment no longer has this much left to refund.")
    _check_consequence(
        report=report,
        full=refund.amount == left,
        consequence=refund.consequence,
        consequence_reason=refund.consequence_reason,
    )
    refund.approved_by = actor
    return _carry_out(
        refund, report=report, invoice=invoice, payment=payment, left=left, actor=actor
    )


@transaction.atomic
def refund_decline(*, refund: Refund, actor, reason: str) -> Refund:
    """Decline a requested refund: nothing is paid back and its amount is free again."""
    _require_finance(actor)
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Give a reason for declining the refund.")
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != Refund.Status.REQUESTED:
        raise PaymentError(f"This refund is {refund.get_status_display().lower()} already.")
    before = snapshot(refund, REFUND_FIELDS)
    refund.status = Refund.Status.DECLINED
    refund.declined_reason = reason
    refund.save(update_fields=["status", "declined_reason"])
    log_action(
        refund,
        "refund declined",
        actor=actor,
        member=refund.payment.invoice.member,
        reason=reason,
        before=before,
        after=snapshot(refund, REFUND_FIELDS),
    )
    return refund


def _carry_out(
    refund: Refund,
    *,
    report: Report | None,
    invoice: Invoice,
    payment: Payment,
    left: Decimal,
    actor,
) -> Refund:
    """Pay the money back, record it, settle the payment and the report, queue the receipt.

    `left`: what was left of the payment besides this refund, read under the payment's lock.
    """
    before = snapshot(refund, REFUND_FIELDS)
    left_after = left - refund.amount
    if refund.method == Payment.Method.CARD:
        # Inside the transaction with an idempotency key: if our commit fails, the retry gets the
        # same refund back from Stripe instead of a second one.
        refund.stripe_refund_id = gateway.refund_create(
            payment_intent_id=payment.stripe_payment_intent_id,
            amount=gateway.to_minor_units(refund.amount, refund.currency),
            idempotency_key=f"refund-{refund.pk}",
            metadata={"invoice": invoice.number, "reason": refund.reason[:400]},
        )
    refund.status = Refund.Status.REFUNDED
    refund.refunded_at = timezone.now()
    payment_before = snapshot(payment, PAYMENT_FIELDS)
    if left_after == ZERO:
        payment.status = Payment.Status.REFUNDED
        payment.refunded_at = refund.refunded_at
        payment.refund_reason = refund.reason
        if refund.stripe_refund_id:
            payment.stripe_refund_id = refund.stripe_refund_id
        payment.save()
        payment_log(payment, "refunded", before=payment_before, actor=actor, reason=refund.reason)
        refund.correction = issue_correction(
            invoice=invoice, actor=actor, reason=f"Refund: {refund.reason}"
        )
    else:
        payment_log(
            payment,
            "partly refunded",
            before=payment_before,
            actor=actor,
            reason=f"{refund.amount} {refund.currency} refunded: {refund.reason}",
        )
    refund.save()
    log_action(
        refund,
        "refunded",
        actor=actor,
        member=invoice.member,
        reason=refund.reason,
        before=before,
        after=snapshot(refund, REFUND_FIELDS)
        | {
            "invoice": invoice.number,
            "requested_by": str(refund.requested_by),
            "approved_by": str(refund.approved_by) if refund.approved_by_id else None,
            "left": left_after,
        },
    )
    _apply_consequence(refund, report=report, invoice=invoice, actor=actor)
    queue_refund_receipt(refund, invoice=invoice, report=report)
    return refund


def _apply_consequence(refund: Refund, *, report: Report | None, invoice: Invoice, actor) -> None:
    if report is None:
        return
    if refund.consequence == Refund.Consequence.RENEWAL_STANDS:
        log_action(
            report,
            "refunded, renewal stands",
            actor=actor,
            member=report.member,
            reason=refund.consequence_reason,
            after={"refund": str(refund.amount), "invoice": invoice.number},
        )
    elif refund.consequence == Refund.Consequence.PAYMENT_DUE:
        report_payment_due(
            report,
            actor=actor,
            action="payment due again",
            reason=f"Payment refunded: {refund.reason}",
        )
        invoice_issue(report=report, actor=actor)


def payment_refund(*, payment: Payment, actor, reason: str, **details) -> Invoice | Refund:
    """Refund what is left of a payment; the correction invoice once carried out (the Refund when
    it waits for a second approver)."""
    refund = refund_request(
        payment=payment,
        actor=actor,
        amount=refundable(Payment.objects.get(pk=payment.pk)) or payment.amount,
        reason=reason,
        **details,
    )
    return refund.correction if refund.status == Refund.Status.REFUNDED else refund
