"""Journey 1, in Chromium: an IPMA-HR member from sign-in to a renewed credential.

Signs in; adds an entry in every category through the labelled forms and sees Accumulated Points
change after each save; edits one entry and deletes another on the Detailed Summary; uploads files
to a Human Resource Innovation entry; reaches 50 points and sees new entries refused; agrees to the
declaration and submits; lands on Transactions; pays the invoice by card on the portal's payment
page against localstripe (docs/payments.md: a SetupIntent collected by Stripe.js, then a
PaymentIntent confirmed by the server); sees it paid. A reviewer approves in the admin; the member
sees the renewed credential and an empty new cycle.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from recertification.models import Entry, EntryFile, Report
from tests.browser.support import (
    PDF_BYTES,
    PNG_BYTES,
    admin_sign_in,
    noon,
    sign_in,
    status_message,
)
from tests.factories import CredentialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def exactly(label: str) -> re.Pattern:
    """A field label as crispy-forms renders it: the text, then "*" when required."""
    return re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$")


@pytest.fixture
def jordan(db):
    member = UserFactory(
        username="jordan.rivera",
        email="jordan@example.org",
        first_name="Jordan",
        last_name="Rivera",
    )
    CredentialFactory(
        holder=member,
        designation="IPMA-SCP",
        certified_since=dt.date(2021, 1, 1),
        cycle_start=dt.date(2024, 1, 1),
        cycle_end=dt.date(2026, 12, 31),
    )
    return member


def open_category(page, label: str, code: str):
    page.get_by_role("navigation", name="IPMA-HR categories").get_by_role(
        "link", name=label, exact=True
    ).click()
    card = page.locator(f"#cat-ipma-hr-{code}")
    expect(card).to_be_visible()
    return card


def save(form, page, total: int) -> None:
    form.get_by_role("button", name="Save").click()
    expect(status_message(page)).to_contain_text(f"{total} of 50 points now")
    expect(page.get_by_test_id("current-points")).to_have_text(str(total))


def add_one_entry_in_every_category(page) -> None:
    form = open_category(page, "Professional Development", "pd").locator("form").first
    form.get_by_label("Professional Development Category").select_option(
        label="Participation in human resource professional development programs of at least "
        "one day in length (6 or more Hours)"
    )
    form.get_by_label(exactly("Title")).fill("Public Sector HR Conference")
    form.get_by_label(exactly("Sponsor")).fill("IPMA-HR")
    form.get_by_label("First Day of Professional Development").fill("2024-03-05")
    form.get_by_label("Number of Professional Development Days").fill("2")
    save(form, page, 6)

    form = open_category(page, "Membership", "membership").locator("form")
    form.get_by_label(exactly("Category")).select_option(
        label="Non-IPMA-HR National HR Association Membership"
    )
    form.get_by_label(exactly("Organization")).fill("SHRM")
    form.get_by_label("Year of Membership").select_option("2024")
    save(form, page, 7)

    form = open_category(page, "Service in a Leadership Capacity", "leadership").locator("form")
    form.get_by_label("Service in Leadership Category").select_option(
        label="National or State Human Resources Association Board of Directors (Non IPMA-HR)"
    )
    form.get_by_label("Office or Position Held").fill("Treasurer")
    form.get_by_label("Year of Service (YYYY)").select_option("2025")
    form.get_by_label(exactly("Organization")).fill("State HR Association")
    save(form, page, 10)

    form = open_category(page, "Human Resource Innovation", "innovation").locator("form")
    form.get_by_label("Short Description").fill("Online onboarding for new hires")
    form.get_by_label("Date Implemented").fill("2025-01-15")
    save(form, page, 15)

    form = open_category(page, "Policy/Program/RFP/Successful Practice", "policy").locator("form")
    form.get_by_label("Website for Policy, Program or Successful Practice").fill(
        "https://example.org/practices/remote-work"
    )
    form.get_by_label("Date Submitted").fill("2025-02-01")
    save(form, page, 16)

    form = open_category(page, "Presentations and Instructions", "presentation").locator("form")
    form.get_by_label("Presentations Category").select_option(
        label="Presentations – Speeches on HR Management"
    )
    form.get_by_label("Program Name").fill("Spring Forum")
    form.get_by_label(exactly("Sponsor")).fill("Capital Chapter")
    form.get_by_label("Presentation Topic").fill("Hiring in the public sector")
    form.get_by_label("Number of Instructional Days").fill("1")
    form.get_by_label("Year Presentation Occurred").select_option("2025")
    save(form, page, 18)

    form = open_category(page, "Publications", "publication").locator("form")
    form.get_by_label("Publications Category").select_option(
        label="Publications – Research article published on HR management in a professional journal"
    )
    form.get_by_label("Article Title").fill("Pay equity in cities")
    form.get_by_label(exactly("Publication")).fill("Public Personnel Management")
    form.get_by_label("Publication Link").fill("https://example.org/ppm/pay-equity")
    form.get_by_label(exactly("Date")).fill("2025-02-01")
    save(form, page, 23)

    form = open_category(page, "Experiential Learning", "experiential").locator("form")
    form.get_by_label("Indicate Employment by Year").select_option("2024")
    save(form, page, 24)


def test_an_ipma_hr_member_renews_from_sign_in_to_a_new_cycle(
    page, new_context, live_server, clock, card_payments, jordan, reviewer
):
    clock(noon(2026, 3, 10))  # IPMA-HR invoices are payable from 15 February of the end year
    sign_in(page, live_server, "jordan.rivera")
    page.locator("#mainnav").get_by_role("link", name="Recertification Portal").click()
    expect(page.get_by_role("heading", name="Accumulated Points")).to_be_visible()
    expect(page.get_by_test_id("current-points")).to_have_text("0")

    add_one_entry_in_every_category(page)
    assert Entry.objects.filter(member=jordan).count() == 8

    # The Detailed Summary: edit one entry, delete another; the totals follow at once.
    menu = page.get_by_role("navigation", name="Profile menu")
    menu.get_by_role("link", name="Recertification Detailed Summary").click()
    page.get_by_role("link", name="Edit Public Sector HR Conference").click()
    page.get_by_label("Number of Professional Development Days").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("current-points")).to_have_text("27")
    page.get_by_role("link", name="Delete Policy/Program/RFP/Successful Practice").click()
    expect(page.get_by_role("heading", name="Delete this entry?")).to_be_visible()
    page.get_by_role("button", name="Delete entry").click()
    expect(page.get_by_test_id("current-points")).to_have_text("26")
    expect(
        page.get_by_role("link", name="Delete Policy/Program/RFP/Successful Practice")
    ).to_have_count(0)

    # Uploads: two supporting files for the Human Resource Innovation entry.
    menu.get_by_role("link", name="Recertification Portal").click()
    page.get_by_role("link", name="Recertification Portal Uploads").click()
    innovation = page.get_by_role("region", name=re.compile("Online onboarding for new hires"))
    innovation.get_by_label(re.compile("Add files")).set_input_files(
        [
            {"name": "onboarding-plan.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
            {"name": "dashboard.png", "mimeType": "image/png", "buffer": PNG_BYTES},
        ]
    )
    innovation.get_by_role("button", name="Upload").click()
    innovation = page.get_by_role("region", name=re.compile("Online onboarding for new hires"))
    expect(innovation.get_by_role("link", name="onboarding-plan.pdf")).to_be_visible()
    expect(innovation.get_by_role("link", name="dashboard.png")).to_be_visible()
    assert EntryFile.objects.filter(entry__kind="ipma.innovation").count() == 2

    # A second tab keeps a form open while the first one reaches the requirement.
    stale = page.context.new_page()
    stale.goto(f"{live_server.url}/recertification/")
    late = open_category(stale, "Publications", "publication").locator("form")
    late.get_by_label("Publications Category").select_option(
        label="Publications – Article published on human resource management in a newsletter"
    )
    late.get_by_label("Article Title").fill("One more article")
    late.get_by_label(exactly("Publication")).fill("Chapter News")
    late.get_by_label("Publication Link").fill("https://example.org/news/1")
    late.get_by_label(exactly("Date")).fill("2025-05-01")

    page.goto(f"{live_server.url}/recertification/")
    form = page.locator("#cat-ipma-hr-pd form").first
    form.get_by_label(exactly("Title")).fill("Public Management Academy")
    form.get_by_label(exactly("Sponsor")).fill("State University")
    form.get_by_label("First Day of Professional Development").fill("2025-06-02")
    form.get_by_label("Number of Professional Development Days").fill("8")
    save(form, page, 50)
    expect(page.get_by_role("main")).to_contain_text(
        "You have reached the 50 points required, so the portal accepts no new entries."
    )
    expect(page.get_by_role("button", name="Save")).to_have_count(0)

    late.get_by_role("button", name="Save").click()  # refused: nothing saved past 50
    expect(stale.get_by_role("alert").first).to_contain_text("so the portal accepts no new entries")
    expect(stale.get_by_test_id("current-points")).to_have_text("50")
    assert not Entry.objects.filter(member=jordan, details__article_title="One more article")
    stale.close()

    # Submit: the Applicant's Declaration, then Transactions.
    page.get_by_role(
        "link", name="sign the agreement and submit your Recertification Report"
    ).click()
    expect(page.get_by_role("heading", name="Agreement", exact=True)).to_be_visible()
    page.get_by_label("Agreement (must be selected)").select_option("Agree")
    expect(page.get_by_label("Certification")).to_have_value(
        str(Report.objects.get(member=jordan).pk)
    )
    expect(page.get_by_label("Date Agreed")).to_have_value("2026-03-10")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Transactions")).to_be_visible()
    expect(status_message(page)).to_contain_text(
        "Your IPMA-SCP Recertification Report was submitted."
    )
    invoices = page.get_by_role("table", name="My Invoices")
    expect(invoices).to_contain_text("RC-00001")
    expect(invoices).to_contain_text("Unpaid")
    expect(invoices).to_contain_text("150.00 USD")

    # Pay by card on the portal's payment page (Stripe.js from localstripe, under the CSP).
    csp_errors: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_errors.append(m.text))
    # The desktop table's link: the phone list below it repeats it and is hidden by Bootstrap's CSS,
    # which may not have applied yet when the page is first read.
    invoices.get_by_role("link", name="Pay invoice RC-00001").click()
    expect(page.get_by_role("heading", name="Pay invoice RC-00001")).to_be_visible()
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill("4242424242424242")
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("62701")
    page.get_by_role("button", name="Pay 150.00 USD").click()
    # Stripe.js, then the server's calls to (local)Stripe: allow for a slow machine.
    expect(page.get_by_role("heading", name="Invoice RC-00001")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Thank you: your payment of 150.00 USD")).to_be_visible()
    assert csp_errors == []
    page.get_by_role("link", name="Back to Transactions").click()
    expect(page.get_by_role("table", name="My Invoices")).to_contain_text("Paid")
    expect(page.get_by_role("link", name="Pay invoice RC-00001")).to_have_count(0)

    # A reviewer approves in the admin.
    staff = new_context().new_page()
    admin_sign_in(staff, live_server, "rita.reviewer")
    staff.get_by_role("link", name="Reports", exact=True).click()
    expect(staff.get_by_role("heading", name="Select report to view")).to_be_visible()
    staff.get_by_role("link", name=re.compile("Jordan Rivera")).click()
    expect(staff.locator("#content-main")).to_contain_text("50 of 50 counted – requirement met")
    expect(staff.locator("#content-main")).to_contain_text("In review")
    staff.get_by_role("link", name="Approve", exact=True).click()
    staff.get_by_role("button", name="Approve").click()
    # Approval renews the credential and makes the certificate PDF: allow for a busy machine.
    expect(staff.locator(".messagelist")).to_contain_text("approve done", timeout=30_000)
    expect(staff.locator("#content-main")).to_contain_text("Approved")

    # The member: a renewed credential and an empty new cycle.
    page.locator("#mainnav").get_by_role("link", name="Recertification Portal").click()
    accumulated = page.get_by_role("table", name="Accumulated points per certification")
    expect(accumulated).to_contain_text("03/10/2026")  # renewed today
    expect(accumulated).to_contain_text("01/01/2027")
    expect(accumulated).to_contain_text("12/31/2029")
    expect(page.get_by_test_id("current-points")).to_have_text("0")
    expect(page.get_by_role("table", name="Current recertification entries")).to_contain_text(
        "No records to display."
    )
    expect(page.locator("#cat-ipma-hr-pd form").first).to_be_visible()  # entries open again
    page.get_by_role("navigation", name="Profile menu").get_by_role(
        "link", name="Certificates and badges"
    ).click()
    certificates = page.get_by_role("table", name="Your certificates")
    expect(certificates).to_contain_text("IPMA-SCP")
    expect(certificates).to_contain_text("12/31/2029")
    expect(certificates).to_contain_text("Valid")


def test_a_form_left_open_past_the_requirement_says_why_it_is_refused(page, live_server, clock,
                                                                      jordan):  # fmt: skip
    from tests.factories import EntryFactory, report_for

    clock(noon(2026, 3, 10))
    report = report_for(jordan.credentials.get())
    EntryFactory(member=jordan, kind="ipma.pd.full_day", quantity=15, reports=[report],
                 details={"title": "HR Academy", "sponsor": "IPMA-HR"})  # fmt: skip
    sign_in(page, live_server, "jordan.rivera")
    stale = page.context.new_page()
    stale.goto(f"{live_server.url}/recertification/")
    late = stale.locator("#cat-ipma-hr-pd form").first
    late.get_by_label(exactly("Sponsor")).fill("State University")
    late.get_by_label("First Day of Professional Development").fill("2025-06-02")
    late.get_by_label("Number of Professional Development Days").fill("1")

    page.goto(f"{live_server.url}/recertification/")  # 45 points: five more in this tab
    form = page.locator("#cat-ipma-hr-pd form").first
    form.get_by_label(exactly("Sponsor")).fill("IPMA-HR")
    form.get_by_label("First Day of Professional Development").fill("2025-07-07")
    form.get_by_label("Number of Professional Development Days").fill("2")
    save(form, page, 51)

    late.get_by_role("button", name="Save").click()
    expect(stale.get_by_role("alert").first).to_contain_text(
        "You have reached the 50 points required for IPMA-SCP, so the portal accepts no new entries.",
        timeout=1000,  # the page is there already; only its words are wrong
    )
