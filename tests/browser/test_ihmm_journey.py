"""Journey 3, in Chromium: an IHMM member enters a five-day conference and sees both caps (5 CMPs
per conference day, 20 CMPs per conference) applied, each with its reason."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.support import noon, sign_in, status_message
from tests.factories import CredentialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFERENCE = "Attending a conference and in-conference technical sessions"


@pytest.fixture
def sam(db):
    member = UserFactory(
        username="sam.okafor", email="sam@example.org", first_name="Sam", last_name="Okafor"
    )
    CredentialFactory(
        holder=member,
        program="ihmm",
        designation="CHMM",
        certified_since=dt.date(2014, 3, 1),
        cycle_start=dt.date(2024, 3, 1),
        cycle_end=dt.date(2029, 2, 28),
    )
    return member


def test_a_five_day_conference_shows_the_day_and_conference_caps(page, live_server, clock, sam):
    clock(noon(2026, 3, 10))
    sign_in(page, live_server, "sam.okafor")
    page.goto(f"{live_server.url}/recertification/")

    expected = [  # (counted for the day, total after it, the reason given)
        ("5", "5", "5 CMPs per conference day"),
        ("5", "10", "5 CMPs per conference day"),
        ("5", "15", "5 CMPs per conference day"),
        ("5", "20", "5 CMPs per conference day"),
        ("0", "20", "5 CMPs per conference day; 20 CMPs per conference reached"),
    ]
    for day, (counted, total, reason) in enumerate(expected, start=6):
        page.get_by_role("navigation", name="IHMM categories").get_by_role(
            "link", name=CONFERENCE
        ).click()
        card = page.locator("#cat-ihmm-conference")
        expect(card).to_contain_text("a maximum of 5 CMPs per day and 20 CMPs per conference")
        card.get_by_label("Conference name").fill("National Hazardous Materials Conference")
        card.get_by_label("Conference day").fill(f"2025-10-{day:02d}")
        card.get_by_label("Contact hours").fill("6")
        card.get_by_role("button", name="Save").click()
        expect(status_message(page)).to_contain_text(
            f"CHMM: this entry counts {counted} ({reason}); {total} of 100 CMPs now."
        )
        expect(page.get_by_test_id("current-points")).to_have_text(total)

    # The Detailed Summary: 30 hours claimed, 20 counted, and why for each day.
    page.get_by_role("navigation", name="Profile menu").get_by_role(
        "link", name="Recertification Detailed Summary"
    ).click()
    rows = page.get_by_role("table", name=f"{CONFERENCE} entries").locator("tbody tr")
    expect(rows).to_have_count(5)
    for row, (counted, _total, reason) in zip(
        rows.all(), sorted(expected, key=lambda e: e[0], reverse=True), strict=True
    ):
        expect(row.locator("td").nth(0)).to_have_text(f"{counted} of 6 claimed")
        expect(row.locator("td").nth(4)).to_have_text(reason)
    expect(page.get_by_test_id("current-points")).to_have_text("20")
    expect(page.get_by_role("region", name="Accumulated CMPs")).to_contain_text(
        "80 more CMPs are needed (20 of 100 counted)."
    )
