"""Partial refunds: one Refund row each, never more than the payment, by the payment's method,
a receipt email, the approved report's consequence, and a second approver above the threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.models import AuditLog
from members.models import Notification
from payments import card, checks, invoices, refunds, settlement
from payments import stripe_gateway as gateway
from payments.models import FinanceSettings, Invoice, Payment, Refund
from recertification.models import Report
from tests.payments.factories import FinanceFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def paid_by_check(member, finance):
    invoice = InvoiceFactory(report__member=member)
    return checks.payment_record_check(
        invoice=invoice, number="77", check_date=dt.date(2026, 11, 1), amount="150", actor=finance
    )


def test_a_partial_check_refund_is_recorded_with_the_refund_check(member, finance):
    payment = paid_by_check(member, finance)

    refund = refunds.refund_request(
        payment=payment,
        actor=finance,
        amount=Decimal("40.00"),
        reason="Late fee charged by mistake",
        check_number="5001",
        check_date=dt.date(2026, 11, 10),
    )

    assert refund.status == Refund.Status.REFUNDED
    assert (refund.amount, refund.method, refund.check_number) == (
        Decimal("40.00"),
        "check",
        "5001",
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED  # 110.00 of it still stands
    assert payment.invoice.status == Invoice.Status.PAID
    assert refunds.refundable(payment) == Decimal("110.00")
    assert AuditLog.objects.filter(object_type="payments.refund", action="refunded").count() == 1
    receipt = Notification.objects.get(key=f"refund_receipt:{refund.pk}")
    assert receipt.kind == "refund_receipt"
    assert "40.00" in receipt.body_text and payment.invoice.number in receipt.body_text
    assert "check 5001" in receipt.body_text


def test_refunds_never_exceed_the_payment_and_the_last_one_cancels_the_invoice(member, finance):
    payment = paid_by_check(member, finance)
    details = {"check_number": "5002", "check_date": dt.date(2026, 11, 10)}
    refunds.refund_request(payment=payment, actor=finance, amount="100", reason="a", **details)

    with pytest.raises(invoices.PaymentError, match="50.00"):
        refunds.refund_request(payment=payment, actor=finance, amount="60", reason="b", **details)
    last = refunds.refund_request(
        payment=payment, actor=finance, amount="50", reason="c", **details
    )

    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert last.correction is not None and last.correction.cancels_id == payment.invoice_id
    assert sum(r.amount for r in payment.refunds.all()) == payment.amount
    with pytest.raises(invoices.PaymentError):
        refunds.refund_request(payment=payment, actor=finance, amount="1", reason="d", **details)


def test_a_check_refund_needs_its_check_number_and_date(member, finance):
    payment = paid_by_check(member, finance)
    with pytest.raises(invoices.PaymentError, match="check"):
        refunds.refund_request(payment=payment, actor=finance, amount="10", reason="x")
    assert not Refund.objects.exists()


def test_an_approved_report_needs_the_renewal_to_stand_with_a_reason(member, finance):
    payment = paid_by_check(member, finance)
    Report.objects.filter(pk=payment.invoice.report_id).update(status=Report.Status.APPROVED)
    details = {"check_number": "5003", "check_date": dt.date(2026, 11, 10)}

    with pytest.raises(invoices.PaymentError, match="renewal"):
        refunds.refund_request(payment=payment, actor=finance, amount="20", reason="x", **details)
    with pytest.raises(invoices.PaymentError, match="renewal"):
        refunds.refund_request(
            payment=payment, actor=finance, amount="20", reason="x",
            consequence=Refund.Consequence.PAYMENT_DUE, consequence_reason="y", **details,
        )  # fmt: skip
    refund = refunds.refund_request(
        payment=payment, actor=finance, amount="20", reason="Goodwill",
        consequence=Refund.Consequence.RENEWAL_STANDS,
        consequence_reason="Member paid on time; the fee was reduced by the board", **details,
    )  # fmt: skip

    assert refund.consequence == Refund.Consequence.RENEWAL_STANDS
    assert Report.objects.get(pk=payment.invoice.report_id).status == Report.Status.APPROVED
    receipt = Notification.objects.get(key=f"refund_receipt:{refund.pk}")
    assert "certification stays renewed" in receipt.body_text


def test_a_full_refund_of_a_report_in_review_returns_it_to_payment_due(member, finance):
    payment = paid_by_check(member, finance)
    report = Report.objects.get(pk=payment.invoice.report_id)
    assert report.status == Report.Status.IN_REVIEW

    refunds.refund_request(
        payment=payment, actor=finance, amount="150", reason="Paid for the wrong member",
        check_number="5004", check_date=dt.date(2026, 11, 10),
        consequence=Refund.Consequence.PAYMENT_DUE,
    )  # fmt: skip

    report.refresh_from_db()
    assert report.status == Report.Status.PAYMENT_DUE
    live = invoices.live_recertification_invoice(report)
    assert live is not None and live.status == Invoice.Status.OPEN
    assert live.pk != payment.invoice_id


def test_a_large_refund_needs_a_second_finance_user(member, finance):
    FinanceSettings.objects.update_or_create(pk=1, defaults={"refund_approval_above": "100.00"})
    payment = paid_by_check(member, finance)
    other = FinanceFactory(username="fred.finance")

    refund = refunds.refund_request(
        payment=payment, actor=finance, amount="120", reason="Overpaid",
        check_number="5005", check_date=dt.date(2026, 11, 10),
    )  # fmt: skip
    assert refund.status == Refund.Status.REQUESTED
    assert not Notification.objects.filter(key__startswith="refund_receipt").exists()
    # Requested money is set aside: no second request can take it as well.
    assert refunds.refundable(payment) == Decimal("30.00")

    with pytest.raises(PermissionDenied, match="another"):
        refunds.refund_approve(refund=refund, actor=finance)
    refund = refunds.refund_approve(refund=refund, actor=other)

    assert refund.status == Refund.Status.REFUNDED
    assert (refund.requested_by, refund.approved_by) == (finance, other)
    assert Notification.objects.filter(key=f"refund_receipt:{refund.pk}").exists()


def test_a_partial_card_refund_goes_through_stripe(member, finance, stripe_on):
    invoice = InvoiceFactory(report__member=member)
    payment = card.payment_intent_for(invoice=invoice, member=member, payment_method="pm_card_visa")
    gateway.payment_intent_confirm(payment.stripe_payment_intent_id, idempotency_key="r")
    payment = settlement.payment_confirm_from_stripe(
        payment_intent_id=payment.stripe_payment_intent_id
    )

    refund = refunds.refund_request(payment=payment, actor=finance, amount="25.50", reason="Promo")

    assert refund.method == "card" and refund.stripe_refund_id.startswith("re_")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED


def test_the_refund_form_warns_about_an_approved_report(finance_client, member, finance):
    payment = paid_by_check(member, finance)
    Report.objects.filter(pk=payment.invoice.report_id).update(status=Report.Status.APPROVED)
    url = reverse("admin:payments_invoice_refund", args=[payment.invoice_id])

    page = finance_client.get(url)
    assert "is approved" in page.content.decode()
    refused = finance_client.post(
        url,
        {"payment": payment.pk, "amount": "10", "reason": "x", "refund_check_number": "9",
         "refund_check_date": "2026-11-10"},
    )  # fmt: skip
    assert refused.status_code == 200 and not Refund.objects.exists()
    done = finance_client.post(
        url,
        {"payment": payment.pk, "amount": "10", "reason": "x", "refund_check_number": "9",
         "refund_check_date": "2026-11-10", "consequence": "renewal_stands",
         "consequence_reason": "Board decision"},
    )  # fmt: skip
    assert done.status_code == 302
    assert Refund.objects.get().consequence == "renewal_stands"


def test_only_finance_can_refund_or_approve(member, finance):
    payment = paid_by_check(member, finance)
    reviewer = FinanceFactory.build()  # not saved, no permissions
    with pytest.raises(PermissionDenied):
        refunds.refund_request(payment=payment, actor=member, amount="1", reason="x")
    assert reviewer.pk is None
