"""Checks: recorded by finance staff for the full amount of an invoice (an on-time check may
leave out the late fee, through a replacement invoice)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.audit import signed_in
from core.formatting import format_date

from .invoices import CENT, ZERO, PaymentError, lock_invoice, reissue_without
from .models import Invoice, Payment
from .settlement import invoice_mark_paid, payment_log, settle_card_attempts

# A check dated ahead ("post-dated", often to the member's deadline) cannot be deposited before its
# date. Up to POSTDATED_DAYS ahead it is recorded, and the form tells staff to deposit it on that
# date; further ahead it is refused as a likely mistake in the date (or a check not meant to be
# cashed yet), to be returned to the member or entered with the right date.
POSTDATED_DAYS = 30


class CheckDateError(PaymentError):
    """A check's date or the day it was received cannot be right; `field` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def check_dates_problem(
    *, check_date: dt.date, received_on: dt.date | None, today: dt.date
) -> CheckDateError | None:
    """Why a check's dates are impossible, or None: received in the future, or dated more than
    POSTDATED_DAYS ahead."""
    if received_on is not None and received_on > today:
        return CheckDateError(
            f"The check cannot have been received on {format_date(received_on)}: that is in the "
            "future. Enter the day it arrived (today at the latest).",
            "received_on",
        )
    if check_date > today + dt.timedelta(days=POSTDATED_DAYS):
        return CheckDateError(
            f"The check is post-dated to {format_date(check_date)}, more than {POSTDATED_DAYS} "
            "days ahead: it cannot be deposited until then. Return it to the member, or check "
            "the date you entered.",
            "check_date",
        )
    return None


def check_is_postdated(check_date: dt.date, today: dt.date | None = None) -> bool:
    """Dated after today (within POSTDATED_DAYS): recorded, to be deposited on its date."""
    return check_date > (today or timezone.localdate())


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
    A check received in the future, or dated more than POSTDATED_DAYS ahead, is refused
    (CheckDateError, naming the field).
    """
    number = (number or "").strip()
    if not number:
        raise PaymentError("Enter the check number.")
    if check_date is None:
        raise PaymentError("Enter the date written on the check.")
    problem = check_dates_problem(
        check_date=check_date, received_on=received_on, today=timezone.localdate()
    )
    if problem is not None:
        raise problem
    amount = Decimal(amount).quantize(CENT)
    if amount <= ZERO:
        raise PaymentError("The amount must be more than zero.")
    settle_card_attempts(invoice)
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
    invoice = lock_invoice(invoice)
    if invoice.is_correction or invoice.status != Invoice.Status.OPEN:
        raise PaymentError(f"Invoice {invoice.number} is not open for payment.")
    if amount != invoice.total:
        late = sum((line.amount for line in invoice.lines.all() if line.fee_code == "late"), ZERO)
        on_time = invoice.on_time_until is not None and check_date <= invoice.on_time_until
        if late > ZERO and on_time and amount == invoice.total - late:
            invoice = reissue_without(
                invoice=invoice,
                fee_code="late",
                actor=actor,
                reason=(
                    f"Check {number} dated {format_date(check_date)} is on time "
                    f"(on or before {format_date(invoice.on_time_until)}): late fee waived."
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
        recorded_by=signed_in(actor),
        confirmed_at=now,
    )
    payment_log(payment, "check_recorded", before={}, actor=actor)
    invoice_mark_paid(invoice=invoice, payment=payment, actor=actor)
    return payment
