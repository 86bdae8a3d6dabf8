"""A deposit of checks: many checks entered from one deposit slip, all or nothing.

Each check is recorded through `checks.payment_record_check` (the same rules as one check: the
full amount, on time for the late fee, an open invoice) and leaves its own audit record; the
deposit leaves one more. A row that cannot be recorded stops the whole deposit, and every row's
problem is reported at once, by row number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from core.audit import log_action

from .checks import payment_record_check
from .invoices import CENT, ZERO, PaymentError
from .models import Deposit, Invoice


@dataclass(frozen=True)
class DepositRow:
    row: int
    invoice_number: str
    check_number: str
    check_date: dt.date
    amount: Decimal


class DepositError(PaymentError):
    """Rows that could not be recorded: {row number: message}; nothing was recorded."""

    def __init__(self, problems: dict[int, str]):
        self.problems = problems
        super().__init__(
            "Nothing was recorded: "
            + " ".join(f"Row {row}: {message}" for row, message in sorted(problems.items()))
        )


def _invoice(number: str) -> Invoice:
    invoice = Invoice.objects.filter(number__iexact=number.strip()).first()
    if invoice is None:
        raise PaymentError(f"There is no invoice {number.strip()}.")
    return invoice


@transaction.atomic
def deposit_record(
    *, reference: str, deposited_on: dt.date, rows: list[DepositRow], actor
) -> Deposit:
    """Record every check of the slip, or none: DepositError names each row's problem."""
    reference = (reference or "").strip()
    if not reference:
        raise PaymentError("Enter the deposit slip reference.")
    if not rows:
        raise PaymentError("Enter at least one check.")
    problems: dict[int, str] = {}
    seen: dict[str, int] = {}
    payments = []
    currencies = set()
    for item in rows:
        key = item.invoice_number.strip().upper()
        if key in seen:
            problems[item.row] = f"Invoice {item.invoice_number} is on row {seen[key]} already."
            continue
        seen[key] = item.row
        try:
            # A savepoint per check, so one refused row does not hide the others' problems.
            with transaction.atomic():
                payment = payment_record_check(
                    invoice=_invoice(item.invoice_number),
                    number=item.check_number,
                    check_date=item.check_date,
                    amount=item.amount,
                    received_on=deposited_on,
                    actor=actor,
                )
        except PaymentError as exc:
            problems[item.row] = str(exc)
            continue
        payments.append(payment)
        currencies.add(payment.currency)
    if not problems and len(currencies) > 1:
        problems[rows[0].row] = "A deposit holds checks of one currency only."
    if problems:
        raise DepositError(problems)  # rolls back every check recorded above
    total = sum((p.amount for p in payments), ZERO).quantize(CENT)
    deposit = Deposit.objects.create(
        reference=reference,
        deposited_on=deposited_on,
        currency=currencies.pop(),
        recorded_by=actor,
    )
    deposit.payments.set(payments)
    log_action(
        deposit,
        "deposit recorded",
        actor=actor,
        after={
            "reference": reference,
            "deposited_on": deposited_on,
            "total": total,
            "checks": [
                {"invoice": p.invoice.number, "check": p.check_number, "amount": p.amount}
                for p in payments
            ],
        },
    )
    return deposit
