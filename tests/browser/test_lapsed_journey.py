"""Journey 4, in Chromium: a lapsed IPMA-HR member, a paper report, reinstatement.

The portal is closed to the lapsed member, with the paper-report instructions; staff record the
paper report in the admin (activities, preview, scan, check) and approve it; the member is
reinstated and the portal opens on the new cycle.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from members.models import Credential
from tests.browser.support import PDF_BYTES, admin_sign_in, noon, sign_in
from tests.factories import CredentialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def paper_row(page, row: int, kind: str, *, date="", year="", quantity="", title="") -> None:
    """Fill row `row` (from 1); the columns are labelled with the program's own words ("Row 1:
    Number of Professional Development Days / Credit hours"), so the fields are found by name."""

    def cell(name: str):
        return page.locator(f"#id_entries-{row - 1}-{name}")

    page.get_by_label(f"Row {row}: Kind").select_option(label=kind)
    if date:
        cell("date").fill(date)
    if year:
        cell("year").fill(year)
    if quantity:
        cell("quantity").fill(quantity)
    if title:
        cell("title").fill(title)


def test_a_lapsed_member_is_reinstated_by_a_paper_report(
    page, new_context, live_server, clock, riley, administrator
):
    clock(noon(2026, 3, 10))
    sign_in(page, live_server, "riley.brooks")
    page.locator("#mainnav").get_by_role("link", name="Recertification Portal").click()
    lapsed = page.get_by_role("alert")
    expect(lapsed).to_contain_text("Your IPMA-CP certification has lapsed")
    expect(lapsed).to_contain_text(
        "Individuals with lapsed certifications cannot recertify through the portal. Please send "
        "a paper Recertification Report for your cycle (01/01/2021 to 12/31/2023)"
    )
    expect(
        lapsed.get_by_role("link", name="list of possible recertification points")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Accumulated Points")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)

    # Staff record the paper report in the admin, then approve it.
    staff = new_context().new_page()
    admin_sign_in(staff, live_server, "ada.admin")
    staff.get_by_role("link", name="Credentials", exact=True).click()
    staff.locator("#changelist-filter").get_by_role("link", name="Lapsed", exact=True).click()
    staff.locator("#result_list").get_by_role("link", name="IPMA-CP", exact=True).click()
    staff.get_by_role("link", name="Record paper report").click()
    expect(staff.locator("#content-main")).to_contain_text("lapsed cycle 01/01/2021 to 12/31/2023")
    paper_row(staff, 1, "Professional Development Program (6 or more hours)", date="2022-05-10",
              quantity="10", title="HR Leadership Institute")  # fmt: skip
    paper_row(staff, 2, "College/University course", date="2021-09-01", quantity="6",
              title="Public Finance")  # fmt: skip
    paper_row(staff, 3, "Research article", date="2023-02-01", title="Civil service reform")
    paper_row(staff, 4, "Instruction", year="2022", title="Supervision course")
    staff.get_by_role("button", name="Preview total").click()
    expect(staff.locator("#preview")).to_contain_text("Total: 50 of 50 – requirement met")

    staff.get_by_label("Scanned paper report").set_input_files(
        {"name": "riley-paper-report.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    staff.get_by_label("Date signed on the report").fill("2026-03-02")
    staff.get_by_label("Check number").fill("5521")
    staff.get_by_label("Date on the check").fill("2026-03-02")
    staff.get_by_label("Amount").fill("150.00")
    staff.get_by_role("button", name="Record paper report").click()
    messages = staff.locator(".messagelist")
    expect(messages).to_contain_text("Approve it to reinstate the credential.")
    expect(staff.locator("#content-main")).to_contain_text("paper report")
    staff.get_by_role("link", name="Approve", exact=True).click()
    staff.get_by_role("button", name="Approve").click()
    expect(messages).to_contain_text("approve done")
    expect(staff.locator("#content-main")).to_contain_text("Approved")

    # The member is reinstated: the portal opens on the new cycle.
    page.reload()
    expect(page.get_by_role("alert")).to_have_count(0)
    accumulated = page.get_by_role("table", name="Accumulated points per certification")
    expect(accumulated).to_contain_text("03/10/2026")
    expect(accumulated).to_contain_text("01/01/2024")
    expect(accumulated).to_contain_text("12/31/2026")
    expect(accumulated).to_contain_text("IPMA-CP")
    expect(page.get_by_test_id("current-points")).to_have_text("0")
    expect(page.get_by_role("navigation", name="IPMA-HR categories")).to_be_visible()
    expect(
        page.locator("#cat-ipma-hr-pd form").first.get_by_role("button", name="Save")
    ).to_be_visible()
