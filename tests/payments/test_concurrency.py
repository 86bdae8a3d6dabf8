"""Races on PostgreSQL, where row locks mean something: one invoice, one payment, whatever happens.

Each thread uses its own database connection and closes it; the test database is transactional
so the threads see each other's commits.
"""

from __future__ import annotations

import json
import threading

import pytest
import stripe
from django.test import Client

from core.models import AuditLog
from payments import card, invoices, settlement
from payments import stripe_gateway as gateway
from payments.models import Invoice, InvoiceCounter, Payment, StripeEvent
from recertification.models import Report
from tests.concurrency import postgres_only, run_together
from tests.factories import UserFactory
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.factories import InvoiceFactory, ReportFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    postgres_only,
]


def test_simultaneous_submissions_give_one_invoice():
    report = ReportFactory()

    results = run_together(
        lambda: invoices.invoice_issue(report=Report.objects.get(pk=report.pk)), 4
    )

    assert all(isinstance(r, Invoice) for r in results), results
    assert {r.pk for r in results} == {Invoice.objects.get().pk}
    assert InvoiceCounter.objects.get().last_number == 1
    assert AuditLog.objects.filter(object_type="payments.invoice", action="issued").count() == 1


def test_simultaneous_invoices_for_different_reports_get_different_numbers():
    reports = [ReportFactory() for _ in range(4)]
    queue = list(reports)
    lock = threading.Lock()

    def issue():
        with lock:
            report = queue.pop()
        return invoices.invoice_issue(report=report)

    results = run_together(issue, 4)

    assert all(isinstance(r, Invoice) for r in results), results
    assert sorted(r.number for r in results) == ["RC-00001", "RC-00002", "RC-00003", "RC-00004"]


@pytest.fixture
def succeeded_payment(stripe_on):
    member = UserFactory()
    invoice = InvoiceFactory(report__member=member)
    payment = card.payment_intent_for(invoice=invoice, member=member, payment_method="pm_card_visa")
    gateway.payment_intent_confirm(payment.stripe_payment_intent_id, idempotency_key="race")
    return payment


def test_simultaneous_confirmations_of_one_payment_intent_give_one_payment(succeeded_payment):
    pi = succeeded_payment.stripe_payment_intent_id

    results = run_together(lambda: settlement.payment_confirm_from_stripe(payment_intent_id=pi), 4)

    assert all(isinstance(r, Payment) for r in results), results
    assert Payment.objects.filter(status=Payment.Status.CONFIRMED).count() == 1
    assert AuditLog.objects.filter(object_type="payments.invoice", action="paid").count() == 1
    assert Invoice.objects.get().status == Invoice.Status.PAID


def test_simultaneous_webhook_deliveries_give_one_payment(succeeded_payment):
    body = json.dumps(
        {
            "id": "evt_delivered_twice",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": succeeded_payment.stripe_payment_intent_id}},
        }
    )

    def deliver():
        header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
        return (
            Client()
            .post(
                "/payments/stripe/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
            .status_code
        )

    assert run_together(deliver, 4) == [200, 200, 200, 200]
    assert Payment.objects.filter(status=Payment.Status.CONFIRMED).count() == 1
    event = StripeEvent.objects.get()
    assert (event.status, event.attempts) == (StripeEvent.Status.PROCESSED, 1)


def test_a_double_click_on_pay_creates_one_payment_intent(stripe_on):
    member = UserFactory()
    invoice = InvoiceFactory(report__member=member)

    results = run_together(
        lambda: card.payment_intent_for(
            invoice=Invoice.objects.get(pk=invoice.pk), member=member, payment_method="pm_card_visa"
        ),
        3,
    )

    assert all(isinstance(r, Payment) for r in results), results
    assert Payment.objects.count() == 1
