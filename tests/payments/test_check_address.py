"""Paying by check: staff set the payee and the mailing address in the admin (per program, or one
for every program); Transactions, the invoice page, its PDF and the pay page print them; the Pay
button shows only when card payment works, and nothing ever points at a route that is not there."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import AuditLog
from payments.models import CheckAddress
from tests.payments.factories import InvoiceFactory, ReportFactory
from tests.staff_personas import staff_in

pytestmark = pytest.mark.django_db

TRANSACTIONS = reverse("payments:transactions")
ADD = reverse("admin:payments_checkaddress_add")
OFFICE = "PO Box 4021\nAlexandria, VA 22314"


def card_configured(settings) -> None:
    """Both Stripe keys set: what stripe_gateway.is_configured() asks (these pages call nothing)."""
    settings.STRIPE_SECRET_KEY = "sk_test_pages"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_pages"


def pdf_text(pdf: bytes) -> str:
    """The page content streams (reportlab writes them ASCII85 + Flate encoded)."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = match.group(1).strip()
        if data.endswith(b"~>"):
            data = zlib.decompress(base64.a85decode(data, adobe=True))
        chunks.append(data.decode("latin-1"))
    return "\n".join(chunks)


@pytest.fixture
def office(db):
    return CheckAddress.objects.create(
        program="", payee="Certification Board Inc.", mailing_address=OFFICE
    )


@pytest.fixture
def invoice(member):
    return InvoiceFactory(report__member=member)


def pay_url(invoice) -> str:
    return reverse("payments:pay", args=[invoice.number])


# --- the Pay button only where card payment works ------------------------------------------


def test_without_card_payment_transactions_has_no_pay_button_and_shows_the_check_address(
    member_client, invoice, office
):
    page = member_client.get(TRANSACTIONS).content.decode()

    assert pay_url(invoice) not in page
    assert 'aria-label="Pay invoice' not in page
    assert "Make checks payable to <strong>Certification Board Inc.</strong>" in page
    assert "PO Box 4021<br>Alexandria, VA 22314" in page
    assert f'href="{invoice.get_absolute_url()}#pay-by-check"' in page
    assert f"Write the invoice number on your check: <strong>{invoice.number}</strong>" in page


def test_with_card_payment_transactions_has_the_pay_button(
    settings, member_client, invoice, office
):
    card_configured(settings)

    page = member_client.get(TRANSACTIONS).content.decode()

    assert page.count(f'href="{pay_url(invoice)}"') == 2  # the table and the phone layout
    assert "Make checks payable to" not in page


def test_without_card_payment_the_invoice_page_shows_the_check_instructions(
    member_client, invoice, office
):
    page = member_client.get(invoice.get_absolute_url()).content.decode()

    assert pay_url(invoice) not in page
    assert 'id="pay-by-check"' in page
    assert "payable to <strong>Certification Board Inc.</strong>" in page
    assert "PO Box 4021<br>Alexandria, VA 22314" in page
    assert f"Write the invoice number <strong>{invoice.number}</strong>" in page


def test_with_card_payment_the_invoice_page_has_the_pay_button_and_the_check_address(
    settings, member_client, invoice, office
):
    card_configured(settings)

    page = member_client.get(invoice.get_absolute_url()).content.decode()

    assert f'href="{pay_url(invoice)}"' in page
    assert "Prefer to pay by check?" in page
    assert "PO Box 4021<br>Alexandria, VA 22314" in page


def test_the_pay_page_without_card_payment_shows_the_address(member_client, invoice, office):
    page = member_client.get(pay_url(invoice)).content.decode()

    assert "Card payment is unavailable" in page
    assert 'id="payment-form"' not in page
    assert "payable to <strong>Certification Board Inc.</strong>" in page
    assert "PO Box 4021<br>Alexandria, VA 22314" in page


def test_a_paid_invoice_shows_no_way_to_pay(member_client, invoice, office, staff):
    from payments import checks

    checks.payment_record_check(
        invoice=invoice, number="8", check_date=dt.date(2026, 11, 1), amount="150", actor=staff
    )

    listing = member_client.get(TRANSACTIONS).content.decode()
    page = member_client.get(invoice.get_absolute_url()).content.decode()

    for html in (listing, page):
        assert pay_url(invoice) not in html
        assert "PO Box 4021" not in html


# --- no address yet: say so, and whom to ask -------------------------------------------------


@pytest.mark.parametrize("where", ["transactions", "invoice", "pay"])
def test_with_no_address_set_the_pages_say_it_will_be_shown_and_whom_to_contact(
    settings, member_client, invoice, where
):
    settings.SUPPORT_EMAIL = "certification@board.example"
    url = {
        "transactions": TRANSACTIONS,
        "invoice": invoice.get_absolute_url(),
        "pay": pay_url(invoice),
    }[where]

    page = member_client.get(url).content.decode()

    assert "The address to mail your check to will be shown here" in page
    assert '<a href="mailto:certification@board.example">certification@board.example</a>' in page
    assert pay_url(invoice) not in page or where == "pay"
    assert "Mail it to" not in page and "payable to <strong>" not in page


# --- the PDF ---------------------------------------------------------------------------------


def test_the_invoice_pdf_prints_the_payee_and_the_address(member_client, invoice, office):
    pdf = member_client.get(reverse("payments:invoice_pdf", args=[invoice.number])).content

    text = pdf_text(pdf)
    assert "Make checks payable to: Certification Board Inc." in text
    assert "PO Box 4021" in text and "Alexandria, VA 22314" in text
    assert "by card" not in text  # card payment is not configured here


def test_the_invoice_pdf_mentions_card_payment_only_when_it_works(
    settings, member_client, invoice, office
):
    card_configured(settings)

    pdf = member_client.get(reverse("payments:invoice_pdf", args=[invoice.number])).content

    text = pdf_text(pdf)
    assert "Pay by card under Transactions" in text
    assert "PO Box 4021" in text


def test_the_invoice_pdf_without_an_address_says_whom_to_ask(settings, member_client, invoice):
    settings.SUPPORT_EMAIL = "certification@board.example"

    text = pdf_text(
        member_client.get(reverse("payments:invoice_pdf", args=[invoice.number])).content
    )

    assert "will be shown on this invoice under Transactions" in text
    assert "certification@board.example" in text


# --- per program -------------------------------------------------------------------------------


def test_a_programs_own_address_comes_before_the_one_for_every_program(
    member_client, member, office
):
    CheckAddress.objects.create(
        program="namss",
        payee="NAMSS",
        mailing_address="2025 M Street NW, Suite 800\nWashington, DC 20036",
    )
    namss = InvoiceFactory(report=ReportFactory(member=member, program="namss"))
    ipma = InvoiceFactory(report__member=member)

    namss_page = member_client.get(namss.get_absolute_url()).content.decode()
    ipma_page = member_client.get(ipma.get_absolute_url()).content.decode()
    listing = member_client.get(TRANSACTIONS).content.decode()

    assert "payable to <strong>NAMSS</strong>" in namss_page
    assert "Washington, DC 20036" in namss_page and "PO Box 4021" not in namss_page
    assert "payable to <strong>Certification Board Inc.</strong>" in ipma_page
    assert "Washington, DC 20036" not in ipma_page
    # Transactions shows each address with the invoices that go to it.
    assert "Make checks payable to <strong>NAMSS</strong>" in listing
    assert "Make checks payable to <strong>Certification Board Inc.</strong>" in listing


def test_a_program_without_an_address_and_no_default_is_not_set(member_client, member):
    CheckAddress.objects.create(
        program="namss", payee="NAMSS", mailing_address="2025 M Street NW\nWashington, DC 20036"
    )
    ipma = InvoiceFactory(report__member=member)

    page = member_client.get(ipma.get_absolute_url()).content.decode()

    assert "will be shown here" in page
    assert "Washington" not in page


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payee", "address", "message"),
    [
        ("", OFFICE, "Enter whom checks are made payable to."),
        ("   ", OFFICE, "Enter whom checks are made payable to."),
        ("Board", "", "Enter the mailing address"),
        ("Board", "PO Box 4021", "at least two lines"),
        ("Board", "PO Box 4021\n\n   \n", "at least two lines"),
        ("Board", "\n".join(f"Line {n}" for n in range(7)), "at most 6 lines"),
        ("Board", "PO Box 4021\n" + "x" * 101, "at most 100 characters"),
        ("Board\x00", OFFICE, "control characters"),
        ("Board", "PO Box\x074021\nAlexandria, VA 22314", "control characters"),
        ("B" * 201, OFFICE, "at most 200 characters"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(payee, address, message):
    record = CheckAddress(program="", payee=payee, mailing_address=address)
    with pytest.raises(ValidationError) as refused:
        record.full_clean()
    assert message in " ".join(refused.value.messages)


def test_the_address_is_kept_tidy():
    record = CheckAddress(
        program="",
        payee="  Certification Board Inc. ",
        mailing_address="  PO Box 4021 \r\n\r\n Alexandria, VA 22314  \n",
    )
    record.full_clean()
    assert record.payee == "Certification Board Inc."
    assert record.mailing_address == "PO Box 4021\nAlexandria, VA 22314"


# --- the admin ---------------------------------------------------------------------------------


def test_finance_sets_the_address_with_a_reason_and_it_is_audited(client, invoice, member):
    finance = staff_in("Finance", username="fran.finance")
    client.force_login(finance)
    assert client.get(ADD).status_code == 200

    response = client.post(
        ADD,
        {
            "program": "",
            "payee": "Certification Board Inc.",
            "mailing_address": OFFICE,
            "change_reason": "Address from the finance office",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    record = CheckAddress.objects.get()
    assert record.payee == "Certification Board Inc." and record.program == ""
    log = AuditLog.objects.get(object_type="payments.checkaddress", action="added")
    assert log.actor == finance and log.reason == "Address from the finance office"
    assert log.after["mailing_address"] == OFFICE
    # The member sees it at once (the cached address is dropped on save).
    client.force_login(member)
    assert "PO Box 4021" in client.get(pay_url(invoice)).content.decode()


def test_bad_input_in_the_admin_is_shown_on_the_form_and_nothing_is_saved(client):
    client.force_login(staff_in("Finance", username="fran.finance"))

    response = client.post(
        ADD,
        {"program": "", "payee": "", "mailing_address": "PO Box 4021", "change_reason": "x"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter whom checks are made payable to." in page
    assert "at least two lines" in page
    assert not CheckAddress.objects.exists()
    assert not AuditLog.objects.filter(object_type="payments.checkaddress").exists()


def test_a_second_address_for_the_same_program_is_refused(client, office):
    client.force_login(staff_in("Finance", username="fran.finance"))

    response = client.post(
        ADD,
        {"program": "", "payee": "Other", "mailing_address": OFFICE, "change_reason": "x"},
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert CheckAddress.objects.count() == 1


def test_an_administrator_changes_it_and_members_see_the_new_address(
    client, member, invoice, office
):
    client.force_login(member)
    assert "PO Box 4021" in client.get(pay_url(invoice)).content.decode()  # now cached
    administrator = staff_in("Administrator", username="ada.admin")
    client.force_login(administrator)
    url = reverse("admin:payments_checkaddress_change", args=[office.pk])

    response = client.post(
        url,
        {
            "payee": "Certification Board Inc.",
            "mailing_address": "1 Main Street\nRichmond, VA 23219",
            "change_reason": "The office moved",
        },
    )

    assert response.status_code == 302
    log = AuditLog.objects.get(object_type="payments.checkaddress", action="changed")
    assert log.actor == administrator and log.reason == "The office moved"
    assert log.before == {"mailing_address": OFFICE}
    client.force_login(member)
    page = client.get(pay_url(invoice)).content.decode()
    assert "1 Main Street<br>Richmond, VA 23219" in page and "PO Box 4021" not in page


def test_reviewers_and_members_cannot_set_it_and_nobody_deletes_it(client, member, office):
    client.force_login(staff_in("Reviewer", username="rita.reviewer"))
    assert client.get(ADD).status_code == 403
    change = reverse("admin:payments_checkaddress_change", args=[office.pk])
    assert client.post(change, {"payee": "Me", "mailing_address": OFFICE}).status_code == 403
    client.force_login(staff_in("Administrator", username="ada.admin"))
    delete = reverse("admin:payments_checkaddress_delete", args=[office.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.force_login(member)
    assert client.get(ADD).status_code == 302
    office.refresh_from_db()
    assert office.payee == "Certification Board Inc."
