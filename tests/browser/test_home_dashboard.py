"""Home as a dashboard, in a browser, for a member of each program and a lapsed member, on a
desktop and on a phone: per credential what counts so far per category (caps and minimums), the
next deadline with its countdown and the one next step; no axe-core finding, nothing off screen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from recertification import services
from tests.browser.support import PHONE, check_accessible, layout_problems, sign_in
from tests.factories import CredentialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [{"width": 1280, "height": 900}, PHONE]


@pytest.fixture
def casey(people):
    """An IHMM member mid-cycle with 20 contact hours of training."""
    member = UserFactory(username="casey.hazmat", first_name="Casey", last_name="Hazmat")
    chmm = CredentialFactory(holder=member, program="ihmm", designation="CHMM",
                             certified_since=dt.date(2022, 3, 1), cycle_start=dt.date(2022, 3, 1),
                             cycle_end=dt.date(2027, 2, 28))  # fmt: skip
    services.reports_ensure_open(member=member)
    services.entry_create(
        member=member,
        program_code="ihmm",
        values={"kind": "ihmm.training", "date": dt.date(2025, 5, 5), "year": None,
                "quantity": Decimal(20), "organization": "", "group": "", "approved": False},
        details={"title": "Hazardous waste operations refresher"},
        credentials=[chmm],
    )  # fmt: skip
    return member


EXPECTED = {
    # username: texts the dashboard shows for that member on 15 September 2026
    "pat.portal": [
        "Submit by 12/31/2026 — 107 days left",
        "Next step: Enter 33 more points, by 12/31/2026",
        "Total",
        "17 of 50 points, 33 more needed",
        "IPMA-HR National Membership",
        "of max 6",
    ],
    "morgan.lee": ["Payment due", "Next step: Pay invoice"],
    "riley.lapsed": ["Lapsed", "Paper report form, mailing address and invoice"],
    "casey.hazmat": ["Submit by 02/28/2027 — 166 days left", "Total", "20 of"],
}


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["desktop", "phone"])
def test_each_member_s_home_shows_where_they_stand(
    new_context, live_server, axe_source, people, casey, viewport
):
    page = new_context(viewport=viewport, is_mobile=viewport is PHONE).new_page()
    problems: list[str] = []
    for username, texts in EXPECTED.items():
        page.context.clear_cookies()
        sign_in(page, live_server, username)
        page.goto(f"{live_server.url}/")
        card = page.get_by_test_id("where-you-stand").first
        for text in texts:
            expect(card).to_contain_text(text)
        expect(card.get_by_role("link", name="Questions about deadlines and fees?")).to_be_visible()
        problems += [f"{username}: {p}" for p in layout_problems(page)]
        check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)


def test_the_category_rows_are_a_labelled_table(new_context, live_server, people):
    page = new_context(viewport=VIEWPORTS[0]).new_page()
    sign_in(page, live_server, "pat.portal")
    page.goto(f"{live_server.url}/")
    table = page.get_by_role("table", name="IPMA-SCP: what counts so far, per category")
    expect(table.get_by_role("rowheader", name="Membership", exact=True)).to_be_visible()
    expect(
        table.get_by_role("row", name="— IPMA-HR National Membership 2 of max 6")
    ).to_be_visible()
