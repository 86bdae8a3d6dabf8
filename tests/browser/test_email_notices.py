"""The emails members expect, in a browser on a phone and on a desktop: a member of each program
(IPMA-HR, NAMSS dual, IHMM, and a lapsed member) changes their email address through the link sent
to the new one; a member submits a report and gets one email naming its invoice; a new account
sees "Confirm your email address" until the link is opened. axe-core checks every page visited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from members.models import Notification, User
from tests.browser.support import PHONE, check_accessible, sign_in, status_message
from tests.factories import PASSWORD, CredentialFactory, EntryFactory, UserFactory, report_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": PHONE, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(params=list(VIEWPORTS))
def screen(request, new_context, axe_source):
    phone = request.param == "phone"
    context = new_context(viewport=VIEWPORTS[request.param], is_mobile=phone, has_touch=phone)
    context.add_init_script(axe_source)
    return context.new_page()


def ihmm_member() -> User:
    member = UserFactory(
        username="ivy.ihmm", email="ivy@example.org", first_name="Ivy", last_name="Hazmat"
    )
    CredentialFactory(holder=member, program="ihmm", designation="CHMM",
                      cycle_start=dt.date(2022, 3, 1), cycle_end=dt.date(2027, 2, 28))  # fmt: skip
    return member


def link_path(notification: Notification, name: str) -> str:
    found = re.search(rf"https?://[^/\s]+(/profile/email/{name}/[^/\s]+/)", notification.body_text)
    assert found, notification.body_text
    return found.group(1)


def test_each_program_member_changes_their_email(screen, live_server, axe_source, people):
    ihmm_member()
    problems: list[str] = []
    for username in ("pat.portal", "morgan.lee", "ivy.ihmm", "riley.lapsed"):
        member = User.objects.get(username=username)
        old, new = member.email, f"{username}.new@example.org"
        screen.context.clear_cookies()
        sign_in(screen, live_server, username)
        screen.goto(f"{live_server.url}/profile/")
        screen.locator("#id_email").fill(new)
        screen.get_by_label("Current password").fill(PASSWORD)
        screen.get_by_role("button", name="Save", exact=True).click()
        expect(status_message(screen)).to_contain_text(f"We have sent a link to {new}")
        expect(screen.get_by_role("heading", name=f"Pending confirmation: {new}")).to_be_visible()
        expect(screen.locator("#id_email")).to_have_value(old)
        check_accessible(screen, axe_source, problems)

        notices = Notification.objects.filter(member=member)
        assert notices.get(kind="email_change_notice").to_email == old
        confirm = notices.get(kind="email_change_confirm")
        assert confirm.to_email == new and confirm.status == Notification.Status.SENT
        screen.goto(f"{live_server.url}{link_path(confirm, 'confirm')}")
        expect(screen.get_by_role("heading", name="Confirm your new email address")).to_be_visible()
        check_accessible(screen, axe_source, problems)
        screen.get_by_role("button", name="Use this email address").click()
        expect(status_message(screen)).to_contain_text(f"Your email address is now {new}")
        expect(screen.locator("#id_email")).to_have_value(new)
        expect(screen.get_by_text("Pending confirmation")).to_have_count(0)
        check_accessible(screen, axe_source, problems)
        changed = notices.get(kind="email_changed")
        assert changed.to_email == old and new in changed.body_text
    assert not problems, "\n".join(problems)


def test_a_submitting_member_gets_one_email_with_the_invoice(
    screen, live_server, axe_source, people
):
    problems: list[str] = []
    # Morgan (NAMSS dual) submitted in the fixture: one email names both credentials and the invoice.
    [morgan_email] = Notification.objects.filter(member=people.morgan)
    assert morgan_email.kind == "report_submitted"
    assert "CPCS" in morgan_email.body_text and "CPMSM" in morgan_email.body_text
    assert people.invoice.number in morgan_email.body_text

    sky = UserFactory(username="sky.submit", email="sky@example.org", first_name="Sky")
    credential = CredentialFactory(holder=sky, designation="IPMA-CP")
    EntryFactory(member=sky, kind="ipma.pd.full_day", date=dt.date(2024, 3, 5), quantity=17,
                 details={"title": "HR Academy", "sponsor": "IPMA-HR"},
                 reports=[report_for(credential)])  # fmt: skip
    sign_in(screen, live_server, "sky.submit")
    screen.goto(f"{live_server.url}/recertification/submit/")
    check_accessible(screen, axe_source, problems)
    screen.get_by_label("Agreement (must be selected)").select_option("Agree")
    screen.get_by_role("button", name="Submit", exact=True).click()
    expect(screen.get_by_role("heading", name="Transactions")).to_be_visible()
    check_accessible(screen, axe_source, problems)

    [email] = Notification.objects.filter(member=sky)
    invoice = sky.invoices.get()
    assert email.kind == "report_submitted" and email.status == Notification.Status.SENT
    assert email.to_email == "sky@example.org"
    for expected in ("IPMA-CP", "51 of 50 points", invoice.number, f"{invoice.total} USD",
                     f"/transactions/invoices/{invoice.number}/pay/"):  # fmt: skip
        assert expected in email.body_text, expected
    assert not problems, "\n".join(problems)


def test_a_new_account_confirms_its_email_address(screen, live_server, axe_source, people):
    problems: list[str] = []
    screen.goto(f"{live_server.url}/accounts/signup/")
    check_accessible(screen, axe_source, problems)
    screen.get_by_label("First name").fill("Alex")
    screen.get_by_label("Last name").fill("Rivera")
    screen.locator("#id_email").fill("alex.rivera@example.org")
    screen.get_by_label("Confirm email").fill("alex.rivera@example.org")
    screen.get_by_label("Create password").fill("a-long-passphrase-1")
    screen.get_by_label("Confirm password").fill("a-long-passphrase-1")
    screen.get_by_role("button", name="Create account").click()

    # The same page whether or not the address had an account: not signed in yet.
    expect(screen.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(screen.get_by_text("alex.rivera@example.org")).to_be_visible()
    check_accessible(screen, axe_source, problems)
    sign_in(screen, live_server, "alex.rivera", "a-long-passphrase-1")

    banner = screen.get_by_role("region", name="Confirm your email address")
    expect(banner).to_be_visible()
    check_accessible(screen, axe_source, problems)
    banner.get_by_role("button", name="Send the link again").click()
    expect(status_message(screen)).to_contain_text("We have sent a new link")
    screen.goto(f"{live_server.url}/profile/")
    expect(screen.get_by_role("region", name="Confirm your email address")).to_be_visible()
    check_accessible(screen, axe_source, problems)

    alex = User.objects.get(email="alex.rivera@example.org")
    assert alex.email_verified_at is None
    link = Notification.objects.filter(member=alex, kind="email_verify").first()
    screen.goto(f"{live_server.url}{link_path(link, 'verify')}")
    check_accessible(screen, axe_source, problems)
    screen.get_by_role("button", name="Confirm my email address").click()
    expect(status_message(screen)).to_contain_text("is confirmed")
    expect(screen.get_by_role("region", name="Confirm your email address")).to_have_count(0)
    check_accessible(screen, axe_source, problems)
    alex.refresh_from_db()
    assert alex.email_verified_at is not None
    assert not problems, "\n".join(problems)
