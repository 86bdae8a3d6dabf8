"""Card payment against localstripe as a real server: the pay page, declines, 3D Secure, outages."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from core.models import AuditLog
from payments import card, settlement
from payments import stripe_gateway as gateway
from payments.models import Invoice, Payment, StripeCustomer
from recertification.models import Report
from tests.payments.conftest import authenticate_payment, collect_card
from tests.payments.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

VISA = "4242424242424242"
DECLINED_AT_CHARGE = "4000000000000341"
THREE_D_SECURE = "4000002500003155"


def client_secret_of(page: str) -> str:
    match = re.search(r'data-client-secret="([^"]+)"', page)
    assert match, "the pay page has no card form"
    return match.group(1)


def pay_with(client, base, invoice, number, follow=True):
    """Open the pay page, enter the card as Stripe.js would, and submit the form."""
    url = reverse("payments:pay", args=[invoice.number])
    page = client.get(url).content.decode()
    setup = collect_card(base, client_secret_of(page), number)
    assert setup["status"] == "succeeded"
    return client.post(url, {"setup_intent": setup["id"]}, follow=follow)


def test_the_pay_page_loads_stripe_js_and_a_card_form(member_client, member, stripe_on):
    invoice = InvoiceFactory(report__member=member)

    page = member_client.get(reverse("payments:pay", args=[invoice.number])).content.decode()

    assert f'<script src="{stripe_on}/js.stripe.com/v3/">' in page
    assert "/static/js/payment.js" in page
    assert 'data-publishable-key="pk_test_' in page
    assert client_secret_of(page).startswith("seti_")
    assert StripeCustomer.objects.get(member=member).customer_id.startswith("cus_")


def test_a_card_payment_pays_the_invoice_once_and_sends_the_receipt(
    member_client, member, stripe_on, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(report__member=member)

    with django_capture_on_commit_callbacks(execute=True):
        response = pay_with(member_client, stripe_on, invoice, VISA)

    assert response.redirect_chain[-1][0] == invoice.get_absolute_url()
    assert "Thank you: your payment of 150.00 USD" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    payment = Payment.objects.get(invoice=invoice, status=Payment.Status.CONFIRMED)
    assert payment.method == Payment.Method.CARD
    assert payment.stripe_payment_intent_id.startswith("pi_")
    intent = gateway.payment_intent_retrieve(payment.stripe_payment_intent_id)
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 15000, "USD")
    assert intent.metadata["invoice"] == invoice.number
    assert invoice.report.__class__.objects.get(pk=invoice.report_id).status == (
        Report.Status.IN_REVIEW
    )
    assert len(mail.outbox) == 1
    receipt = mail.outbox[0]
    assert receipt.to == [member.email]
    assert invoice.number in receipt.subject
    assert receipt.attachments[0][0] == f"receipt-{invoice.number}.pdf"
    assert receipt.alternatives[0][1] == "text/html"
    actions = set(
        AuditLog.objects.filter(object_type="payments.payment").values_list("action", flat=True)
    )
    assert {"created", "confirmed"} <= actions


def test_the_return_page_asks_stripe_and_changes_nothing_the_second_time(
    member_client, member, stripe_on, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(report__member=member)
    with django_capture_on_commit_callbacks(execute=True):
        pay_with(member_client, stripe_on, invoice, VISA)
    payment = Payment.objects.get(invoice=invoice)
    url = reverse("payments:pay_return", args=[invoice.number])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = member_client.get(url, {"payment_intent": payment.stripe_payment_intent_id})

    assert response.status_code == 302
    assert Payment.objects.filter(invoice=invoice, status="confirmed").count() == 1
    assert callbacks == []
    assert len(mail.outbox) == 1


def test_a_declined_card_shows_why_and_the_member_can_try_again(member_client, member, stripe_on):
    invoice = InvoiceFactory(report__member=member)

    response = pay_with(member_client, stripe_on, invoice, DECLINED_AT_CHARGE)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("payments:pay", args=[invoice.number])
    assert "Your card was declined." in page
    assert "your invoice is still open" in page
    assert 'id="payment-form"' in page  # a fresh card form to try again
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    failed = Payment.objects.get(invoice=invoice)
    assert (failed.status, failed.failure_message) == ("failed", "Your card was declined.")
    assert mail.outbox == []

    response = pay_with(member_client, stripe_on, invoice, VISA)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert list(invoice.payments.values_list("attempt", "status")) == [
        (1, "failed"),
        (2, "confirmed"),
    ]


def test_the_declined_test_payment_method_is_refused_at_charge_time(member, stripe_on):
    invoice = InvoiceFactory(report__member=member)
    payment = card.payment_intent_for(
        invoice=invoice, member=member, payment_method="pm_card_chargeCustomerFail"
    )

    with pytest.raises(gateway.CardDeclined) as declined:
        gateway.payment_intent_confirm(payment.stripe_payment_intent_id, idempotency_key="x1")

    assert declined.value.code == "card_declined"
    assert (
        settlement.payment_confirm_from_stripe(
            payment_intent_id=payment.stripe_payment_intent_id
        ).status
        == Payment.Status.FAILED
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN


def test_a_card_that_needs_3d_secure_is_confirmed_through_the_return_page(
    member_client, member, stripe_on
):
    invoice = InvoiceFactory(report__member=member)

    response = pay_with(member_client, stripe_on, invoice, THREE_D_SECURE, follow=False)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your bank asks you to confirm this payment" in page
    secret = re.search(r'data-client-secret="([^"]+)"', page).group(1)
    return_url = re.search(r'data-return-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    payment = Payment.objects.get(invoice=invoice)
    assert payment.status == Payment.Status.PENDING
    # Until the bank answers, the invoice stays open whatever the browser says.
    assert member_client.get(return_url).status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN

    authenticate_payment(stripe_on, secret, success=True)
    response = member_client.get(return_url, follow=True)

    assert "Thank you" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_a_failed_3d_secure_leaves_the_invoice_open(member_client, member, stripe_on):
    invoice = InvoiceFactory(report__member=member)
    page = pay_with(member_client, stripe_on, invoice, THREE_D_SECURE, follow=False)
    html = page.content.decode()
    secret = re.search(r'data-client-secret="([^"]+)"', html).group(1)
    return_url = re.search(r'data-return-url="([^"]+)"', html).group(1).replace("&amp;", "&")

    authenticate_payment(stripe_on, secret, success=False)
    response = member_client.get(return_url, follow=True)

    assert "try again" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert Payment.objects.get(invoice=invoice).status == Payment.Status.FAILED


def test_an_abandoned_3d_secure_attempt_is_cancelled_before_the_next_one(
    member_client, member, stripe_on
):
    invoice = InvoiceFactory(report__member=member)
    pay_with(member_client, stripe_on, invoice, THREE_D_SECURE, follow=False)
    abandoned = Payment.objects.get(invoice=invoice)

    pay_with(member_client, stripe_on, invoice, VISA)

    abandoned.refresh_from_db()
    assert abandoned.status == Payment.Status.CANCELED
    assert gateway.payment_intent_retrieve(abandoned.stripe_payment_intent_id).status == "canceled"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_a_setup_intent_for_another_invoice_is_refused(member_client, member, stripe_on):
    from tests.payments.factories import ReportFactory, earlier_cycle

    first = InvoiceFactory(report__member=member)
    second = InvoiceFactory(report=ReportFactory(member=member, **earlier_cycle(1)))
    page = member_client.get(reverse("payments:pay", args=[first.number])).content.decode()
    setup = collect_card(stripe_on, client_secret_of(page), VISA)

    response = member_client.post(
        reverse("payments:pay", args=[second.number]), {"setup_intent": setup["id"]}, follow=True
    )

    assert "We could not read your card details" in response.content.decode()
    assert not Payment.objects.exists()


def test_stripe_unreachable_the_member_sees_a_clear_message(
    member_client, member, stripe_unreachable
):
    invoice = InvoiceFactory(report__member=member)
    url = reverse("payments:pay", args=[invoice.number])

    page = member_client.get(url).content.decode()
    posted = member_client.post(url, {"setup_intent": "seti_123"}, follow=True).content.decode()

    for html in (page, posted):
        assert "could not reach our card processor" in html
        assert "invoice is still open" in html
    assert "Pay by check" in page
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert not Payment.objects.exists()


def test_a_member_whose_stored_customer_is_gone_gets_a_new_one(member_client, member, stripe_on):
    StripeCustomer.objects.create(member=member, customer_id="cus_from_another_account")
    invoice = InvoiceFactory(report__member=member)

    pay_with(member_client, stripe_on, invoice, VISA)

    assert StripeCustomer.objects.get(member=member).customer_id != "cus_from_another_account"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_reloading_the_pay_page_reuses_one_setup_intent(member_client, member, stripe_on):
    """Thirty loads of the pay page made thirty SetupIntents at Stripe: one per invoice now, while
    it can still collect a card."""
    invoice = InvoiceFactory(report__member=member)
    url = reverse("payments:pay", args=[invoice.number])
    secrets = {client_secret_of(member_client.get(url).content.decode()) for _ in range(4)}
    assert len(secrets) == 1


def test_after_a_declined_card_the_pay_page_offers_a_fresh_setup_intent(
    member_client, member, stripe_on
):
    invoice = InvoiceFactory(report__member=member)
    url = reverse("payments:pay", args=[invoice.number])
    first = client_secret_of(member_client.get(url).content.decode())
    setup = collect_card(stripe_on, first, DECLINED_AT_CHARGE)
    member_client.post(url, {"setup_intent": setup["id"]}, follow=True)
    again = client_secret_of(member_client.get(url).content.decode())
    assert again != first  # the first one has collected its card already
