"""A member pays in Chromium with localstripe's Stripe.js stand-in, under the portal's CSP."""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect

from payments.models import Invoice
from tests.factories import PASSWORD, UserFactory
from tests.payments.factories import InvoiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def csp_for_localstripe(settings, stripe_on):
    """What settings.py derives from STRIPE_JS_URL and STRIPE_API_BASE at start-up."""
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["script-src"].append(stripe_on)
    policy["DIRECTIVES"]["connect-src"].append(stripe_on)
    settings.CONTENT_SECURITY_POLICY = policy
    return stripe_on


@pytest.fixture
def payer(db):
    return UserFactory(
        username="pia.payer", email="pia@example.org", first_name="Pia", last_name="Payer"
    )


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def enter_card(page, number: str):
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("62701")
    page.get_by_role("button", name="Pay 150.00 USD").click()


def test_a_member_is_declined_then_pays_by_card(page, live_server, csp_for_localstripe, payer):
    invoice = InvoiceFactory(report__member=payer)
    csp_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_errors.append(m.text))
    sign_in(page, live_server, "pia.payer")

    page.goto(f"{live_server.url}/transactions/")
    expect(page.get_by_role("heading", name="My Invoices")).to_be_visible()
    page.get_by_role("link", name=f"Pay invoice {invoice.number}").click()
    enter_card(page, "4000000000000341")

    expect(page.get_by_role("alert").first).to_contain_text("Your card was declined.")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.OPEN

    enter_card(page, "4242424242424242")

    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_text("Thank you: your payment of 150.00 USD")).to_be_visible()
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
    assert csp_errors == []


def test_a_member_completes_3d_secure(page, live_server, csp_for_localstripe, payer):
    invoice = InvoiceFactory(report__member=payer)
    sign_in(page, live_server, "pia.payer")
    page.goto(f"{live_server.url}/transactions/invoices/{invoice.number}/pay/")

    enter_card(page, "4000002500003155")
    # The stand-in asks once for the card set-up and once for the payment.
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_text("Thank you: your payment of 150.00 USD")).to_be_visible()
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
