"""A member in Chromium: signs in, enters points, sees the totals change, edits on the summary.

Every member page on a phone is checked in test_phone.py.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import noon
from tests.factories import PASSWORD, CredentialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ipma_member(db, clock):
    clock(noon(2026, 3, 10))  # inside the 2024-2026 cycle, whatever the day the tests run
    member = UserFactory(
        username="casey.browser", email="casey@example.org", first_name="Casey", last_name="Browser"
    )
    CredentialFactory(
        holder=member,
        designation="IPMA-SCP",
        cycle_start=dt.date(2024, 1, 1),
        cycle_end=dt.date(2026, 12, 31),
    )
    return member


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Welcome Casey Browser")).to_be_visible()


def test_a_member_enters_points_and_sees_the_total_at_once(page, live_server, ipma_member):
    sign_in(page, live_server, "casey@example.org")
    page.get_by_role("main").get_by_role("link", name="Recertification Portal").click()
    expect(page.get_by_role("heading", name="Accumulated Points")).to_be_visible()
    form = page.locator("form#pd-ipma-pd-full_day")
    form.get_by_label("Professional Development Category").select_option("ipma.pd.full_day")
    form.get_by_label("Title").fill("Public Sector HR Conference")
    form.get_by_label("Sponsor").fill("IPMA-HR")
    form.get_by_label("First Day of Professional Development").fill("2024-03-05")
    form.get_by_label("Number of Professional Development Days").fill("2")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("6 of 50 points now")
    expect(page.get_by_test_id("current-points")).to_have_text("6")

    page.get_by_role("navigation", name="Profile menu").get_by_role(
        "link", name="Recertification Detailed Summary"
    ).click()
    page.get_by_role("link", name=re.compile("Edit Public Sector HR Conference")).click()
    page.get_by_label("Number of Professional Development Days").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("current-points")).to_have_text("9")


def test_a_bad_date_gets_its_message_where_the_member_is(page, live_server, ipma_member):
    sign_in(page, live_server, "casey.browser")
    page.goto(f"{live_server.url}/recertification/")
    form = page.locator("form#pd-ipma-pd-full_day")
    form.get_by_label("Sponsor").fill("IPMA-HR")
    form.get_by_label("First Day of Professional Development").fill("2023-06-01")
    form.get_by_label("Number of Professional Development Days").fill("1")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("form#pd-ipma-pd-full_day")).to_contain_text(
        "outside your IPMA-SCP recertification cycle (01/01/2024 to 12/31/2026)"
    )
    expect(page.get_by_test_id("current-points")).to_have_text("0")


def test_choosing_a_category_shows_its_form(page, live_server, ipma_member):
    sign_in(page, live_server, "casey.browser")
    page.goto(f"{live_server.url}/recertification/")
    publications = page.locator("#cat-ipma-hr-publication")
    expect(publications).to_be_hidden()
    page.get_by_role("navigation", name="IPMA-HR categories").get_by_role(
        "link", name="Publications"
    ).click()
    expect(publications).to_be_visible()
    expect(page.locator("#cat-ipma-hr-pd")).to_be_hidden()
    form = publications.locator("form")
    form.get_by_label("Publications Category").select_option("ipma.publication.journal")
    form.get_by_label("Article Title").fill("Pay equity in cities")
    form.get_by_label(re.compile(r"^\s*Publication\s*\*?\s*$")).fill("Public Personnel Management")
    form.get_by_label("Date").fill("2025-02-01")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("current-points")).to_have_text("5")
