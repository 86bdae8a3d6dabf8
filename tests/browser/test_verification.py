"""Journey 5, in Chromium: anyone verifies a renewed credential by the code on its certificate."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.support import noon, renewed, sign_in
from tests.factories import CredentialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dana(db, reviewer):
    member = UserFactory(
        username="dana.whitfield",
        email="dana@example.org",
        first_name="Dana",
        last_name="Whitfield",
    )
    credential = CredentialFactory(
        holder=member,
        designation="IPMA-SCP",
        cycle_start=dt.date(2024, 1, 1),
        cycle_end=dt.date(2026, 12, 31),
    )
    return member, credential


def test_a_renewed_credential_is_verified_by_its_code(page, new_context, live_server, clock, dana,
                                                      reviewer):  # fmt: skip
    clock(noon(2026, 3, 10))
    renewed(dana[1], reviewer)

    # The member finds the code on the Certificates page.
    sign_in(page, live_server, "dana.whitfield")
    page.goto(f"{live_server.url}/profile/certificates/")
    certificates = page.get_by_role("table", name="Your certificates")
    code = certificates.locator("td[data-label='Verification code'] a").inner_text()
    assert len(code) == 14 and code.count("-") == 2  # ABCD-EFGH-JKMN

    # An employer, not signed in, verifies it: typed in lower case, spaces for hyphens.
    visitor = new_context().new_page()
    visitor.goto(f"{live_server.url}/")
    visitor.get_by_role("contentinfo").get_by_role("link", name="Verify a certification").click()
    visitor.get_by_label("Verification code").fill(code.lower().replace("-", " "))
    visitor.get_by_role("button", name="Verify").click()
    result = visitor.get_by_role("main")
    expect(result).to_contain_text("In good standing")
    expect(result).to_contain_text("Dana Whitfield")
    expect(result).to_contain_text("IPMA-SCP – Senior Certified Professional (IPMA-HR)")
    expect(result).to_contain_text("12/31/2029")  # the renewed cycle
    expect(result).to_contain_text(code)
    expect(result).not_to_contain_text("dana@example.org")

    # By last name and designation, then a code that does not exist.
    visitor.get_by_role("link", name="Verify another certification").click()
    visitor.get_by_label("Last name").fill("whitfield")
    visitor.get_by_label("Designation").select_option("IPMA-SCP")
    visitor.get_by_role("button", name="Verify").click()
    found = visitor.get_by_role("table", name="Certificants found")
    expect(found).to_contain_text("Dana Whitfield")
    expect(found).to_contain_text("In good standing")
    visitor.get_by_label("Last name").fill("")
    visitor.get_by_label("Verification code").fill("ZZZZ-ZZZZ-ZZZZ")
    visitor.get_by_role("button", name="Verify").click()
    expect(visitor.get_by_role("alert")).to_contain_text("No certificate found")


def test_the_member_checks_the_downloaded_badge_and_an_employer_a_changed_one(
    page, new_context, live_server, clock, dana, reviewer, tmp_path, settings
):
    settings.SITE_URL = live_server.url  # the verification links are absolute
    clock(noon(2026, 3, 10))
    renewed(dana[1], reviewer)

    # The member downloads the badge, then follows "Verify this badge" to the public page.
    sign_in(page, live_server, "dana.whitfield")
    page.goto(f"{live_server.url}/profile/certificates/")
    expect(page.get_by_role("heading", name="About your digital badge")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Digital badge (IPMA-SCP)").click()
    badge = tmp_path / download.value.suggested_filename
    download.value.save_as(badge)
    page.get_by_role("link", name="Verify this badge (IPMA-SCP)").click()
    assert page.url.endswith("#badge")
    section = page.locator("#badge")
    expect(section.get_by_role("heading", name="Digital badge")).to_be_visible()

    # Checking the file there: genuine and current, with only what /verify/ shows.
    section.get_by_label("Badge file").set_input_files(badge)
    section.get_by_role("button", name="Check the badge file").click()
    result = page.get_by_role("main")
    expect(page.get_by_role("heading", name="Genuine and current")).to_be_visible()
    expect(result).to_contain_text("Dana Whitfield")
    expect(result).not_to_contain_text("dana@example.org")

    # An employer given a copy with a later valid-until date is told it is not genuine.
    changed = tmp_path / "changed.json"
    changed.write_text(
        badge.read_text(encoding="utf-8").replace('"validUntil": "2030', '"validUntil": "2031'),
        encoding="utf-8",
    )
    assert changed.read_text(encoding="utf-8") != badge.read_text(encoding="utf-8")
    visitor = new_context().new_page()
    visitor.goto(f"{live_server.url}/verify/")
    visitor.get_by_role("region", name="Check a badge file").get_by_label(
        "Badge file"
    ).set_input_files(changed)
    visitor.get_by_role("button", name="Check the badge file").click()
    expect(visitor.get_by_role("heading", name="Not genuine")).to_be_visible()
