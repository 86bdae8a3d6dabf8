"""A deposit of checks: many rows, validated row by row, recorded all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditLog
from payments import deposits
from payments.models import Deposit, Invoice, Payment
from tests.factories import UserFactory
from tests.payments.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def row(n, invoice, number, amount="150.00"):
    return deposits.DepositRow(n, invoice.number, number, dt.date(2026, 11, 1), Decimal(amount))


def test_a_deposit_records_every_check_and_is_audited(finance):
    a, b = (
        InvoiceFactory(report__member=UserFactory()),
        InvoiceFactory(report__member=UserFactory()),
    )
    deposit = deposits.deposit_record(
        reference="SLIP-7", deposited_on=dt.date(2026, 11, 5),
        rows=[row(1, a, "101"), row(2, b, "102")], actor=finance,
    )  # fmt: skip
    assert (deposit.checks, deposit.total) == (2, Decimal("300.00"))
    assert Invoice.objects.filter(status="paid").count() == 2
    assert AuditLog.objects.filter(action="check_recorded").count() == 2
    assert AuditLog.objects.filter(object_type="payments.deposit").count() == 1


def test_one_bad_row_records_nothing_and_names_each_problem(finance):
    a, b = (
        InvoiceFactory(report__member=UserFactory()),
        InvoiceFactory(report__member=UserFactory()),
    )
    with pytest.raises(deposits.DepositError) as refused:
        deposits.deposit_record(
            reference="SLIP-8", deposited_on=dt.date(2026, 11, 5),
            rows=[row(1, a, "101"), row(2, b, "102", "99.00"),
                  deposits.DepositRow(3, "RC-99999", "103", dt.date(2026, 11, 1), Decimal("1"))],
            actor=finance,
        )  # fmt: skip
    assert set(refused.value.problems) == {2, 3}
    assert not Payment.objects.exists() and not Deposit.objects.exists()
    assert Invoice.objects.filter(status="open").count() == 2


def test_the_deposit_slip_form(finance_client):
    a, b = (
        InvoiceFactory(report__member=UserFactory()),
        InvoiceFactory(report__member=UserFactory()),
    )
    url = reverse("admin:payments_invoice_deposit")
    assert finance_client.get(url).status_code == 200
    data = {"deposited_on": "2026-11-05", "reference": "SLIP-9", "checks-TOTAL_FORMS": "3",
            "checks-INITIAL_FORMS": "0"}  # fmt: skip
    for n, (inv, number, amount) in enumerate([(a, "1", "150.00"), (b, "2", "15.00")]):
        data |= {f"checks-{n}-invoice_number": inv.number, f"checks-{n}-check_number": number,
                 f"checks-{n}-check_date": "2026-11-01", f"checks-{n}-amount": amount}  # fmt: skip
    refused = finance_client.post(url, data)
    assert refused.status_code == 200 and "Row 2:" in refused.content.decode()
    assert not Payment.objects.exists()
    data["checks-1-amount"] = "150.00"
    assert finance_client.post(url, data).status_code == 302
    assert Deposit.objects.get().checks == 2
