"""Bulk approval skips, with the reason, what it cannot or should not approve."""

from __future__ import annotations

import datetime as dt

import pytest

from backoffice.review import report_approve
from recertification.models import Report

from .conftest import submitted_report

pytestmark = pytest.mark.django_db
QUEUE = "/admin/recertification/report/"


def bulk_approve(client, *reports):
    return client.post(
        QUEUE + "?status=all",  # the list as filtered on screen: every status
        {"action": "bulk_approve", "_selected_action": [r.pk for r in reports], "apply": "1"},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_already_approved_report_is_skipped_not_done(reviewer_client, reviewer):
    approved = submitted_report()
    report_approve(report=approved, actor=reviewer)
    fresh = submitted_report()
    shown = messages_of(bulk_approve(reviewer_client, approved, fresh))
    assert any("1 report(s) done" in m for m in shown), shown
    assert any(f"report {approved.pk}" in m and "already approved" in m for m in shown), shown


def test_a_report_long_before_its_cycle_ends_is_skipped_in_bulk(reviewer_client, _today):
    early = submitted_report()
    _today.move_to(dt.datetime(2026, 11, 20, 15, 0))
    Report.objects.filter(pk=early.pk).update(cycle_end=dt.date(2028, 12, 31))
    shown = messages_of(bulk_approve(reviewer_client, early))
    assert any("0 report(s) done" in m for m in shown), shown
    assert any(f"report {early.pk}" in m and "before" in m for m in shown), shown
    early.refresh_from_db()
    assert early.status != Report.Status.APPROVED


def test_the_report_page_asks_to_confirm_an_early_approval(reviewer_client):
    early = submitted_report()
    Report.objects.filter(pk=early.pk).update(cycle_end=dt.date(2028, 12, 31))
    page = reviewer_client.get(f"{QUEUE}{early.pk}/change/").content.decode()
    assert "/act/approve_early/" in page and "/act/approve/" not in page
    refused = reviewer_client.post(f"{QUEUE}{early.pk}/act/approve/", {"reason": ""})
    assert refused.status_code == 200 and "before" in refused.content.decode()
    form = reviewer_client.get(f"{QUEUE}{early.pk}/act/approve_early/").content.decode()
    assert "Warning" in form
    done = reviewer_client.post(f"{QUEUE}{early.pk}/act/approve_early/", {"reason": "Early"})
    assert done.status_code == 302
    early.refresh_from_db()
    assert early.status == Report.Status.APPROVED


def test_a_report_near_its_cycle_end_is_approved_without_a_question(reviewer_client):
    report = submitted_report()
    page = reviewer_client.get(f"{QUEUE}{report.pk}/change/").content.decode()
    assert "/act/approve/" in page and "approve_early" not in page
