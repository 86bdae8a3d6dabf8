"""A lapsed IPMA-HR member's way back, in Chromium on a desktop and a phone: the Detailed Summary
says the credential has lapsed and links the reinstatement page; that page offers the filled-in
paper report form, says where the mailing address will appear, and issues the invoice once (a
second click shows the same one). axe-core finds nothing serious on the pages on the way.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from members.models import Credential
from payments.models import Invoice
from tests.browser.support import check_accessible, layout_problems, noon, sign_in
from tests.factories import CredentialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def riley(db):
    member = UserFactory(
        username="riley.brooks", email="riley@example.org", first_name="Riley", last_name="Brooks"
    )
    CredentialFactory(
        holder=member,
        designation="IPMA-CP",
        certified_since=dt.date(2015, 1, 1),
        cycle_start=dt.date(2021, 1, 1),
        cycle_end=dt.date(2023, 12, 31),
        status=Credential.Status.LAPSED,
    )
    return member


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_lapsed_member_gets_the_form_the_address_and_an_invoice(
    page, live_server, clock, axe_source, riley, viewport
):
    if viewport:
        page.set_viewport_size(viewport)
    page.context.add_init_script(axe_source)
    problems: list[str] = []
    clock(noon(2026, 3, 10))
    sign_in(page, live_server, "riley.brooks")

    page.goto(f"{live_server.url}/recertification/summary/")
    lapsed = page.get_by_role("alert")
    expect(lapsed).to_contain_text("Your IPMA-CP certification has lapsed")
    check_accessible(page, axe_source, problems)
    lapsed.get_by_role("link", name="download the form, see where to mail it").click()

    expect(page.get_by_role("heading", name="IPMA-CP", exact=False).first).to_be_visible()
    form = page.get_by_role("link", name="Download your paper Recertification Report (PDF)")
    expect(form).to_have_attribute(
        "href", f"/profile/reinstatement/{riley.credentials.get().pk}/paper-report.pdf"
    )
    expect(page.locator("main")).to_contain_text("The mailing address is not set yet")
    check_accessible(page, axe_source, problems)
    problems += layout_problems(page)
    with page.expect_download() as download:
        form.click()
    assert download.value.suggested_filename == "IPMA-CP-recertification-report.pdf"

    page.get_by_role("button", name="Get my invoice").click()
    invoice = Invoice.objects.get()
    expect(page).to_have_url(f"{live_server.url}/transactions/invoices/{invoice.number}/")
    expect(page.locator("main")).to_contain_text(invoice.number)
    check_accessible(page, axe_source, problems)
    problems += layout_problems(page)

    page.goto(f"{live_server.url}/profile/reinstatement/")
    expect(page.get_by_role("link", name=invoice.number)).to_be_visible()
    expect(page.get_by_role("button", name="Get my invoice")).to_have_count(0)
    assert Invoice.objects.count() == 1
    assert not problems, "\n".join(problems)
