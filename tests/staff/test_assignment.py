"""Reports assigned to a reviewer: the bulk action and the report page assign (audited), "My
queue" lists the signed-in reviewer's open reports, "Unassigned" the ones nobody has."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError

from backoffice import review
from backoffice.assignment import report_assign
from core.models import AuditLog
from tests.factories import UserFactory
from tests.staff.conftest import submitted_report
from tests.staff_personas import staff_in

pytestmark = pytest.mark.django_db

QUEUE = "/admin/recertification/report/"


def ids(response) -> list[int]:
    return sorted(r.pk for r in response.context["cl"].result_list)


def test_the_bulk_action_asks_for_the_reviewer_then_assigns_each_report(
    administrator_client, administrator, reviewer
):
    reports = [submitted_report(), submitted_report()]
    data = {"action": "bulk_assign", ACTION_CHECKBOX_NAME: [r.pk for r in reports]}
    form = administrator_client.post(QUEUE, data)
    assert form.status_code == 200
    assert "Assign to" in form.content.decode()
    assert reviewer.username in form.content.decode()
    done = administrator_client.post(
        QUEUE, {**data, "apply": "1", "assignee": reviewer.pk, "reason": "Her turn"}, follow=True
    )
    assert "2 report(s) assigned" in done.content.decode()
    for report in reports:
        report.refresh_from_db()
        assert report.assigned_to == reviewer
    logs = AuditLog.objects.filter(action="assigned").order_by("id")
    assert [log.object_id for log in logs] == [str(r.pk) for r in reports]
    assert logs[0].actor == administrator
    assert logs[0].reason == "Her turn"
    assert logs[0].before == {"assigned_to": None}
    assert logs[0].after == {"assigned_to": reviewer.username}


def test_assigning_again_is_a_no_op_and_unassigning_is_logged(administrator, reviewer):
    report = submitted_report()
    report_assign(report=report, assignee=reviewer, actor=administrator)
    report_assign(report=report, assignee=reviewer, actor=administrator)
    assert AuditLog.objects.filter(action="assigned").count() == 1
    report_assign(report=report, assignee=None, actor=administrator)
    report.refresh_from_db()
    assert report.assigned_to is None
    log = AuditLog.objects.filter(action="unassigned").get()
    assert log.before == {"assigned_to": reviewer.username}


def test_only_active_staff_can_be_assigned(administrator):
    report = submitted_report()
    with pytest.raises(ValidationError):
        report_assign(report=report, assignee=UserFactory(), actor=administrator)
    gone = staff_in("Reviewer", username="gone", is_active=False)
    with pytest.raises(ValidationError):
        report_assign(report=report, assignee=gone, actor=administrator)


def test_the_report_page_shows_the_assignee_and_assigns(
    administrator_client, administrator, reviewer
):
    report = submitted_report()
    page_url = f"{QUEUE}{report.pk}/change/"
    page = administrator_client.get(page_url).content.decode()
    assert "Not assigned" in page
    assign_url = f"{QUEUE}{report.pk}/assign/"
    assert assign_url in page
    assert administrator_client.get(assign_url).status_code == 200
    response = administrator_client.post(assign_url, {"assignee": reviewer.pk, "reason": ""})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.assigned_to == reviewer
    assert reviewer.username in administrator_client.get(page_url).content.decode()


def test_finance_cannot_assign(finance_client, reviewer):
    report = submitted_report()
    assert finance_client.get(f"{QUEUE}{report.pk}/assign/").status_code == 403
    data = {"action": "bulk_assign", ACTION_CHECKBOX_NAME: [report.pk]}
    finance_client.post(QUEUE, {**data, "apply": "1", "assignee": reviewer.pk})
    report.refresh_from_db()
    assert report.assigned_to is None


def test_my_queue_lists_the_signed_in_reviewers_open_reports(
    reviewer_client, reviewer, administrator
):
    mine = submitted_report()
    decided = submitted_report()
    others = submitted_report()
    unassigned = submitted_report()
    colleague = staff_in("Reviewer", username="rob.reviewer")
    report_assign(report=mine, assignee=reviewer, actor=administrator)
    report_assign(report=decided, assignee=reviewer, actor=administrator)
    report_assign(report=others, assignee=colleague, actor=administrator)
    review.report_approve(report=decided, actor=reviewer)
    queue = reviewer_client.get(QUEUE).content.decode()
    assert "?assigned=me" in queue  # "My queue" is linked from the list
    assert ids(reviewer_client.get(QUEUE, {"assigned": "me"})) == [mine.pk]
    assert ids(reviewer_client.get(QUEUE, {"assigned": "me", "status": "all"})) == [mine.pk]
    assert ids(reviewer_client.get(QUEUE, {"assigned": "none"})) == [unassigned.pk]
    page = reviewer_client.get(QUEUE, {"assigned": "me"}).content.decode()
    assert reviewer.username in page  # the assigned-to column
