"""Credits reported by CE providers, in Chromium: a member accepts one completion and declines
another, on a desktop and on a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from providers.models import Completion
from recertification import services
from recertification.models import Entry
from tests.browser.support import (
    PHONE,
    check_accessible,
    layout_problems,
    namss_dual_certificant,
    noon,
    sign_in,
    status_message,
)
from tests.providers.factories import CompletionFactory, CourseFactory, ProviderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": PHONE}


@pytest.fixture
def reported(db, clock):
    """A NAMSS dual certificant with two completions Acme Learning reported, on 15 September 2026."""
    clock(noon(2026, 9, 15))
    member = namss_dual_certificant("rene.park", "Rene", "Park")
    services.reports_ensure_open(member=member)
    acme = ProviderFactory(name="Acme Learning", programs={"namss": True})
    kept = CourseFactory(provider=acme, title="Privileging in practice")
    declined = CourseFactory(
        provider=acme,
        title="Peer review basics",
        starts_on=dt.date(2026, 2, 10),
        ends_on=dt.date(2026, 2, 10),
    )
    return (
        member,
        CompletionFactory(course=kept, member=member),
        CompletionFactory(course=declined, member=member),
    )


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_a_member_accepts_one_completion_and_declines_another(
    page, live_server, reported, viewport, axe_source
):
    member, kept, declined = reported
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in(page, live_server, "rene.park")
    page.goto(f"{live_server.url}/recertification/")
    box = page.get_by_test_id("reported-credits-box")
    expect(box).to_contain_text("2 credits reported by your CE providers, pending your review")
    box.get_by_role("link", name="Review reported credits").click()
    expect(
        page.get_by_role("heading", name="Credits reported by your CE providers")
    ).to_be_visible()

    problems: list[str] = []
    check_accessible(page, axe_source, problems)
    if viewport == "phone":
        problems += layout_problems(page)
    assert not problems, "\n".join(problems)

    first = page.locator(f"#reported-{kept.pk}")
    expect(first).to_contain_text("Reported by Acme Learning, pending your review")
    expect(first.get_by_test_id("credit-preview")).to_contain_text(
        "CPCS + CPMSM: adds 2.5 credits, making 2.5 of 45."
    )
    expect(first.get_by_label("CPCS (cycle ends 12/01/2026) and CPMSM")).to_be_checked()
    first.get_by_role("button", name="Accept “Privileging in practice”").click()
    expect(status_message(page)).to_contain_text("“Privileging in practice” accepted.")
    expect(status_message(page)).to_contain_text("2.5 of 45 credits now")

    second = page.locator(f"#reported-{declined.pk}")
    # Without a reason the credit is not declined, and the page says why, next to the field.
    second.get_by_role("button", name="Decline “Peer review basics”").click()
    second = page.locator(f"#reported-{declined.pk}")
    reason = second.get_by_label("Why do you decline it?")
    expect(second).to_contain_text("Say why you decline this credit.")
    reason.fill("I registered but did not attend.")
    second.get_by_role("button", name="Decline “Peer review basics”").click()
    expect(status_message(page)).to_contain_text("“Peer review basics” declined.")
    expect(page.get_by_text("Nothing is waiting for your review.")).to_be_visible()
    history = page.get_by_test_id("decided-credit")
    expect(history.filter(has_text="Peer review basics")).to_contain_text(
        "Your reason: I registered but did not attend."
    )
    expect(history.filter(has_text="Privileging in practice")).to_contain_text(
        "Reported by Acme Learning · no certificate needed"
    )

    # The entry is marked for the member where entries take files; the portal's box is gone.
    page.goto(f"{live_server.url}/recertification/uploads/")
    expect(page.get_by_text("Reported by Acme Learning · no certificate needed")).to_be_visible()
    page.goto(f"{live_server.url}/recertification/")
    expect(page.get_by_test_id("reported-credits-box")).to_have_count(0)

    kept.refresh_from_db()
    declined.refresh_from_db()
    assert kept.status == Completion.Status.ACCEPTED
    assert kept.entry.source == Entry.Source.PROVIDER
    assert declined.status == Completion.Status.DECLINED
    assert Entry.objects.filter(member=member).count() == 1
