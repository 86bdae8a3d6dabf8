"""Staff in the admin: check payments, cancellations, refunds (card through Stripe), no deletes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog
from payments import card, checks, invoices, refunds, settlement
from payments import stripe_gateway as gateway
from payments.models import Invoice, Payment, StripeEvent
from recertification.models import Report
from tests.factories import StaffFactory
from tests.payments.factories import InvoiceFactory, ReportFactory, earlier_cycle

pytestmark = pytest.mark.django_db


def submitted(day: dt.date):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def late_namss_invoice(member):
    report = ReportFactory(
        member=member, program="namss", submitted_at=submitted(dt.date(2026, 12, 5))
    )
    return invoices.invoice_issue(report=report, today=dt.date(2026, 12, 5))


def test_staff_record_a_check_and_the_invoice_is_paid(
    finance_client, member, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(report__member=member)
    url = reverse("admin:payments_invoice_record_check", args=[invoice.pk])

    assert finance_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_client.post(
            url,
            {
                "check_number": "10452",
                "check_date": "2026-11-02",
                "amount": "150.00",
                "received_on": "2026-11-05",
            },
        )

    assert response.status_code == 302
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.method, payment.status, payment.check_number) == ("check", "confirmed", "10452")
    assert payment.check_date == dt.date(2026, 11, 2)
    assert payment.received_on == dt.date(2026, 11, 5)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Report.objects.get(pk=invoice.report_id).status == Report.Status.IN_REVIEW
    assert len(mail.outbox) == 1
    assert AuditLog.objects.filter(object_type="payments.payment", action="check_recorded").exists()


def test_a_check_for_the_wrong_amount_is_refused_with_a_reason(finance_client, member):
    invoice = InvoiceFactory(report__member=member)

    response = finance_client.post(
        reverse("admin:payments_invoice_record_check", args=[invoice.pk]),
        {
            "check_number": "1",
            "check_date": "2026-11-02",
            "amount": "100.00",
            "received_on": "2026-11-05",
        },
    )

    assert response.status_code == 200
    assert "Record a check only for the full amount" in response.content.decode()
    assert not Payment.objects.exists()


def test_the_payments_list_add_button_records_a_check_by_invoice_number(finance_client, member):
    invoice = InvoiceFactory(report__member=member)

    response = finance_client.post(
        reverse("admin:payments_payment_add"),
        {
            "invoice_number": invoice.number.lower(),
            "check_number": "77",
            "check_date": "2026-11-02",
            "amount": "150",
            "received_on": "2026-11-05",
        },
    )

    assert response.status_code == 302
    assert Payment.objects.get().invoice == invoice


def test_namss_a_check_dated_on_time_waives_the_late_fee(late_namss_invoice, finance):
    invoice = late_namss_invoice
    late = invoice.lines.get(fee_code="late").amount
    assert invoice.on_time_until == dt.date(2026, 12, 1)

    payment = checks.payment_record_check(
        invoice=invoice,
        number="2001",
        check_date=dt.date(2026, 12, 1),
        amount=invoice.total - late,
        actor=finance,
    )

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    correction = invoice.cancelled_by.get()
    assert correction.total == -invoice.total
    replacement = payment.invoice
    assert replacement not in (invoice, correction)
    assert [line.fee_code for line in replacement.lines.all()] == ["recertification"]
    assert replacement.status == Invoice.Status.PAID
    assert payment.is_on_time is True
    assert "late fee waived" in replacement.reason


def test_namss_a_check_dated_after_the_deadline_must_include_the_late_fee(
    late_namss_invoice, finance
):
    invoice = late_namss_invoice
    late = invoice.lines.get(fee_code="late").amount

    with pytest.raises(invoices.PaymentError):
        checks.payment_record_check(
            invoice=invoice,
            number="2002",
            check_date=dt.date(2026, 12, 2),
            amount=invoice.total - late,
            actor=finance,
        )
    payment = checks.payment_record_check(
        invoice=invoice,
        number="2002",
        check_date=dt.date(2026, 12, 2),
        amount=invoice.total,
        actor=finance,
    )
    assert payment.is_on_time is False


def test_refunding_a_check_is_recorded_and_issues_the_cancelling_invoice(
    finance_client, finance, member
):
    invoice = InvoiceFactory(report__member=member)
    payment = checks.payment_record_check(
        invoice=invoice, number="3", check_date=dt.date(2026, 11, 1), amount="150", actor=finance
    )

    response = finance_client.post(
        reverse("admin:payments_invoice_refund", args=[invoice.pk]),
        {
            "payment": payment.pk,
            "amount": "150.00",
            "reason": "Paid twice by mistake",
            "refund_check_number": "9001",
            "refund_check_date": "2026-11-20",
        },
    )

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refund_reason == "Paid twice by mistake"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    correction = invoice.cancelled_by.get()
    assert (correction.kind, correction.total) == ("correction", Decimal("-150.00"))
    assert correction.reason == "Refund: Paid twice by mistake"


def test_refunding_a_card_payment_goes_through_stripe(member, finance, stripe_on):
    invoice = InvoiceFactory(report__member=member)
    payment = card.payment_intent_for(invoice=invoice, member=member, payment_method="pm_card_visa")
    gateway.payment_intent_confirm(payment.stripe_payment_intent_id, idempotency_key="r")
    payment = settlement.payment_confirm_from_stripe(
        payment_intent_id=payment.stripe_payment_intent_id
    )
    assert payment.status == Payment.Status.CONFIRMED

    correction = refunds.payment_refund(payment=payment, actor=finance, reason="Duplicate report")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.stripe_refund_id.startswith("re_")
    assert correction.cancels == invoice
    # A replayed success event afterwards changes nothing.
    assert (
        settlement.payment_confirm_from_stripe(
            payment_intent_id=payment.stripe_payment_intent_id
        ).status
        == Payment.Status.REFUNDED
    )


def test_only_finance_can_refund(client, member, finance):
    invoice = InvoiceFactory(report__member=member)
    payment = checks.payment_record_check(
        invoice=invoice, number="4", check_date=dt.date(2026, 11, 1), amount="150", actor=finance
    )
    reviewer = StaffFactory(username="rita.reviewer")
    reviewer.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(reviewer)

    response = client.post(
        reverse("admin:payments_invoice_refund", args=[invoice.pk]),
        {"payment": payment.pk, "reason": "x"},
    )

    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        refunds.payment_refund(payment=payment, actor=reviewer, reason="x")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED


def test_staff_cancel_an_invoice_with_a_reason(finance_client, member):
    invoice = InvoiceFactory(report__member=member)
    url = reverse("admin:payments_invoice_cancel", args=[invoice.pk])

    refused = finance_client.post(url, {"reason": ""})
    response = finance_client.post(url, {"reason": "Submitted under the wrong credential"})

    assert refused.status_code == 200
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    assert invoice.cancelled_by.get().reason == "Submitted under the wrong credential"


def test_a_paid_invoice_cannot_be_cancelled_only_refunded(finance, member):
    invoice = InvoiceFactory(report__member=member)
    checks.payment_record_check(
        invoice=invoice, number="5", check_date=dt.date(2026, 11, 1), amount="150", actor=finance
    )

    with pytest.raises(invoices.PaymentError, match="refund"):
        settlement.invoice_cancel(invoice=invoice, actor=finance, reason="x")


def test_invoice_numbers_are_never_reused(finance, member):
    numbers = []
    for _ in range(3):
        invoice = InvoiceFactory(
            report=ReportFactory(member=member, **earlier_cycle(len(numbers) // 2))
        )
        correction = settlement.invoice_cancel(invoice=invoice, actor=finance, reason="test")
        numbers += [invoice.number, correction.number]

    assert len(set(numbers)) == len(numbers) == 6
    assert numbers == [f"RC-{n:05d}" for n in range(1, 7)]
    assert Invoice.objects.count() == 6


def test_the_admin_cannot_delete_or_edit_invoices_and_payments(rf, staff):
    request = rf.get("/")
    request.user = staff
    for model in (Invoice, Payment, StripeEvent):
        model_admin = site._registry[model]
        assert not model_admin.has_delete_permission(request)
        assert not model_admin.has_change_permission(request)
        assert "delete_selected" not in model_admin.get_actions(request)


def test_the_invoice_admin_lists_searches_and_shows_pdf_links(admin_client, member):
    invoice = InvoiceFactory(report__member=member)

    listing = admin_client.get(
        reverse("admin:payments_invoice_changelist"), {"q": member.member_number}
    )
    page = admin_client.get(reverse("admin:payments_invoice_change", args=[invoice.pk]))
    pdf = admin_client.get(reverse("admin:payments_invoice_pdf", args=[invoice.pk]))

    assert invoice.number in listing.content.decode()
    assert (
        reverse("admin:payments_invoice_record_check", args=[invoice.pk]) in page.content.decode()
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_record_check_action_opens_the_form_for_one_invoice(admin_client, member):
    invoice = InvoiceFactory(report__member=member)

    response = admin_client.post(
        reverse("admin:payments_invoice_changelist"),
        {"action": "record_check_payment", "_selected_action": [invoice.pk]},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:payments_invoice_record_check", args=[invoice.pk])


def test_failed_stripe_events_can_be_processed_again_from_the_admin(admin_client, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    row = StripeEvent.objects.create(
        event_id="evt_1",
        type="invoice.paid",
        status=StripeEvent.Status.FAILED,
        payload={"id": "evt_1", "type": "invoice.paid", "data": {"object": {"id": "in_1"}}},
    )

    admin_client.post(
        reverse("admin:payments_stripeevent_changelist"),
        {"action": "process_again", "_selected_action": [row.pk]},
    )

    row.refresh_from_db()
    assert row.status == StripeEvent.Status.IGNORED
