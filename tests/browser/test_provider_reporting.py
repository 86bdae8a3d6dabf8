"""A provider reports a course and a roster, in Chromium.

The provider's user signs in and lands in the provider area, adds a course, reports one attendee
by hand, uploads a roster CSV with one bad row, sees the preview with the row's error (nothing
saved), reports the good rows deliberately, and sees the completions: one unmatched with its
reason. Each page is checked with axe-core; the preview also on a phone.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from providers.models import Completion, Course
from providers.reporting import NO_NUMBER_MATCH
from tests.browser.support import PHONE, check_accessible, layout_problems, noon, sign_in
from tests.providers.factories import ProviderFactory, namss_member, provider_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cast(db, clock, settings, tmp_path):
    clock(noon(2025, 6, 2))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    provider = ProviderFactory(name="Credentialing Academy", programs=["namss"])
    provider_user(provider, username="pat.provider", first_name="Pat")
    return {
        "okafor": namss_member(username="ada.okafor", last_name="Okafor"),
        "lee": namss_member(username="sam.lee", last_name="Lee"),
    }


def test_a_provider_reports_a_course_and_a_roster(page: Page, live_server, cast, axe_source):
    problems: list[str] = []
    sign_in(page, live_server, "pat.provider")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Your courses")).to_be_visible()
    page.get_by_role("link", name="Add a course").first.click()

    # The course: program, kind, title, days, credits and the kind's own field.
    form = page.get_by_test_id("course-form")
    form.get_by_label("Program").select_option(label="NAMSS")
    form.get_by_label("Kind of activity").select_option(label="NAMSS CE (credits)")
    form.get_by_label("Title").fill("Medical staff bylaws")
    form.get_by_label("First day").fill("2025-05-20")
    form.get_by_label("Last day").fill("2025-05-20")
    form.get_by_label("Hours or credits per attendee").fill("3")
    form.get_by_label("Location").fill("Online")
    check_accessible(page, axe_source, problems)
    form.get_by_role("button", name="Save the course").click()
    expect(page.get_by_role("heading", name="Medical staff bylaws")).to_be_visible()
    course = Course.objects.get(title="Medical staff bylaws")
    assert course.details == {"location": "Online"}

    # One attendee by hand.
    first_row = page.get_by_test_id("attendee-row").first
    first_row.get_by_label("Member number").fill(cast["okafor"].member_number)
    first_row.get_by_label("Last name").fill("Okafor")
    page.get_by_role("button", name="Report these attendees").click()
    expect(page.locator("main [role=status]").first).to_contain_text("1 attendee reported")
    assert Completion.objects.get().member == cast["okafor"]
    check_accessible(page, axe_source, problems)

    # A roster with one bad row: previewed, nothing saved.
    roster = (
        "completion_id,member_number,last_name,email,completed_on,quantity\n"
        f"r-1,{cast['lee'].member_number},Lee,,2025-05-20,3\n"
        "r-2,99999999,Nobody,,2025-05-20,3\n"
        f"r-3,{cast['okafor'].member_number},Okafor,,20/05/2025,3\n"
    )
    page.get_by_label("Roster CSV file").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": roster.encode()}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Roster preview: Medical staff bylaws")).to_be_visible()
    error_row = page.get_by_test_id("error-row")
    expect(error_row).to_have_count(1)
    expect(error_row).to_contain_text("4")
    expect(error_row).to_contain_text("is not a date written YYYY-MM-DD")
    rows = page.get_by_test_id("preview-row")
    expect(rows.nth(0)).to_contain_text("Matches a member")
    expect(rows.nth(1)).to_contain_text(f"Unmatched: {NO_NUMBER_MATCH}")
    assert Completion.objects.count() == 1
    check_accessible(page, axe_source, problems)

    page.set_viewport_size(PHONE)
    problems += [f"phone: {p}" for p in layout_problems(page)]
    page.set_viewport_size({"width": 1280, "height": 900})

    # The deliberate decision: report the good rows, leave the bad one out.
    decide = page.get_by_test_id("good-rows-form")
    decide.get_by_role("button", name="Report the 2 good rows").click()
    expect(page.locator("#leave-out-error")).to_contain_text("Tick the box")
    assert Completion.objects.count() == 1
    page.get_by_label("Report the 2 good rows and leave out the 1 row with errors (line 4)").check()
    page.get_by_test_id("good-rows-form").get_by_role(
        "button", name="Report the 2 good rows"
    ).click()
    status = page.locator("main [role=status]").first
    expect(status).to_contain_text("2 attendees reported")
    expect(status).to_contain_text("left out (line 4)")

    # The completions: three, one unmatched with its reason.
    completions = page.get_by_test_id("completion")
    expect(completions).to_have_count(3)
    expect(page.get_by_test_id("unmatched-reason")).to_have_text(NO_NUMBER_MATCH)
    page.get_by_role("link", name="Unmatched completions").first.click()
    expect(page.get_by_test_id("unmatched-row")).to_contain_text("Nobody")
    expect(page.get_by_test_id("unmatched-row")).to_contain_text(NO_NUMBER_MATCH)
    check_accessible(page, axe_source, problems)
    assert not problems, "\n".join(problems)
