"""A journey with the keyboard alone (Tab, Shift+Tab, Enter, typing): sign in, add an entry, see
the total, submit. No mouse clicks and no .fill(): focus moves only by the keyboard, and every
stop the member lands on shows where the focus is."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Locator, Page, expect

from recertification.models import Report
from tests.browser.support import noon, status_message
from tests.factories import PASSWORD, CredentialFactory, EntryFactory, UserFactory, report_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUS_SHOWN = """(el) => {
  const style = getComputedStyle(el);
  return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== "none";
}"""


def tab_to(page: Page, target: Locator, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would."""
    target.wait_for(state="attached")
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if target.evaluate("(el) => el === document.activeElement"):
            assert target.evaluate(FOCUS_SHOWN), f"the focus on {target} is not visible"
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


@pytest.fixture
def kim(db):
    member = UserFactory(
        username="kim.keys", email="kim@example.org", first_name="Kim", last_name="Keys"
    )
    credential = CredentialFactory(
        holder=member,
        designation="IPMA-CP",
        cycle_start=dt.date(2024, 1, 1),
        cycle_end=dt.date(2026, 12, 31),
    )
    report = report_for(credential)
    EntryFactory(member=member, kind="ipma.pd.full_day", quantity=14, reports=[report],
                 details={"title": "Leadership Academy", "sponsor": "IPMA-HR"})  # fmt: skip
    EntryFactory(member=member, kind="ipma.pd.partial_day", quantity=2, reports=[report],
                 date=dt.date(2024, 9, 9))  # fmt: skip
    return member  # 42 + 2 = 44 of 50 points


def test_sign_in_add_an_entry_see_the_total_and_submit_with_the_keyboard(
    page, live_server, clock, kim
):
    clock(noon(2026, 3, 10))
    page.goto(f"{live_server.url}/accounts/login/")

    tab_to(page, page.get_by_label("Username or email"))
    page.keyboard.type("kim.keys")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    tab_to(page, page.locator("#mainnav").get_by_role("link", name="Recertification Portal"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("current-points")).to_have_text("44")

    # The first category (Professional Development) is open; its first form is for days.
    form = page.locator("#cat-ipma-hr-pd form").first
    kind = form.get_by_label("Professional Development Category")
    tab_to(page, kind)
    expect(kind).to_have_value("ipma.pd.full_day")
    page.keyboard.press("Tab")
    expect(form.get_by_label("Title", exact=False).first).to_be_focused()
    page.keyboard.type("Regional HR Summit")
    page.keyboard.press("Tab")
    page.keyboard.type("Capital Chapter")
    tab_to(page, form.get_by_label("First Day of Professional Development"))
    page.keyboard.type("04082025")  # mm dd yyyy, as Chromium's date field takes it
    expect(form.get_by_label("First Day of Professional Development")).to_have_value("2025-04-08")
    days = form.get_by_label("Number of Professional Development Days")
    tab_to(page, days)
    page.keyboard.type("2")
    page.keyboard.press("Enter")  # submits the form it is in

    # The total, at once: 50 of 50, and the way on to the submission.
    expect(status_message(page)).to_contain_text("50 of 50 points now")
    expect(page.get_by_test_id("current-points")).to_have_text("50")
    onward = page.get_by_role(
        "link", name="sign the agreement and submit your Recertification Report"
    )
    tab_to(page, onward)
    page.keyboard.press("Enter")

    agreement = page.get_by_label("Agreement (must be selected)")
    tab_to(page, agreement)
    page.keyboard.press("ArrowDown")  # "Choose…" → "Agree"
    expect(agreement).to_have_value("agree")
    submit = page.get_by_role("button", name="Submit", exact=True)
    tab_to(page, submit)
    # Shift+Tab goes back to the field before it and Tab returns: nothing traps the focus.
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Date Agreed")).to_be_focused()
    tab_to(page, submit)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Transactions")).to_be_visible()
    expect(status_message(page)).to_contain_text(
        "Your IPMA-CP Recertification Report was submitted."
    )
    expect(page.get_by_role("table", name="My Invoices")).to_contain_text("150.00 USD")
    assert Report.objects.get(member=kim).status == Report.Status.PAYMENT_DUE
