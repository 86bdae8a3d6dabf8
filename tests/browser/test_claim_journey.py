"""A certificant migrated from paper links an account to the record, in Chromium on a desktop and
a phone: from the sign-in page to "Link your certification", the four details, the emailed link,
a username and password of their choosing, and Home with their credential. axe-core finds nothing
serious on the pages on the way, and each fits the phone's width.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from members.models import Credential
from tests.browser.support import PHONE, check_accessible, layout_problems, noon
from tests.factories import CredentialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def paper_certificant(db):
    """An IPMA-SCP certified in 2011, entered from the paper file: no password, never signed in."""
    member = UserFactory(
        username="record-31270045",
        member_number="31270045",
        email="terry.oconnor@example.org",
        first_name="Terry",
        last_name="O’Connor",
    )
    member.set_unusable_password()
    member.save(update_fields=["password"])
    CredentialFactory(
        holder=member,
        designation="IPMA-SCP",
        certified_since=dt.date(2011, 6, 15),
        cycle_start=dt.date(2024, 1, 1),
        cycle_end=dt.date(2026, 12, 31),
        status=Credential.Status.RENEW,
    )
    return member


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_migrated_certificant_claims_the_record(
    page, live_server, clock, axe_source, paper_certificant, viewport
):
    if viewport:
        page.set_viewport_size(viewport)
    problems: list[str] = []

    def checked() -> None:
        check_accessible(page, axe_source, problems)
        if viewport:
            problems.extend(layout_problems(page))

    clock(noon(2026, 3, 10))
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("main")).to_contain_text("Already certified?")
    page.get_by_role("link", name="Link your certification").click()

    expect(page.get_by_role("heading", name="Link your certification")).to_be_visible()
    checked()
    page.get_by_role("button", name="Send me a link").click()  # nothing typed
    expect(page.get_by_text("This field is required.")).to_have_count(4)
    checked()

    page.get_by_label("Member number").fill("3127 0045")
    page.get_by_label("Certification date").fill("2011-06-15")
    page.get_by_label("Last name").fill("o'connor")
    page.get_by_label("Email").fill("Terry.OConnor@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Terry.OConnor@example.org")
    checked()

    assert [m.to for m in mail.outbox] == [["terry.oconnor@example.org"]]
    link = re.search(r"https?://\S+(/accounts/claim/link/\S+/)", mail.outbox[0].body).group(1)
    page.goto(f"{live_server.url}{link}")
    expect(page).to_have_url(f"{live_server.url}/accounts/claim/account/")
    expect(page.get_by_role("heading", name="Choose your username and password")).to_be_visible()
    expect(page.locator("main")).to_contain_text("31270045")
    checked()

    page.get_by_label("Username").fill("terry.oc")
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill("paper-to-portal-2026")
    page.get_by_label("Confirm password").fill("paper-to-portal-2026")
    page.get_by_role("button", name="Create my account").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome Terry O’Connor")).to_be_visible()
    expect(page.get_by_role("cell", name="IPMA-SCP")).to_be_visible()
    checked()

    # The link worked once.
    page.goto(f"{live_server.url}{link}")
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert not problems, "\n".join(problems)
