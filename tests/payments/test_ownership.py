"""A member can never see, download or pay another member's invoice: 404, not 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from payments import checks
from tests.payments.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def their_invoice(second_member, staff):
    invoice = InvoiceFactory(report__member=second_member)
    checks.payment_record_check(
        invoice=invoice, number="9", check_date=dt.date(2026, 11, 1), amount="150", actor=staff
    )
    return invoice


@pytest.mark.parametrize(
    "name", ["payments:invoice", "payments:invoice_pdf", "payments:receipt_pdf", "payments:pay"]
)
def test_another_members_invoice_is_not_found(member_client, their_invoice, name):
    response = member_client.get(reverse(name, args=[their_invoice.number]))

    assert response.status_code == 404


def test_another_members_invoice_cannot_be_paid(member_client, second_member):
    invoice = InvoiceFactory(report__member=second_member)

    response = member_client.post(
        reverse("payments:pay", args=[invoice.number]), {"setup_intent": "seti_123"}
    )

    assert response.status_code == 404


def test_the_return_page_of_another_members_invoice_is_not_found(member_client, their_invoice):
    url = reverse("payments:pay_return", args=[their_invoice.number])

    assert member_client.get(url, {"payment_intent": "pi_123"}).status_code == 404


def test_the_return_page_refuses_a_payment_intent_that_is_not_of_this_invoice(
    member_client, member
):
    invoice = InvoiceFactory(report__member=member)
    url = reverse("payments:pay_return", args=[invoice.number])

    assert member_client.get(url, {"payment_intent": "pi_someone_else"}).status_code == 404


@pytest.mark.parametrize(
    "name", ["payments:invoice", "payments:invoice_pdf", "payments:receipt_pdf", "payments:pay"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, their_invoice, name):
    response = client.get(reverse(name, args=[their_invoice.number]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
