"""Invoices finance raises by hand: numbered like every invoice, billed as entered, emailed,
on the member's Transactions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.models import AuditLog
from members.models import Notification
from payments import invoices
from payments.models import Invoice
from tests.payments.factories import ReportFactory

pytestmark = pytest.mark.django_db


def test_finance_raises_an_invoice_by_hand(member, finance):
    invoice = invoices.invoice_issue_manual(
        member=member,
        lines=[("NAMSS recertification fee", Decimal("300.00")), ("Late fee", Decimal("50"))],
        currency="USD",
        due_on=dt.date.today() + dt.timedelta(days=30),
        billing={"billing_name": "Pat Member", "billing_organization": "General Hospital",
                 "billing_address": "1 Main St\nSpringfield", "billing_email": "billing@example.org"},
        actor=finance,
    )  # fmt: skip

    assert invoice.number and invoice.total == Decimal("350.00")
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.billing_organization == "General Hospital"
    assert [line.amount for line in invoice.lines.all()] == [Decimal("300.00"), Decimal("50.00")]
    assert Notification.objects.get(kind="invoice_issued").invoice_ref == invoice.pk
    assert AuditLog.objects.filter(object_type="payments.invoice", action="issued").exists()


def test_a_manual_invoice_tied_to_a_report_moves_it_to_payment_due(member, finance):
    report = ReportFactory(member=member, program="namss")
    invoice = invoices.invoice_issue_manual(
        member=member, lines=[("Recertification", Decimal("300"))], currency="USD",
        due_on=dt.date.today() + dt.timedelta(days=10), report=report, actor=finance,
    )  # fmt: skip
    report.refresh_from_db()
    assert invoice.kind == Invoice.Kind.RECERTIFICATION
    assert report.status == "payment_due"
    with pytest.raises(invoices.PaymentError, match="already"):
        invoices.invoice_issue_manual(
            member=member, lines=[("Again", Decimal("1"))], currency="USD",
            due_on=dt.date.today(), report=report, actor=finance,
        )  # fmt: skip


def test_lines_must_be_positive(member, finance):
    with pytest.raises(invoices.PaymentError):
        invoices.invoice_issue_manual(
            member=member, lines=[("Nothing", Decimal("0"))], currency="USD",
            due_on=dt.date.today(), actor=finance,
        )  # fmt: skip


def test_the_admin_form_prefills_billing_and_the_member_sees_the_invoice(
    finance_client, finance, member, client
):
    finance.user_permissions.add(Permission.objects.get(codename="add_invoice"))
    member.organization = "General Hospital"
    member.save()
    url = reverse("admin:payments_invoice_manual")
    page = finance_client.get(url, {"member": member.member_number})
    assert page.status_code == 200 and "General Hospital" in page.content.decode()

    response = finance_client.post(
        f"{url}?member={member.member_number}",
        {
            "member": member.member_number, "currency": "USD",
            "due_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            "billing_name": "Pat Member", "billing_organization": "General Hospital",
            "billing_address": "1 Main St\nSpringfield", "billing_email": "pat@example.org",
            "reason": "NAMSS manual recertification invoice",
            "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Recertification fee", "lines-0-amount": "300.00",
            "lines-1-description": "", "lines-1-amount": "",
            "lines-2-description": "", "lines-2-amount": "",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("300.00")
    client.force_login(member)
    assert invoice.number in client.get(reverse("payments:transactions")).content.decode()
