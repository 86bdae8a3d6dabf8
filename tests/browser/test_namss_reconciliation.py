"""A NAMSS dual certificant reconciles the report, in Chromium (defect 8).

(a) The Detailed Summary shows per entry whether it is NAMSS approved and whether its CE
certificate is attached, and states the approved minimum, so "17.5 more NAMSS-approved credits
are needed" can be traced to the entries (on a phone too). (b) "Counts toward" says what the
member's choice controls: CPCS and CPMSM share one report, so they are one choice. (c) The edit
form has "Counts toward" as well.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from recertification import services
from recertification.models import Entry, Report
from tests.browser.support import (
    PHONE,
    check_accessible,
    layout_problems,
    namss_dual_certificant,
    noon,
    sign_in,
)
from tests.factories import EntryFactory, EntryFileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHARED = "CPCS (cycle ends 12/01/2026) and CPMSM (cycle ends 12/01/2026): one report"


@pytest.fixture
def jordan(db, clock):
    """CPCS and CPMSM on one cycle (one report): 7.5 approved credits with their certificate,
    30 credits not approved without one."""
    clock(noon(2026, 9, 15))
    member = namss_dual_certificant("jordan.blake", "Jordan", "Blake")
    services.reports_ensure_open(member=member)
    report = Report.objects.get(member=member)
    approved = EntryFactory(
        member=member, program="namss", kind="namss.ce", category="ce",
        date=dt.date(2025, 9, 15), quantity=Decimal("7.5"), approved=True, reports=[report],
        details={"title": "NAMSS Annual Conference", "provider": "NAMSS", "location": "Online"},
    )  # fmt: skip
    EntryFileFactory(entry=approved, original_name="annual-conference-certificate.pdf")
    EntryFactory(
        member=member, program="namss", kind="namss.ce", category="ce",
        date=dt.date(2025, 10, 1), quantity=Decimal("30"), approved=False, reports=[report],
        details={"title": "Hospital compliance course", "provider": "Regional Medical Center",
                 "location": "Chicago, IL"},
    )  # fmt: skip
    return member


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"]
)
def test_the_summary_traces_the_approved_shortfall_to_the_entries(
    page, live_server, jordan, axe_source, viewport
):
    page.set_viewport_size(viewport)
    sign_in(page, live_server, "jordan.blake")
    page.goto(f"{live_server.url}/recertification/summary/")
    main = page.get_by_role("main")
    expect(main).to_contain_text("17.5 more NAMSS-approved credits are needed (7.5 of 25).")
    expect(main).to_contain_text(
        "NAMSS-approved credits: 7.5 of 25 counted (on entries marked “Yes” under NAMSS approved)."
    )
    table = page.get_by_role("table", name="Continuing Education entries")
    expect(table.get_by_role("columnheader", name="NAMSS approved")).to_have_count(1)
    expect(table.get_by_role("columnheader", name="CE certificate")).to_have_count(1)
    conference = table.get_by_role("row").filter(has_text="NAMSS Annual Conference")
    course = table.get_by_role("row").filter(has_text="Hospital compliance course")
    expect(conference.locator('td[data-label="NAMSS approved"]')).to_have_text("Yes")
    expect(course.locator('td[data-label="NAMSS approved"]')).to_have_text("No")
    expect(conference.get_by_role("link", name="annual-conference-certificate.pdf")).to_be_visible()
    expect(course.locator('td[data-label="CE certificate"]')).to_have_text("None attached")
    problems: list[str] = []
    check_accessible(page, axe_source, problems)
    problems += layout_problems(page)
    assert not problems, "\n".join(problems)


def test_counts_toward_is_one_choice_for_the_shared_report(page, live_server, jordan, axe_source):
    sign_in(page, live_server, "jordan.blake")
    page.goto(f"{live_server.url}/recertification/")
    form = page.locator("#cat-namss-ce form")
    choices = form.get_by_role("checkbox")
    expect(choices).to_have_count(1)
    shared = form.get_by_label(SHARED)
    expect(shared).to_be_checked()
    expect(form).to_contain_text(
        "CPCS and CPMSM are recertified together on one report with one requirement, so an "
        "activity counts toward both."
    )
    # Unticked, it counts toward nothing: refused where the member is, nothing saved.
    form.get_by_label("Activity title").fill("Payer enrollment workshop")
    form.get_by_label("Provider").fill("Regional Medical Center")
    form.get_by_label("Date").fill("2026-02-03")
    form.get_by_label("Credits").fill("2")
    form.get_by_label("Location").fill("Online")
    shared.uncheck()
    form.get_by_role("button", name="Save", exact=True).click()
    form = page.locator("#cat-namss-ce form")
    expect(form).to_contain_text("Choose at least one certification this activity counts toward.")
    assert not Entry.objects.filter(details__title="Payer enrollment workshop").exists()
    problems: list[str] = []
    check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)
    form.get_by_label(SHARED).check()
    form.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#saved [role=status]")).to_contain_text(
        "CPCS + CPMSM: this entry counts 2; 39.5 of 45 credits now."
    )


def test_the_edit_form_has_counts_toward(page, live_server, jordan, axe_source):
    entry = Entry.objects.get(details__title="Hospital compliance course")
    sign_in(page, live_server, "jordan.blake")
    page.goto(f"{live_server.url}/recertification/summary/")
    page.get_by_role("link", name="Edit Hospital compliance course").click()
    expect(page.get_by_role("heading", name="Edit entry: Continuing Education")).to_be_visible()
    expect(page.get_by_role("group", name="Counts toward")).to_be_visible()
    expect(page.get_by_label(SHARED)).to_be_checked()
    problems: list[str] = []
    check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)
    page.get_by_label("NAMSS approved").select_option("Yes")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text(
        "NAMSS-approved credits: 37.5 of 25 counted (on entries marked “Yes” under NAMSS approved)."
    )
    entry.refresh_from_db()
    assert entry.approved
    assert [r.designations for r in entry.reports.all()] == ["CPCS + CPMSM"]
