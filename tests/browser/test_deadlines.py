"""Where you stand, in a browser: a NAMSS dual certificant on 30 November sees the deadline of
1 December with its countdown, the late fee, the lapse and the grace period, and the next step, on
Home and on the Recertification Portal, on a desktop and on a phone, with no axe-core finding."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from recertification.models import ReportCredential
from tests.browser.support import PHONE, check_accessible, layout_problems, noon, sign_in
from tests.factories import CredentialFactory, UserFactory, report_for
from tests.lifecycle.conftest import NAMSS, namss_credits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dual(clock):
    clock(noon(2026, 11, 30))
    member = UserFactory(username="dana.dual", first_name="Dana", last_name="Dual")
    cpcs = CredentialFactory(holder=member, certified_since=dt.date(2017, 6, 1), **NAMSS)
    cpmsm = CredentialFactory(
        holder=member, certified_since=dt.date(2017, 6, 1), **(NAMSS | {"designation": "CPMSM"})
    )
    report = report_for(cpcs)
    ReportCredential.objects.create(report=report, credential=cpmsm, cycle_start=cpmsm.cycle_start)
    namss_credits(report, credits="15", approved=True)
    namss_credits(report, credits="12.5", approved=False)
    return member


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"]
)
def test_the_deadline_is_visible_on_home_and_the_portal(
    page, live_server, axe_source, dual, viewport
):
    page.set_viewport_size(viewport)
    page.context.add_init_script(axe_source)
    sign_in(page, live_server, "dana.dual")
    problems: list[str] = []
    for path in ("/", "/recertification/"):
        page.goto(f"{live_server.url}{path}")
        stand = page.get_by_role("region", name="Where you stand")
        expect(stand).to_contain_text("CPCS and CPMSM")
        expect(stand).to_contain_text("Submit by 12/01/2026 — 1 day left")
        expect(stand).to_contain_text("late fee of 50.00 USD")
        expect(stand).to_contain_text("lapses on 01/01/2027")
        expect(stand).to_contain_text("reinstated until 06/30/2027")
        expect(stand).to_contain_text("Enter 17.5 more credits, 10 NAMSS-approved, by 12/01/2026")
        check_accessible(page, axe_source, problems)
        if viewport == PHONE:
            problems += layout_problems(page)
    assert not problems, "\n".join(problems)
