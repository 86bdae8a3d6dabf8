"""Staff in the back office, one journey per role: the administrator opens the dashboard, follows
a figure to its list and assigns a report; the reviewer finds it in "My queue" with the documents
an audited member sent; the administrator keeps an internal note on a member's page. Every page
passes axe-core with no serious finding."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from backoffice.audits import report_select_for_audit
from backoffice.models import MemberNote
from recertification.models import Report
from tests.browser.support import admin_sign_in, check_accessible, noon
from tests.factories import EntryFileFactory
from tests.staff.conftest import submitted_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_dashboard_assignment_and_member_page(
    page, new_context, live_server, axe_source, clock, reviewer, administrator
):
    clock(noon(2026, 11, 20))
    waiting = submitted_report()
    audited = submitted_report()
    report_select_for_audit(report=audited, actor=administrator, reason="Spot check")
    clock(noon(2026, 11, 20) + dt.timedelta(hours=2))
    EntryFileFactory(entry=audited.entries.first())  # the member's documents, after the selection
    problems: list[str] = []

    # The administrator: dashboard, a figure to its filtered list, assignment from the queue.
    page.context.add_init_script(axe_source)
    admin_sign_in(page, live_server, "ada.admin")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Reports by status and program")).to_be_visible()
    check_accessible(page, axe_source, problems)
    page.locator('a[data-figure="status:ipma-hr:in_review"]').click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text(waiting.member.member_number)
    check_accessible(page, axe_source, problems)
    page.locator(f'input.action-select[value="{waiting.pk}"]').check()
    page.locator("select[name=action]").select_option("bulk_assign")
    page.locator("button[name=index]").click()
    page.get_by_label("Assign to").select_option(str(reviewer.pk))
    check_accessible(page, axe_source, problems)
    page.locator("input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("1 report(s) assigned to rita.reviewer")
    Report.objects.filter(pk=audited.pk).update(assigned_to=reviewer)

    # The reviewer: "My queue", with the audited report's documents received.
    reviewer_context = new_context()
    reviewer_context.add_init_script(axe_source)
    staff = reviewer_context.new_page()
    admin_sign_in(staff, live_server, "rita.reviewer")
    staff.goto(f"{live_server.url}/admin/recertification/report/")
    staff.get_by_role("link", name="My queue").first.click()
    rows = staff.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=audited.member.member_number)).to_contain_text("documents received")
    check_accessible(staff, axe_source, problems)
    staff.get_by_role("link", name="Documents received").click()
    expect(staff.locator("#result_list tbody tr")).to_have_count(1)

    # The administrator: a member's page, and an internal note.
    member = waiting.member
    page.goto(f"{live_server.url}/admin/members/user/{member.pk}/change/")
    expect(page.locator("#member-overview")).to_contain_text(member.member_number)
    check_accessible(page, axe_source, problems)
    page.get_by_role("link", name="Add an internal note").click()
    page.get_by_label("Note").fill("Called: the check is in the post.")
    check_accessible(page, axe_source, problems)
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#internal-notes")).to_contain_text("Called: the check is in the post.")
    check_accessible(page, axe_source, problems)
    assert MemberNote.objects.get().author == administrator
    assert not problems, "\n".join(problems)
