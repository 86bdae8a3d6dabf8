"""CSV for the accounts team: invoices, payments and refunds as filtered on screen, streamed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from payments import checks, refunds
from tests.payments.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_invoices_payments_and_refunds_export_as_filtered(finance_client, finance, member):
    paid = InvoiceFactory(report__member=member)
    payment = checks.payment_record_check(
        invoice=paid, number="12", check_date=dt.date(2026, 11, 1), amount="150", actor=finance
    )
    refunds.refund_request(payment=payment, actor=finance, amount="10", reason="=cmd()",
                           check_number="88", check_date=dt.date(2026, 11, 3))  # fmt: skip
    InvoiceFactory()  # open, someone else's
    finance.user_permissions.add(Permission.objects.get(codename="view_refund"))

    everything = body(finance_client.get(reverse("admin:payments_invoice_export")))
    only_paid = body(
        finance_client.get(reverse("admin:payments_invoice_export"), {"status__exact": "paid"})
    )
    assert everything.count("\n") == 3 and only_paid.count("\n") == 2
    assert paid.number in only_paid

    payments_csv = body(finance_client.get(reverse("admin:payments_payment_export")))
    assert "12" in payments_csv and paid.number in payments_csv
    refunds_csv = body(finance_client.get(reverse("admin:payments_refund_export")))
    assert "'=cmd()" in refunds_csv  # never a spreadsheet formula
    assert "88" in refunds_csv


def test_exports_need_view_permission(client, member):
    client.force_login(member)
    response = client.get(reverse("admin:payments_invoice_export"))
    assert response.status_code in (302, 403)
