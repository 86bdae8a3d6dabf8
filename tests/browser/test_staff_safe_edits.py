"""Safe edits in the staff back office: the forms refuse what cannot be right, in words, and the
History button shows the audit trail (docs/staff.md, "Safe edits")."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from payments.checks import POSTDATED_DAYS
from payments.models import Invoice
from tests.browser.support import (
    admin_sign_in,
    check_accessible,
    noon,
    paid_by_check,
    submitted_with_points,
)
from tests.factories import CredentialFactory, UserFactory
from tests.staff_personas import staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_page(new_context, live_server, axe_source, username):
    context = new_context()
    context.add_init_script(axe_source)
    page = context.new_page()
    admin_sign_in(page, live_server, username)
    return page


def test_staff_meet_the_safe_edit_checks(
    new_context, live_server, axe_source, clock, reviewer, administrator
):
    clock(noon(2026, 11, 20))
    staff_in("Finance", username="fran.finance", email="fran@example.org", first_name="Fran")
    credential = CredentialFactory(holder=UserFactory(first_name="Casey", last_name="Quinn"))
    report = paid_by_check(
        submitted_with_points(
            CredentialFactory(holder=UserFactory(first_name="Robin", last_name="Reyes"))
        )
    )
    unpaid = submitted_with_points(
        CredentialFactory(holder=UserFactory(first_name="Drew", last_name="Dunn"))
    )
    invoice = Invoice.objects.get(report=unpaid, status=Invoice.Status.OPEN)
    problems: list[str] = []

    # An administrator saves a credential with another program's designation and a 51-year cycle.
    admin = staff_page(new_context, live_server, axe_source, "ada.admin")
    admin.goto(f"{live_server.url}/admin/members/credential/{credential.pk}/change/")
    admin.locator("#id_designation").select_option("CPCS")
    admin.locator("#id_cycle_end").fill("2074-12-31")
    admin.get_by_label("Reason").fill("Correcting the record")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".field-designation .errorlist")).to_contain_text(
        "CPCS is not a designation of IPMA-HR; choose one of IPMA-SCP, IPMA-CP, IPMA-CS."
    )
    expect(admin.locator(".field-cycle_end .errorlist")).to_contain_text("a cycle of 51 years")
    expect(admin.locator("main")).not_to_contain_text("Constraint")
    check_accessible(admin, axe_source, problems)

    # A reviewer opens a report's History: its audit trail, in words.
    rita = staff_page(new_context, live_server, axe_source, "rita.reviewer")
    rita.goto(f"{live_server.url}/admin/recertification/report/{report.pk}/history/")
    trail = rita.locator("#change-history table")
    expect(trail).to_contain_text("Submitted")
    expect(trail).to_contain_text("Status: Open → Submitted")
    expect(rita.locator("main")).not_to_contain_text("doesn’t have a change history")
    check_accessible(rita, axe_source, problems)

    # Finance records a check dated too far ahead, and one received tomorrow: both refused.
    fran = staff_page(new_context, live_server, axe_source, "fran.finance")
    fran.goto(f"{live_server.url}/admin/payments/invoice/{invoice.pk}/record-check/")
    today = dt.date(2026, 11, 20)
    fran.get_by_label("Check number").fill("4321")
    fran.get_by_label("Date on the check").fill(
        (today + dt.timedelta(days=POSTDATED_DAYS + 30)).isoformat()
    )
    fran.get_by_label("Date received").fill(today.isoformat())
    fran.get_by_role("button", name="Record check").click()
    expect(fran.locator(".errorlist").first).to_contain_text("post-dated")
    check_accessible(fran, axe_source, problems)
    fran.get_by_label("Date on the check").fill(today.isoformat())
    fran.get_by_label("Date received").fill((today + dt.timedelta(days=1)).isoformat())
    fran.get_by_role("button", name="Record check").click()
    expect(fran.locator(".errorlist").first).to_contain_text("in the future")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert not problems, "\n".join(problems)
