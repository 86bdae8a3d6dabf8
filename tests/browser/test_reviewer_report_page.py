"""A reviewer checks a NAMSS report on its page (declared columns, approved subtotal against the
minimum, the certificate inline), decides its audit on one page, and the member reads the note;
an administrator records an IPMA-HR paper report held to each row's limit (docs/staff.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from backoffice import audits as staff_audits
from members.models import Credential
from tests.browser.support import admin_sign_in, check_accessible, layout_problems, noon, sign_in
from tests.factories import CredentialFactory, EntryFileFactory, UserFactory, report_for
from tests.staff.conftest import fill, pay, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "The certificate is dated after the activity and names another provider."


def namss_report_under_audit(reviewer):
    member = UserFactory(username="nora.namss", first_name="Nora", last_name="Nash")
    credential = CredentialFactory(holder=member, program="namss", designation="CPCS",
                                   certified_since=dt.date(2017, 12, 2),
                                   cycle_start=dt.date(2023, 12, 2), cycle_end=dt.date(2026, 12, 1))  # fmt: skip
    report = report_for(credential)
    fill(report, 2)
    for entry in report.entries.all():
        entry.details = {**entry.details, "provider": "NAMSS Education", "location": "Chicago, IL"}
        entry.save()
        EntryFileFactory(entry=entry, original_name=f"certificate-{entry.pk}.pdf")
    report = pay(submit(report))
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    report.refresh_from_db()
    return report


def test_a_reviewer_checks_and_audits_a_namss_report_and_the_member_reads_the_note(
    new_context, live_server, axe_source, clock, reviewer, administrator
):
    clock(noon(2026, 11, 20))
    report = namss_report_under_audit(reviewer)
    problems: list[str] = []
    context = new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    admin_sign_in(page, live_server, "rita.reviewer")

    page.goto(f"{live_server.url}/admin/recertification/report/{report.pk}/change/")
    entries = page.locator("#entries")
    for label in ("Activity title", "Provider", "Credits", "NAMSS approved", "Location"):
        expect(entries.get_by_role("columnheader", name=label, exact=True)).to_be_visible()
    expect(entries).to_contain_text("NAMSS Education")
    subtotals = page.locator("#subtotals")
    expect(subtotals).to_contain_text("NAMSS-approved credits")
    expect(subtotals).to_contain_text("15 of at least 15")
    frame = entries.locator("iframe").first
    expect(frame).to_be_attached()
    document = page.request.get(live_server.url + frame.get_attribute("src"))
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"].startswith("inline")
    assert document.headers["x-content-type-options"] == "nosniff"
    check_accessible(page, axe_source, problems)

    page.get_by_role("link", name="Decide the audit of every entry").click()
    rows = page.locator("#audit-entries tbody tr")
    expect(rows).to_have_count(2)
    rows.nth(0).get_by_label("Accepted").check()
    rows.nth(1).get_by_label("Rejected").check()
    rows.nth(1).get_by_role("textbox").fill(NOTE)
    check_accessible(page, axe_source, problems)
    page.get_by_role("button", name="Save the decisions").click()
    expect(page.locator(".messagelist")).to_contain_text("2 decisions saved")
    expect(page.locator("#entries")).to_contain_text(NOTE)

    page.get_by_role("link", name="Fail audit").click()
    page.get_by_label("Reason").fill(
        "Not enough NAMSS-approved credits without the rejected entry."
    )
    page.get_by_role("button", name="Fail audit").click()
    expect(page.locator(".messagelist")).to_contain_text("fail audit done")

    member = new_context().new_page()
    sign_in(member, live_server, "nora.namss")
    member.goto(f"{live_server.url}/recertification/summary/")
    row = member.locator("tr", has_text="Webinar series")
    expect(row).to_contain_text("Rejected")
    expect(row).to_contain_text(NOTE)
    check_accessible(member, axe_source, problems)
    assert not problems, "\n".join(problems)


def test_an_administrator_records_an_ipma_hr_paper_report_held_to_each_rows_limit(
    new_context, live_server, axe_source, clock, administrator
):
    clock(noon(2026, 11, 20))
    credential = CredentialFactory(
        holder=UserFactory(first_name="Lee", last_name="Lapsed"),
        program="ipma-hr",
        designation="IPMA-CP",
        certified_since=dt.date(2015, 6, 1),
        cycle_start=dt.date(2021, 1, 1),
        cycle_end=dt.date(2023, 12, 31),
        status=Credential.Status.LAPSED,
    )
    problems: list[str] = []
    context = new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    admin_sign_in(page, live_server, "ada.admin")
    page.goto(f"{live_server.url}/admin/members/credential/{credential.pk}/paper-report/")
    head = page.locator("#paper-rows thead")
    expect(head).to_contain_text("Sponsor")
    expect(head).not_to_contain_text("Approved")
    expect(head).not_to_contain_text("Group")
    assert not layout_problems(page), layout_problems(page)
    check_accessible(page, axe_source, problems)

    page.get_by_label("Row 1: Kind").select_option("ipma.pd.college")
    page.get_by_label("Row 1: Date").fill("2022-03-01")
    page.get_by_label("Row 1: Number of Professional Development Days / Credit hours").fill("99999")
    page.get_by_label("Row 1: Title", exact=False).first.fill("Master of Public Administration")
    page.get_by_label("Row 1: Sponsor", exact=False).fill("State University")
    page.get_by_label("Row 2: Kind").select_option("ipma.pd.full_day")
    page.get_by_label("Row 2: Date").fill("2022-05-01")
    page.get_by_label("Row 2: Number of Professional Development Days / Credit hours").fill("5")
    page.get_by_role("button", name="Preview total").click()
    expect(page.locator("#paper-report")).to_contain_text(
        "College/University course: at most 21 credit hours on one entry (got 99,999)."
    )
    assert not layout_problems(page), layout_problems(page)
    check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)
