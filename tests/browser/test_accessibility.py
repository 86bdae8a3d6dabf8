"""axe-core on every member page, the public pages and the admin pages staff use: no serious or
critical violations (docs/accessibility.md).

Each test visits its pages in one browser session and reports every finding at once, naming the
page, the rule and the elements, so that one run shows all there is to fix.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from members.models import Credential
from recertification.models import Report
from tests.browser.people import member_pages
from tests.browser.support import admin_sign_in, check_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# localstripe's stand-in for Stripe's card element is not the portal's markup (real Stripe.js
# puts the card fields in its own iframe, which axe does not enter either).
CARD_ELEMENT = "#card-element > *"


def test_member_pages(page, live_server, axe_source, people):
    page.context.add_init_script(axe_source)
    problems: list[str] = []
    for username, paths in member_pages(people).items():
        page.context.clear_cookies()
        sign_in(page, live_server, username)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            check_accessible(page, axe_source, problems, exclude=(CARD_ELEMENT,))

    # The portal with a form's errors on it, and a status message.
    page.context.clear_cookies()
    sign_in(page, live_server, "pat.portal")
    page.goto(f"{live_server.url}/recertification/")
    page.locator("#cat-ipma-hr-pd form").first.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("The entry was not saved")
    check_accessible(page, axe_source, problems)
    # The profile menu folded on a phone, and unfolded.
    page.set_viewport_size({"width": 390, "height": 844})
    check_accessible(page, axe_source, problems)
    page.get_by_role("button", name="Profile menu").click()
    expect(page.get_by_role("link", name="Transactions")).to_be_visible()
    check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)


def test_public_pages(page, live_server, axe_source, people):
    page.context.add_init_script(axe_source)
    problems: list[str] = []
    for path in (
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/find/",
        "/accounts/password/reset/",
        "/rules/",
        "/rules/ipma-hr/",
        "/rules/namss/",
        "/rules/ihmm/",
        "/verify/",
        "/verify/?last_name=Portal&designation=IPMA-SCP",
        f"/verify/{people.certificate.code}/",
        "/verify/ZZZZZZZZZZZZ/",
        "/verify/?code=not-a-code",
        "/verify/badge/",
    ):
        page.goto(f"{live_server.url}{path}")
        check_accessible(page, axe_source, problems)

    # A badge file checked: one that is not a badge.
    page.goto(f"{live_server.url}/verify/badge/")
    page.get_by_label("Badge file").set_input_files(
        files=[{"name": "notes.json", "mimeType": "application/json", "buffer": b"[1, 2]"}]
    )
    page.get_by_role("button", name="Check the badge file").click()
    expect(page.get_by_role("heading", name="Not a badge file")).to_be_visible()
    check_accessible(page, axe_source, problems)

    # A failed sign-in, and a sign-up with errors.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill("pat.portal")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    check_accessible(page, axe_source, problems)
    page.goto(f"{live_server.url}/accounts/signup/")
    page.locator("main form").get_by_role("button").last.click()
    check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)


def test_admin_pages_staff_use(page, new_context, live_server, axe_source, people, reviewer,
                               administrator):  # fmt: skip
    report = Report.objects.get(member=people.morgan)
    lapsed = Credential.objects.get(holder=people.riley)
    invoice = people.invoice
    problems: list[str] = []
    page.context.add_init_script(axe_source)
    page.goto(f"{live_server.url}/admin/login/")
    check_accessible(page, axe_source, problems)
    admin_sign_in(page, live_server, "rita.reviewer")
    for path in (
        "/admin/",
        "/admin/recertification/report/",  # the review queue
        f"/admin/recertification/report/{report.pk}/change/",
        f"/admin/recertification/report/{report.pk}/act/approve/",
        "/admin/members/credential/",
        f"/admin/members/credential/{lapsed.pk}/change/",
        f"/admin/members/credential/{lapsed.pk}/paper-report/",
        "/admin/members/membershiprecord/",
        "/admin/members/membershiprecord/import/",
        "/admin/payments/invoice/",
        f"/admin/payments/invoice/{invoice.pk}/change/",
    ):
        page.goto(f"{live_server.url}{path}")
        check_accessible(page, axe_source, problems)

    # The paper report's preview, with a row of activity and its total.
    page.goto(f"{live_server.url}/admin/members/credential/{lapsed.pk}/paper-report/")
    page.get_by_label("Row 1: Kind").select_option(label="Research article")
    page.get_by_label("Row 1: Date").fill("2023-02-01")
    page.get_by_role("button", name="Preview total").click()
    expect(page.locator("#preview")).to_contain_text("Total: 5 of 50")
    check_accessible(page, axe_source, problems)

    staff_context = new_context()
    staff_context.add_init_script(axe_source)
    staff = staff_context.new_page()
    admin_sign_in(staff, live_server, "ada.admin")
    for path in (
        f"/admin/payments/invoice/{invoice.pk}/record-check/",
        f"/admin/payments/invoice/{invoice.pk}/cancel/",
        "/admin/payments/payment/",
        "/admin/recertification/programsettings/",
        f"/admin/members/user/{people.pat.pk}/change/",
    ):
        staff.goto(f"{live_server.url}{path}")
        check_accessible(staff, axe_source, problems)
    assert not problems, "\n".join(problems)
