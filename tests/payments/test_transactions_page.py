"""The Transactions page: My Invoices, the unpaid filter, invoice detail and the PDFs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from payments import checks, invoices, settlement
from tests.payments.factories import InvoiceFactory, ReportFactory, earlier_cycle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pages_rendered_afresh")]

URL = reverse("payments:transactions")


@pytest.fixture
def card_configured(settings):
    """Card payment offered (both Stripe keys set); these pages call nothing at Stripe."""
    settings.STRIPE_SECRET_KEY = "sk_test_pages"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_pages"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_it_lists_my_invoices_with_status_amount_due_date_and_a_pay_button(
    member_client, member, card_configured
):
    invoice = InvoiceFactory(report__member=member)

    response = member_client.get(URL)

    page = response.content.decode()
    assert "My Invoices" in page
    assert "Show only unpaid invoices" in page
    assert invoice.number in page
    assert "150.00 USD" in page
    assert "Unpaid" in page
    assert invoice.due_on.strftime("%m/%d/%Y") in page
    assert reverse("payments:pay", args=[invoice.number]) in page


def test_the_unpaid_checkbox_is_off_by_default_and_filters_when_ticked(
    member_client, member, staff
):
    unpaid = InvoiceFactory(report__member=member)
    settled = InvoiceFactory(report=ReportFactory(member=member, **earlier_cycle(1)))
    checks.payment_record_check(
        invoice=settled,
        number="1001",
        check_date=dt.date(2026, 11, 1),
        amount=settled.total,
        actor=staff,
    )

    everything = member_client.get(URL).content.decode()
    only_unpaid = member_client.get(URL, {"unpaid": "1"}).content.decode()

    assert 'id="id_unpaid" checked' not in everything
    assert unpaid.number in everything and settled.number in everything
    assert 'id="id_unpaid" checked' in only_unpaid
    assert unpaid.number in only_unpaid and settled.number not in only_unpaid


def test_it_shows_only_my_own_invoices(member_client, member, second_member):
    theirs = InvoiceFactory(report__member=second_member)

    page = member_client.get(URL).content.decode()

    assert theirs.number not in page
    assert "No invoices yet" in page


def test_the_page_takes_a_fixed_number_of_queries(
    member_client, member, card_configured, django_assert_max_num_queries
):
    for n in range(5):
        InvoiceFactory(report=ReportFactory(member=member, **earlier_cycle(n)))
    # 1 session, 2 user, 3 invoices (with the cancelled invoice they correct and the report, joined),
    # 4 the programs of the member's credentials for the profile menu (Extension, Reinstatement).
    with django_assert_max_num_queries(4):
        response = member_client.get(URL)
    # Each invoice has its Pay link twice: in the table and in the phone layout.
    assert response.content.decode().count('aria-label="Pay invoice') == 2 * 5


def test_paying_by_check_adds_one_query_for_the_addresses_and_none_once_cached(
    member_client, member, django_assert_num_queries
):
    for n in range(5):
        InvoiceFactory(report=ReportFactory(member=member, **earlier_cycle(n)))
    cache.clear()  # issuing an invoice emails it, and the email read (and cached) the addresses
    # 1 session, 2 user, 3 invoices, 4 the check addresses (all programs at once), 5 the programs
    # of the member's credentials for the profile menu (Extension, Reinstatement).
    with django_assert_num_queries(5):
        response = member_client.get(URL)
    with django_assert_num_queries(4):
        member_client.get(URL)
    page = response.content.decode()
    assert page.count('aria-label="Pay by check, invoice') == 2 * 5
    assert 'aria-label="Pay invoice' not in page


@time_machine.travel(dt.datetime(2026, 1, 20, 15, tzinfo=dt.UTC), tick=False)
def test_before_15_february_ipma_hr_invoices_say_when_they_become_payable(
    member_client, member, card_configured
):
    invoice = InvoiceFactory(report__member=member)  # cycle ends 12/31/2026

    page = member_client.get(URL).content.decode()

    assert "can be paid from <strong>02/15/2026</strong>" in page
    assert "Payable from 02/15/2026" in page
    assert reverse("payments:pay", args=[invoice.number]) not in page
    pay_page = member_client.get(reverse("payments:pay", args=[invoice.number])).content.decode()
    assert "can be paid from <strong>02/15/2026</strong>" in pay_page
    assert 'id="payment-form"' not in pay_page


@time_machine.travel(dt.datetime(2026, 2, 15, 15, tzinfo=dt.UTC), tick=False)
def test_from_15_february_the_pay_button_appears(member_client, member, card_configured):
    invoice = InvoiceFactory(report__member=member, today=dt.date(2026, 1, 20))

    page = member_client.get(URL).content.decode()

    assert reverse("payments:pay", args=[invoice.number]) in page


def test_invoice_detail_shows_lines_and_payments(member_client, member, staff):
    invoice = InvoiceFactory(report__member=member)
    checks.payment_record_check(
        invoice=invoice, number="5150", check_date=dt.date(2026, 11, 1), amount="150", actor=staff
    )

    page = member_client.get(invoice.get_absolute_url()).content.decode()

    assert "Recertification fee, IPMA-SCP" in page
    assert 'Check 5150 dated <span class="text-nowrap">11/01/2026</span>' in page
    assert "Confirmed" in page
    assert reverse("payments:receipt_pdf", args=[invoice.number]) in page


def test_a_cancelled_invoice_points_to_its_correction(member_client, member, staff):
    invoice = InvoiceFactory(report__member=member)
    correction = settlement.invoice_cancel(invoice=invoice, actor=staff, reason="Issued in error")

    page = member_client.get(invoice.get_absolute_url()).content.decode()
    listing = member_client.get(URL).content.decode()

    assert f'cancelled by correction invoice <a href="{correction.get_absolute_url()}">' in page
    assert "-150.00 USD" in listing
    assert "Correction" in listing


def test_the_member_downloads_the_invoice_pdf(member_client, member):
    invoice = InvoiceFactory(report__member=member)

    response = member_client.get(reverse("payments:invoice_pdf", args=[invoice.number]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="invoice-{invoice.number}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert invoice.number.encode() in response.content


def test_the_receipt_exists_only_once_paid(member_client, member, staff):
    invoice = InvoiceFactory(report__member=member)
    receipt_url = reverse("payments:receipt_pdf", args=[invoice.number])

    assert member_client.get(receipt_url).status_code == 404
    checks.payment_record_check(
        invoice=invoice,
        number="77",
        check_date=dt.date(2026, 11, 1),
        amount=Decimal("150.00"),
        actor=staff,
    )
    response = member_client.get(receipt_url)

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert b"Receipt" in response.content


def test_stripe_not_configured_the_pay_page_shows_how_to_pay_by_check(member_client, member):
    invoice = InvoiceFactory(report__member=member)

    response = member_client.get(reverse("payments:pay", args=[invoice.number]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Card payment is unavailable" in page
    assert "Pay by check" in page
    assert f"Write the invoice number <strong>{invoice.number}</strong>" in page
    assert "js.stripe.com" not in page


def test_stripe_not_configured_a_card_post_is_refused_politely(member_client, member):
    invoice = InvoiceFactory(report__member=member)

    response = member_client.post(
        reverse("payments:pay", args=[invoice.number]), {"setup_intent": "seti_x"}, follow=True
    )

    assert "Card payment is not available" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_the_pay_page_of_a_paid_invoice_goes_back_to_the_invoice(member_client, member, staff):
    invoice = InvoiceFactory(report__member=member)
    checks.payment_record_check(
        invoice=invoice, number="1", check_date=dt.date(2026, 11, 1), amount="150", actor=staff
    )

    response = member_client.get(reverse("payments:pay", args=[invoice.number]))

    assert response.status_code == 302
    assert response["Location"] == invoice.get_absolute_url()


def test_a_report_of_two_credentials_is_billed_once(member_client, member):
    from tests.factories import CredentialFactory

    start, end = dt.date(2023, 12, 2), dt.date(2026, 12, 1)
    both = [
        CredentialFactory(
            holder=member,
            program="namss",
            designation=d,
            certified_since=start,
            cycle_start=start,
            cycle_end=end,
        )
        for d in ("CPCS", "CPMSM")
    ]
    # Submitted before the deadline (the factory submits it now): no late fee.
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False):
        report = ReportFactory(member=member, program="namss", credentials=both)
        invoice = invoices.invoice_issue(report=report, today=dt.date(2026, 11, 20))

    assert invoice.lines.count() == 1
    assert "CPCS + CPMSM" in invoice.description
