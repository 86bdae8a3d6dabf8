"""Phones (390x844): every member page fits the screen's width, with no sideways scrolling, and
its actions are there to tap: the folded profile menu, adding an entry, editing it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.people import member_pages
from tests.browser.support import PHONE, layout_problems, sign_in, status_message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(new_context):
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


def test_every_member_page_fits_a_phone(phone, live_server, people):
    problems: list[str] = []
    for username, paths in member_pages(people).items():
        phone.context.clear_cookies()
        sign_in(phone, live_server, username)
        for path in paths:
            phone.goto(f"{live_server.url}{path}")
            problems += layout_problems(phone)
    phone.context.clear_cookies()
    for path in (
        "/verify/",
        f"/verify/{people.certificate.code}/",
        "/verify/?last_name=Portal&designation=IPMA-SCP",
    ):
        phone.goto(f"{live_server.url}{path}")
        problems += layout_problems(phone)
    assert not problems, "\n".join(problems)


def test_a_member_uses_the_portal_on_a_phone(phone, live_server, people):
    sign_in(phone, live_server, "pat.portal")
    phone.goto(f"{live_server.url}/recertification/")

    # The profile menu is folded behind one button; it opens, and its links work.
    menu = phone.get_by_role("navigation", name="Profile menu")
    expect(menu.get_by_role("link", name="Transactions")).to_be_hidden()
    toggle = menu.get_by_role("button", name="Profile menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    menu.get_by_role("link", name="Recertification Detailed Summary").tap()
    expect(
        phone.get_by_role("heading", name="Recertification Detailed Summary", level=1)
    ).to_be_visible()

    # Edit an entry from the summary, then add one on the portal.
    edit = phone.get_by_role("link", name="Edit Public Sector HR Conference")
    edit.scroll_into_view_if_needed()
    edit.tap()
    phone.get_by_label("Number of Professional Development Days").fill("3")
    phone.get_by_role("button", name="Save").tap()
    expect(
        phone.get_by_role("heading", name="Recertification Detailed Summary", level=1)
    ).to_be_visible()
    phone.goto(f"{live_server.url}/recertification/")
    before = int(phone.get_by_test_id("current-points").inner_text())
    form = phone.locator("#cat-ipma-hr-pd form").first
    form.get_by_label("Sponsor").fill("IPMA-HR")
    form.get_by_label("First Day of Professional Development").fill("2025-05-05")
    form.get_by_label("Number of Professional Development Days").fill("1")
    form.get_by_role("button", name="Save").tap()
    expect(status_message(phone)).to_contain_text(f"{before + 3} of 50 points now")
    assert not layout_problems(phone)
