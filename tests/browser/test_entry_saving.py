"""Saving an entry, in Chromium, on a desktop and on a phone.

Defect 6: after Save the member sees the confirmation ("now N of M"), the new totals and the new
entry without scrolling. Defect 7: the same activity saved twice is saved again only after
"Save it again". A screenshot of each viewport is written to $ENTRY_SAVING_SCREENSHOTS (or the
test's temporary directory) for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from recertification import services
from recertification.models import Entry, Report
from tests.browser.support import (
    PHONE,
    check_accessible,
    namss_dual_certificant,
    noon,
    sign_in,
    status_message,
)
from tests.factories import EntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def quinn(db, clock):
    """A NAMSS dual certificant (one report for CPCS and CPMSM) with 20 entries already, entered
    on 15 September 2026: the list of entries is long, and the new one is at its end."""
    clock(noon(2026, 9, 15))
    member = namss_dual_certificant("quinn.ortiz", "Quinn", "Ortiz")
    services.reports_ensure_open(member=member)
    report = Report.objects.get(member=member)
    for i in range(20):
        EntryFactory(
            member=member,
            program="namss",
            kind="namss.ce",
            category="ce",
            date=dt.date(2024, 1, 10) + dt.timedelta(days=20 * i),
            quantity=Decimal("1"),
            details={"title": f"Webinar {i + 1}", "provider": "Regional", "location": "Online"},
            reports=[report],
        )
    return member


def fill_ce(page: Page, title: str, day: str, credits: str, approved: bool) -> None:
    form = page.locator("#cat-namss-ce form")
    form.get_by_label("Activity title").fill(title)
    form.get_by_label("Provider").fill("NAMSS")
    form.get_by_label("Date").fill(day)
    form.get_by_label("Credits").fill(credits)
    form.get_by_label("NAMSS approved").select_option("Yes" if approved else "No")
    form.get_by_label("Location").fill("Chicago, IL")


def fully_on_screen(page: Page, locator, what: str) -> None:
    """The element is inside the viewport, top and bottom, as the page is now (no scrolling)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None, what
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (
        f"{what} is not on the screen: top {box['y']:.0f}px, bottom "
        f"{box['y'] + box['height']:.0f}px, screen height {height}px"
    )


def screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("ENTRY_SAVING_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))  # the viewport only: what the member sees
    return path


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_after_save_the_message_totals_and_new_entry_are_on_the_screen(
    page, live_server, quinn, viewport, tmp_path, axe_source
):
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in(page, live_server, "quinn.ortiz")
    page.goto(f"{live_server.url}/recertification/")
    expect(page.get_by_test_id("current-points")).to_have_text("20")
    fill_ce(page, "NAMSS Annual Conference", "2025-09-15", "7.5", approved=True)
    page.locator("#cat-namss-ce form").get_by_role("button", name="Save", exact=True).click()
    message = status_message(page)
    expect(message).to_have_text(
        "NAMSS CE entry saved. CPCS + CPMSM: this entry counts 7.5; 27.5 of 45 credits now."
    )
    page.wait_for_load_state("load")
    totals = page.get_by_test_id("current-points")
    expect(totals).to_have_text("27.5")
    path = screenshot(page, tmp_path, f"after-save-{viewport}")
    # Right after saving, without scrolling: the confirmation, the new totals and the new entry.
    fully_on_screen(page, message, "the confirmation")
    fully_on_screen(page, totals, "the new total")
    fully_on_screen(page, page.get_by_text("17.5 more NAMSS-approved credits"), "what is missing")
    new_entry = page.get_by_test_id("just-saved-entry")
    expect(new_entry).to_contain_text("NAMSS Annual Conference")
    expect(new_entry).to_contain_text("09/15/2025")
    fully_on_screen(page, new_entry, "the new entry")
    assert path.exists()
    assert page.url.endswith("#saved")
    # The panel holds the focus, so a screen reader reads the confirmation.
    expect(page.locator("#saved")).to_be_focused()

    # Its link leads to the entry's row in the list, highlighted.
    page.get_by_role("link", name="See it in Current Recertification Entries").click()
    row = page.locator("tr.just-saved")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("NAMSS Annual Conference")
    expect(row).to_contain_text("Just saved")
    fully_on_screen(page, row, "the new entry's row in the list")

    problems: list[str] = []
    check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)


def test_the_same_activity_twice_is_saved_again_only_after_save_it_again(
    page, live_server, quinn, axe_source
):
    sign_in(page, live_server, "quinn.ortiz")
    page.goto(f"{live_server.url}/recertification/")
    fill_ce(page, "Credentialing webinar", "2025-10-01", "1.5", approved=True)
    form = page.locator("#cat-namss-ce form")
    form.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**#saved")
    assert Entry.objects.filter(details__title="Credentialing webinar").count() == 1

    # The same again: a warning on the form, nothing saved, the member's input kept.
    fill_ce(page, "Credentialing webinar", "2025-10-01", "1.5", approved=True)
    page.locator("#cat-namss-ce form").get_by_role("button", name="Save", exact=True).click()
    warning = page.locator("#cat-namss-ce form [data-repeat-warning]")
    expect(warning).to_contain_text(
        "You already entered “Credentialing webinar” (NAMSS CE) on 10/01/2025 — save it again?"
    )
    expect(page.locator("#cat-namss-ce form").get_by_label("Activity title")).to_have_value(
        "Credentialing webinar"
    )
    assert Entry.objects.filter(details__title="Credentialing webinar").count() == 1
    problems: list[str] = []
    check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)

    # Confirmed: saved a second time, and the totals count both.
    warning.get_by_role("button", name="Save it again").click()
    page.wait_for_url("**#saved")
    expect(page.locator("#saved [role=status]")).to_contain_text("23 of 45 credits now")
    assert Entry.objects.filter(details__title="Credentialing webinar").count() == 2

    # A different date is another activity: saved at once.
    fill_ce(page, "Credentialing webinar", "2025-10-08", "1.5", approved=True)
    page.locator("#cat-namss-ce form").get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**#saved")
    expect(page.locator("#saved [role=status]")).to_contain_text("24.5 of 45 credits now")
