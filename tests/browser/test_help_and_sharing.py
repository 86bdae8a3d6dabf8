"""From the portal's deadline box to the program's help page, and sharing a current certificate,
on a phone and on a desktop, for a member of each program and a lapsed one: the help link leads
to the late-fee answer of the member's own program; the certificates page offers Add to LinkedIn
and a Copy link button that works from the keyboard and says "Link copied". axe-core finds nothing
serious on any page, and nothing scrolls sideways on the phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from recertification import rules
from tests.browser.people import everyone
from tests.browser.support import (
    PHONE,
    check_accessible,
    layout_problems,
    noon,
    sign_in,
)
from tests.factories import CredentialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(params=["phone", "desktop"])
def screen(request, new_context):
    phone = request.param == "phone"
    context = new_context(viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.is_phone = phone
    return page


@pytest.fixture
def members(clock):
    """The demo members (IPMA-HR, NAMSS dual, lapsed IPMA-HR) and an IHMM member, on 15 September
    2026, each with the program whose help page their deadline box links to."""
    clock(noon(2026, 9, 15))
    people = everyone()
    casey = UserFactory(
        username="casey.hazmat", email="casey@example.org", first_name="Casey", last_name="Hazmat"
    )
    CredentialFactory(
        holder=casey,
        program="ihmm",
        designation="CHMM",
        cycle_start=dt.date(2022, 3, 1),
        cycle_end=dt.date(2027, 2, 28),
    )
    credentials = {
        "pat.portal": people.pat.credentials.get(),
        "morgan.lee": people.morgan.credentials.first(),
        "casey.hazmat": casey.credentials.get(),
        "riley.lapsed": people.riley.credentials.get(),
    }
    return people, {name: rules.get_program(c.program) for name, c in credentials.items()}


def _check(page, axe_source, problems: list[str]) -> None:
    check_accessible(page, axe_source, problems)
    if page.is_phone:
        problems.extend(layout_problems(page))


def test_the_deadline_box_leads_to_the_late_fee_answer(screen, live_server, axe_source, members):
    page = screen
    _, programs = members
    problems: list[str] = []
    for username, program in programs.items():
        page.context.clear_cookies()
        sign_in(page, live_server, username)
        page.goto(f"{live_server.url}/recertification/")
        _check(page, axe_source, problems)
        box = page.get_by_test_id("where-you-stand").first
        link = box.get_by_role("link", name="Questions about deadlines and fees?")
        link.scroll_into_view_if_needed()
        link.click()
        expect(page).to_have_url(f"{live_server.url}/rules/{program.code}/help/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(program.name)
        _check(page, axe_source, problems)

        # The list of questions leads to the late-fee answer, which is the program's own.
        page.get_by_role("link", name="Is there a late fee?").click()
        expect(page).to_have_url(re.compile(r"#late-fee$"))
        heading = page.locator("h2#late-fee")
        expect(heading).to_be_in_viewport()
        answer = page.locator("section[aria-labelledby=late-fee]")
        if "on_time_until" in program.deadlines_for(2026) and "late" in program.default_fees():
            late = program.default_fees()["late"]
            expect(answer).to_contain_text(rules.format_money(late.amount, late.currency))
        else:
            expect(answer).to_contain_text(f"{program.name} does not charge a late fee")
    assert not problems, "\n".join(problems)


def test_a_current_certificate_is_shared_from_the_keyboard(
    screen, live_server, axe_source, members
):
    page = screen
    people, _ = members
    certificate = people.certificate
    problems: list[str] = []
    sign_in(page, live_server, "pat.portal")
    page.goto(f"{live_server.url}/profile/certificates/")
    _check(page, axe_source, problems)

    linkedin = page.get_by_role("link", name="Add to LinkedIn")
    expect(linkedin).to_have_count(1)
    expect(linkedin).to_have_attribute(
        "href",
        re.compile(r"^https://www\.linkedin\.com/profile/add\?startTask=CERTIFICATION_NAME&"),
    )
    field = page.get_by_label("Verification link to share")
    expect(field).to_have_attribute("readonly", "")
    expect(field).to_have_value(re.compile(rf"/verify/{certificate.code}/$"))

    # Keyboard only: from the field, Tab to the button and press it.
    field.focus()
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="Copy link")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Link copied")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.endswith(f"/verify/{certificate.code}/")
    page.keyboard.press("Space")
    expect(page.get_by_role("status").filter(has_text="Link copied")).to_be_visible()
    _check(page, axe_source, problems)
    assert not problems, "\n".join(problems)


def test_without_javascript_the_link_is_a_selectable_field(browser, live_server, members):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "pat.portal")
    page.goto(f"{live_server.url}/profile/certificates/")
    expect(page.get_by_label("Verification link to share")).to_be_visible()
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    context.close()
