"""Staff pages of the back office on a phone: the page itself never scrolls sideways. A wide table
(the dashboard's figures, a report's entries, a member's records) scrolls inside itself, as the
admin's own lists do."""

from __future__ import annotations

import pytest

from tests.browser.support import admin_sign_in
from tests.staff.conftest import submitted_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_an_administrator_on_a_phone_reads_the_dashboard_a_report_and_a_member(
    new_context, live_server, administrator
):
    report = submitted_report("namss", entries=6)
    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    admin_sign_in(page, live_server, "ada.admin")
    pages = [
        "/admin/recertification/report/dashboard/",
        f"/admin/recertification/report/{report.pk}/change/",
        f"/admin/members/user/{report.member_id}/change/",
    ]
    wide = {}
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        wide[path] = page.evaluate(SIDEWAYS)
    assert wide == dict.fromkeys(pages, 0), wide
