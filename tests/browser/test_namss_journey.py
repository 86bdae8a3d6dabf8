"""Journey 2, in Chromium: a NAMSS dual certificant (CPCS and CPMSM: 45 credits, 25 approved).

45 credits with too few NAMSS-approved sees exactly what is missing, on the portal and on the
Submit page; adds approved credits; submits after 1 December and sees the late fee on the invoice.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import namss_dual_certificant, noon, sign_in, status_message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def avery(db):
    member = namss_dual_certificant("avery.chen", "Avery", "Chen")
    return member


def add_credits(page, title: str, provider: str, day: str, credits: str, approved: bool, total):
    form = page.locator("#cat-namss-ce form")
    form.get_by_label("Activity title").fill(title)
    form.get_by_label("Provider").fill(provider)
    form.get_by_label("Date").fill(day)
    form.get_by_label("Credits").fill(credits)
    form.get_by_label("NAMSS approved").select_option("Yes" if approved else "No")
    form.get_by_label("Location").fill("Chicago, IL")
    # Entered once, counted for both credentials (both ticked by default).
    expect(form.get_by_label("CPCS (cycle ends 12/01/2026)")).to_be_checked()
    expect(form.get_by_label("CPMSM (cycle ends 12/01/2026)")).to_be_checked()
    form.get_by_role("button", name="Save").click()
    expect(status_message(page)).to_contain_text(f"{total} of 45 credits now")
    expect(page.get_by_test_id("current-points")).to_have_text(total)


def test_a_dual_certificant_sees_what_is_missing_then_submits_late(page, live_server, clock, avery):
    clock(noon(2026, 11, 20))
    sign_in(page, live_server, "avery.chen")
    page.goto(f"{live_server.url}/recertification/")
    expect(page.get_by_role("table", name="Accumulated credits per certification")).to_contain_text(
        "CPCS + CPMSM"
    )
    add_credits(page, "Hospital compliance program", "Regional Medical Center", "2025-04-10",
                "30", approved=False, total="30")  # fmt: skip
    add_credits(page, "NAMSS Annual Conference", "NAMSS", "2025-09-15", "15", approved=True,
                total="45")  # fmt: skip

    # 45 credits, but only 15 of the 25 NAMSS-approved: exactly that is what is missing.
    missing = "10 more NAMSS-approved credits are needed (15 of 25)."
    accumulated = page.get_by_role("region", name="Accumulated Credits")
    expect(accumulated.get_by_role("listitem")).to_have_text([missing])
    page.get_by_role("link", name="Submit Recertification Credits").click()
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(
        f"CPCS + CPMSM: 45 of 45 credits counted. {missing}"
    )
    expect(page.get_by_role("button", name="Submit", exact=True)).to_be_disabled()

    # After 1 December (late-fee period, last day 31 December): approved credits, then submit.
    clock(noon(2026, 12, 10))
    sign_in(page, live_server, "avery.chen")  # 20 days later: the old session has expired
    page.goto(f"{live_server.url}/recertification/")
    add_credits(page, "NAMSS webinar series", "NAMSS", "2026-06-01", "10", approved=True,
                total="55")  # fmt: skip
    expect(page.get_by_role("main")).to_contain_text("You have reached the 45 credits required")
    page.get_by_role("link", name="Submit Recertification Credits").click()
    page.get_by_label("Agreement (must be selected)").select_option("Agree")
    expect(page.get_by_label("Date Agreed")).to_have_value("2026-12-10")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(status_message(page)).to_contain_text(
        "Your CPCS + CPMSM Recertification Report was submitted."
    )

    invoices = page.get_by_role("table", name="My Invoices")
    expect(invoices).to_contain_text("225.00 USD")
    invoices.get_by_role("link", name="RC-00001", exact=True).click()
    lines = page.get_by_role("table", name="Lines of invoice RC-00001")
    expect(lines.locator("tbody tr")).to_have_count(2)
    expect(lines.locator("tbody tr").nth(0)).to_contain_text("175.00 USD")
    expect(lines.locator("tbody tr").nth(1)).to_contain_text("Late fee")
    expect(lines.locator("tbody tr").nth(1)).to_contain_text("50.00 USD")
    expect(lines.locator("tfoot")).to_contain_text("225.00 USD")
    # Card payment is not set up in this journey: the check route, never a Pay button.
    expect(page.get_by_role("heading", name="Pay by check")).to_be_visible()
    expect(page.get_by_role("link", name="Pay 225.00 USD")).to_have_count(0)
