"""How a member pays, in Chromium: the Pay button only when card payment works; otherwise the check
instructions with the payee and address finance set in the admin, or, before they are set, a plain
word on where the address will be and whom to ask. Keyboard, phone and axe-core included."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from payments.models import CheckAddress, Invoice
from tests.browser.support import (
    PHONE,
    admin_sign_in,
    check_accessible,
    layout_problems,
    noon,
    sign_in,
)
from tests.factories import UserFactory
from tests.payments.factories import InvoiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def card_off(settings):
    """Card payment not configured (no Stripe keys), whatever the environment says."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""


@pytest.fixture
def payer(db, clock):
    clock(noon(2026, 11, 20))
    member = UserFactory(
        username="pia.payer", email="pia@example.org", first_name="Pia", last_name="Payer"
    )
    return member, InvoiceFactory(report__member=member)


@pytest.fixture
def office(db):
    return CheckAddress.objects.create(
        payee="Certification Board Inc.", mailing_address="PO Box 4021\nAlexandria, VA 22314"
    )


def test_without_card_payment_the_member_is_shown_how_to_pay_by_check(
    page, live_server, card_off, payer, office, axe_source
):
    member, invoice = payer
    sign_in(page, live_server, member.username)
    page.goto(f"{live_server.url}/transactions/")

    main = page.get_by_role("main")
    expect(main.get_by_role("link", name=f"Pay invoice {invoice.number}")).to_have_count(0)
    expect(main.get_by_role("heading", name="Pay by check")).to_be_visible()
    expect(main.locator("address").first).to_have_text("PO Box 4021Alexandria, VA 22314")
    expect(main).to_contain_text("Make checks payable to Certification Board Inc.")
    problems: list[str] = []
    check_accessible(page, axe_source, problems)

    # By keyboard: the row's link goes to the invoice's check instructions.
    link = main.get_by_role("link", name=f"Pay by check, invoice {invoice.number}").first
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_role("heading", name="Pay by check")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("payable to Certification Board Inc.")
    expect(page.get_by_role("link", name="Pay 150.00 USD")).to_have_count(0)
    check_accessible(page, axe_source, problems)

    # The pay page itself (from an emailed link) is the check instructions, never a dead end.
    page.goto(f"{live_server.url}/transactions/invoices/{invoice.number}/pay/")
    expect(page.get_by_role("main")).to_contain_text("Card payment is unavailable")
    expect(page.get_by_role("main").locator("address")).to_contain_text("Alexandria, VA 22314")
    expect(page.locator("#payment-form")).to_have_count(0)
    check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)


def test_with_no_address_set_the_member_is_told_whom_to_ask(
    page, live_server, settings, card_off, payer
):
    settings.SUPPORT_EMAIL = "certification@board.example"
    member, invoice = payer
    sign_in(page, live_server, member.username)

    for path in ("/transactions/", f"/transactions/invoices/{invoice.number}/"):
        page.goto(f"{live_server.url}{path}")
        main = page.get_by_role("main")
        expect(main).to_contain_text("The address to mail your check to will be shown here")
        expect(
            main.get_by_role("link", name="certification@board.example").first
        ).to_have_attribute("href", "mailto:certification@board.example")
        expect(main.get_by_role("link", name=f"Pay invoice {invoice.number}")).to_have_count(0)


def test_with_card_payment_the_pay_button_leads_to_the_card_form(
    page, live_server, card_payments, payer, office
):
    member, invoice = payer
    sign_in(page, live_server, member.username)
    page.goto(f"{live_server.url}/transactions/")

    expect(page.get_by_role("heading", name="Pay by check")).to_have_count(0)
    page.get_by_role("link", name=f"Pay invoice {invoice.number}").first.click()

    expect(page.get_by_role("heading", name=f"Pay invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_role("button", name="Pay 150.00 USD")).to_be_visible()
    page.get_by_text("Prefer to pay by check?").click()
    expect(page.get_by_role("main").locator("address")).to_contain_text("PO Box 4021")


def test_the_check_instructions_fit_a_phone(new_context, live_server, card_off, payer, office):
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    member, invoice = payer
    sign_in(phone, live_server, member.username)
    problems: list[str] = []
    for path in (
        "/transactions/",
        f"/transactions/invoices/{invoice.number}/",
        f"/transactions/invoices/{invoice.number}/pay/",
    ):
        phone.goto(f"{live_server.url}{path}")
        expect(phone.get_by_role("main")).to_contain_text("Alexandria, VA 22314")
        problems += layout_problems(phone)
    assert not problems, "\n".join(problems)


def test_finance_sets_the_address_in_the_admin_and_the_member_sees_it(
    page, live_server, card_off, payer
):
    from tests.browser.conftest import staff_in

    member, invoice = payer
    staff_in("Finance", username="fran.finance", email="fran@example.org")
    admin_sign_in(page, live_server, "fran.finance")
    page.goto(f"{live_server.url}/admin/payments/checkaddress/add/")
    page.get_by_label("Make checks payable to").fill("Certification Board Inc.")
    page.get_by_label("Mail checks to").fill("PO Box 4021")
    page.get_by_label("Reason").fill("From the finance office")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("at least two lines")
    page.get_by_label("Mail checks to").fill("PO Box 4021\nAlexandria, VA 22314")
    page.get_by_label("Reason").fill("From the finance office")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.context.clear_cookies()
    sign_in(page, live_server, member.username)
    page.goto(f"{live_server.url}/transactions/invoices/{invoice.number}/")
    expect(page.get_by_role("main").locator("address").last).to_have_text(
        "PO Box 4021Alexandria, VA 22314"
    )


def test_a_member_withdraws_an_extension_before_paying_and_nothing_is_left_to_pay(
    page, live_server, card_off, clock, axe_source
):
    from lifecycle.extensions import extension_request
    from tests.factories import CredentialFactory, report_for
    from tests.lifecycle.conftest import namss_credits

    clock(noon(2026, 11, 2))
    member = UserFactory(username="nia.namss", first_name="Nia", last_name="Namss")
    credential = CredentialFactory(
        holder=member,
        program="namss",
        designation="CPCS",
        certified_since=dt.date(2023, 12, 2),
        cycle_start=dt.date(2023, 12, 2),
        cycle_end=dt.date(2026, 12, 1),
    )
    report = report_for(credential)
    namss_credits(report, credits="15")
    extension = extension_request(report=report, member=member, today=dt.date(2026, 11, 2))
    fee = Invoice.objects.get(pk=extension.invoice_ref)

    sign_in(page, live_server, member.username)
    page.goto(f"{live_server.url}/profile/extension/")
    problems: list[str] = []
    check_accessible(page, axe_source, problems)
    button = page.get_by_role("button", name="Withdraw the extension request")
    button.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("main").get_by_role("status").first).to_contain_text(
        f"Your extension request is withdrawn. Invoice {fee.number} is cancelled"
    )
    check_accessible(page, axe_source, problems)
    page.goto(f"{live_server.url}/transactions/")
    table = page.get_by_role("table", name="My Invoices")
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=fee.number))
    expect(row).to_contain_text("Cancelled")
    expect(
        table.get_by_role("row").filter(has_text=f"Cancels invoice {fee.number}")
    ).to_contain_text("Correction")
    expect(page.get_by_role("heading", name="Pay by check")).to_have_count(0)
    expect(page.get_by_role("link", name=f"Pay by check, invoice {fee.number}")).to_have_count(0)
    assert not problems, "\n".join(problems)
