"""Staff correct a member's existing entry on the member's own form, pre-filled, with a reason:
scored and refused by the same rules, never for a submitted report, and linked from the staff
member and report pages for those with the corrections permission only."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditLog
from recertification import rules, selectors
from recertification.forms import group_for_kind
from tests.factories import EntryFactory, report_for
from tests.staff.conftest import credential_in, submitted_report
from tests.staff_personas import staff_in

pytestmark = pytest.mark.django_db

KIND = "ipma.pd.partial_day"
KEY = group_for_kind(rules.get_program("ipma-hr"), KIND).key


def open_entry(holder=None, **fields):
    credential = credential_in("ipma-hr", holder=holder)
    report = report_for(credential)
    entry = EntryFactory(
        member=credential.holder, kind=KIND, category="pd", date=dt.date(2025, 3, 5),
        quantity=Decimal("1"), details={"title": "Chapter workshop", "sponsor": "IPMA-HR Midwest"},
        reports=[report], **fields,
    )  # fmt: skip
    return credential, report, entry


def correct_url(pk: int) -> str:
    return reverse("admin:recertification_pointsadjustment_correct", args=[pk])


def member_url(member) -> str:
    return reverse("admin:members_user_change", args=[member.pk])


def report_url(report) -> str:
    return reverse("admin:recertification_report_change", args=[report.pk])


def posted(entry, reason: str = "Member sent the corrected certificate", **changes) -> dict:
    values = {
        "kind": entry.kind,
        "title": entry.details.get("title", ""),
        "sponsor": entry.details.get("sponsor", ""),
        "date": entry.date.isoformat(),
        "quantity": str(entry.quantity),
        **changes,
    }
    return {f"{KEY}-{name}": value for name, value in values.items()} | {"reason": reason}


def unchanged(entry) -> bool:
    before = (entry.date, entry.quantity, entry.details)
    entry.refresh_from_db()
    return (entry.date, entry.quantity, entry.details) == before


def reviewer_without_corrections():
    """Everything a reviewer may do except correcting for members."""
    user = staff_in(None, username="rory.reviewer", email="rory@example.org")
    reviewers = Group.objects.get(name="Reviewer")
    user.user_permissions.set(reviewers.permissions.exclude(codename="correct_for_member"))
    return user


def test_the_page_shows_the_members_form_filled_in_with_the_entry(reviewer_client):
    credential, _, entry = open_entry()

    response = reviewer_client.get(correct_url(entry.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert credential.holder.get_full_name() in page
    assert f'name="{KEY}-date" value="2025-03-05"' in page
    assert f'name="{KEY}-title" value="Chapter workshop"' in page
    assert f'name="{KEY}-sponsor" value="IPMA-HR Midwest"' in page
    assert f'name="{KEY}-quantity" value="1' in page
    assert 'name="reason"' in page
    assert f'name="{KEY}-files"' not in page  # the correction keeps the entry's files


def test_a_correction_is_saved_rescored_and_its_history_names_staff_and_reason(
    reviewer_client, reviewer
):
    credential, report, entry = open_entry()
    assert selectors.scored_report(report).total == 1

    response = reviewer_client.post(
        correct_url(entry.pk), posted(entry, quantity="3", title="Chapter workshop series")
    )

    assert response.status_code == 302
    assert response["Location"] == member_url(credential.holder)
    entry.refresh_from_db()
    assert entry.quantity == 3 and entry.details["title"] == "Chapter workshop series"
    assert selectors.scored_report(report).total == 3
    log = AuditLog.objects.get(object_type="recertification.entry", action="updated")
    assert (log.actor, log.member) == (reviewer, credential.holder)
    assert log.reason == "Member sent the corrected certificate"
    followed = reviewer_client.get(response["Location"]).content.decode()
    assert "The entry is corrected" in followed


def test_a_reason_is_required(reviewer_client):
    _, _, entry = open_entry()

    response = reviewer_client.post(correct_url(entry.pk), posted(entry, reason=" ", quantity="3"))

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert unchanged(entry)
    assert not AuditLog.objects.filter(action="updated").exists()


def test_the_corrections_permission_is_needed(client, finance):
    _, _, entry = open_entry()
    for user in (finance, reviewer_without_corrections()):
        client.force_login(user)
        assert client.get(correct_url(entry.pk)).status_code == 403
        assert client.post(correct_url(entry.pk), posted(entry, quantity="3")).status_code == 403
    assert unchanged(entry)


def test_any_members_entry_is_reached_by_its_own_id_and_an_unknown_one_is_404(reviewer_client):
    first_credential, _, first = open_entry()
    second_credential, _, second = open_entry()

    assert second_credential.holder.get_full_name() in (
        reviewer_client.get(correct_url(second.pk)).content.decode()
    )
    response = reviewer_client.post(correct_url(second.pk), posted(second, quantity="2"))

    assert response["Location"] == member_url(second_credential.holder)
    second.refresh_from_db()
    assert second.quantity == 2
    assert unchanged(first)
    assert reviewer_client.get(correct_url(999999)).status_code == 404
    assert reviewer_client.post(correct_url(999999), posted(first)).status_code == 404


def test_an_entry_of_a_submitted_report_is_refused_with_a_message(reviewer_client):
    report = submitted_report()
    entry = report.entries.get()

    page = reviewer_client.get(correct_url(entry.pk))
    assert page.status_code == 200
    assert "can no longer be changed" in page.content.decode()
    assert 'name="reason"' not in page.content.decode()

    response = reviewer_client.post(correct_url(entry.pk), posted(entry, quantity="20"))

    assert response.status_code == 200
    assert "can no longer be changed" in response.content.decode()
    assert unchanged(entry)
    assert not AuditLog.objects.filter(action="updated").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date": "2023-06-01"}, "cycle"),  # the service: before the report's cycle
        ({"quantity": "1.5"}, "whole"),  # the rules: whole days only
        ({"quantity": "0"}, "greater than or equal to"),  # the member's own form
    ],
    ids=["date-outside-the-cycle", "part-of-a-day", "nothing"],
)
def test_a_refusal_shows_on_the_form_and_leaves_the_entry_as_it_was(
    reviewer_client, change, message
):
    _, report, entry = open_entry()

    response = reviewer_client.post(correct_url(entry.pk), posted(entry, **change))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert unchanged(entry)
    assert selectors.scored_report(report).total == 1
    assert not AuditLog.objects.filter(action="updated").exists()


def test_a_correction_that_repeats_an_activity_is_saved_once_staff_confirm_it(reviewer_client):
    _, report, first = open_entry()
    second = EntryFactory(member=first.member, kind=KIND, category="pd", date=dt.date(2025, 4, 1),
                          details={"title": "Webinar", "sponsor": "SHRM"}, reports=[report])  # fmt: skip
    same = posted(second, title="Chapter workshop", sponsor="IPMA-HR Midwest", date="2025-03-05")

    asked = reviewer_client.post(correct_url(second.pk), same)

    assert asked.status_code == 200
    assert f'name="{KEY}-confirm_repeat" value="{first.pk}"' in asked.content.decode()
    assert unchanged(second)
    done = reviewer_client.post(correct_url(second.pk), same | {f"{KEY}-confirm_repeat": first.pk})
    assert done.status_code == 302
    second.refresh_from_db()
    assert second.date == dt.date(2025, 3, 5)


def test_the_report_page_links_the_corrections_for_staff_with_the_permission(client, reviewer,
                                                                              finance):  # fmt: skip
    credential, report, entry = open_entry()
    adjust = reverse("admin:recertification_pointsadjustment_adjust", args=[report.pk])
    add = reverse("admin:recertification_pointsadjustment_entry", args=[credential.holder.pk])

    client.force_login(reviewer)
    page = client.get(report_url(report)).content.decode()
    assert f'href="{correct_url(entry.pk)}"' in page
    assert f'href="{add}"' in page and "Add an entry for the member" in page
    assert f'href="{adjust}"' in page and "Adjust points" in page

    client.force_login(finance)
    page = client.get(report_url(report)).content.decode()
    assert correct_url(entry.pk) not in page and add not in page and adjust not in page


def test_a_submitted_report_offers_no_correct_link_but_may_adjust_points(reviewer_client):
    report = submitted_report()
    entry = report.entries.get()

    page = reviewer_client.get(report_url(report)).content.decode()

    assert correct_url(entry.pk) not in page
    assert reverse("admin:recertification_pointsadjustment_adjust", args=[report.pk]) in page


def test_the_member_page_links_the_corrections_for_staff_with_the_permission(client, reviewer,
                                                                              finance):  # fmt: skip
    credential, report, _ = open_entry()
    member = credential.holder
    adjust = reverse("admin:recertification_pointsadjustment_adjust", args=[report.pk])
    add = reverse("admin:recertification_pointsadjustment_entry", args=[member.pk])

    client.force_login(reviewer)
    page = client.get(member_url(member)).content.decode()
    assert f'href="{add}"' in page and "Add an entry" in page
    assert 'href="#fieldset-0-1-heading">Correct contact details' in page
    assert 'id="fieldset-0-1-heading"' in page  # the email field's section of the form below
    assert f'href="{adjust}"' in page

    client.force_login(finance)
    page = client.get(member_url(member)).content.decode()
    assert add not in page and adjust not in page and "Correct contact details" not in page


def report_page_queries(client, report) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(report_url(report)).status_code == 200
    return len(captured)


def test_the_correct_links_read_no_query_per_entry(reviewer_client):
    _, small, _ = open_entry()
    _, large, first = open_entry()
    for i in range(20):
        EntryFactory(member=large.member, kind=KIND, category="pd",
                     date=dt.date(2025, 4, 1) + dt.timedelta(days=i), reports=[large])  # fmt: skip
    report_page_queries(reviewer_client, small)  # content types and the like, read once

    few, many = (
        report_page_queries(reviewer_client, small),
        report_page_queries(reviewer_client, large),
    )

    assert few == many, f"{few} queries for one entry, {many} for 21"
    page = reviewer_client.get(report_url(large)).content.decode()
    assert len(re.findall(r"/pointsadjustment/entry/\d+/correct/", page)) == 21


def test_an_entry_added_for_the_member_that_repeats_an_activity_is_saved_once_staff_confirm_it(
    reviewer_client,
):
    credential, report, first = open_entry()
    add = reverse("admin:recertification_pointsadjustment_entry", args=[credential.holder.pk])
    same = posted(first) | {"group": KEY}

    asked = reviewer_client.post(add, same)

    assert asked.status_code == 200
    assert f'name="{KEY}-confirm_repeat" value="{first.pk}"' in asked.content.decode()
    assert report.entries.count() == 1
    done = reviewer_client.post(add, same | {f"{KEY}-confirm_repeat": first.pk})
    assert done.status_code == 302
    assert report.entries.count() == 2
