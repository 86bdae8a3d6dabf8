"""Least privilege: a reviewer cannot touch payments, finance cannot approve."""

from __future__ import annotations

import pytest

from backoffice.permissions import STAFF_GROUPS, ensure_staff_groups
from recertification.models import Report
from tests.staff.conftest import invoice_of, submitted_report

pytestmark = pytest.mark.django_db

S = Report.Status
QUEUE = "/admin/recertification/report/"


def action_url(report, name):
    return f"{QUEUE}{report.pk}/act/{name}/"


def test_the_groups_get_the_report_permissions_they_need(reviewer, finance, administrator):
    for perm in ("approve_report", "return_report", "audit_report", "record_paper_report"):
        assert reviewer.has_perm(f"recertification.{perm}")
        assert not finance.has_perm(f"recertification.{perm}")
        assert administrator.has_perm(f"recertification.{perm}")
    assert finance.has_perm("recertification.waive_fee")
    assert not reviewer.has_perm("recertification.waive_fee")
    assert finance.has_perm("payments.refund_payment")
    assert finance.has_perm("recertification.change_programsettings")
    assert not reviewer.has_perm("recertification.change_programsettings")


def test_a_reviewer_cannot_touch_payments(reviewer):
    for perm in ("add_payment", "change_payment", "refund_payment", "change_invoice"):
        assert not reviewer.has_perm(f"payments.{perm}")
    assert reviewer.has_perm("payments.view_invoice")


def test_ensure_staff_groups_can_run_again_and_grants_every_listed_permission(db):
    first = ensure_staff_groups()
    again = ensure_staff_groups()
    assert {g: set(first[g].permissions.all()) for g in first} == {
        g: set(again[g].permissions.all()) for g in again
    }
    granted = {
        (p.content_type.app_label, p.content_type.model)
        for p in again["Reviewer"].permissions.select_related("content_type")
    }
    assert set(STAFF_GROUPS["Reviewer"]) == granted


@pytest.mark.parametrize("action", ["approve", "return", "select_audit", "clear_audit"])
def test_finance_is_refused_review_actions(finance_client, action):
    report = submitted_report()
    assert finance_client.get(action_url(report, action)).status_code == 403
    assert finance_client.post(action_url(report, action), {"reason": "x"}).status_code == 403
    report.refresh_from_db()
    assert report.status == S.IN_REVIEW


def test_finance_sees_no_review_buttons_and_no_review_bulk_actions(finance_client):
    report = submitted_report()
    page = finance_client.get(f"{QUEUE}{report.pk}/change/").content.decode()
    assert "/act/approve/" not in page
    assert "/act/return/" not in page
    queue = finance_client.get(QUEUE).content.decode()
    assert 'value="bulk_approve"' not in queue
    assert 'value="bulk_return"' not in queue
    assert 'value="export_csv"' in queue


def test_finance_cannot_approve_through_the_bulk_action(finance_client):
    report = submitted_report()
    response = finance_client.post(
        QUEUE, {"action": "bulk_approve", "_selected_action": [report.pk], "apply": "1"}
    )
    assert response.status_code in (200, 302, 403)
    report.refresh_from_db()
    assert report.status == S.IN_REVIEW


def test_a_reviewer_is_refused_the_fee_waiver(reviewer_client):
    report = submitted_report(paid=False)
    assert reviewer_client.post(action_url(report, "waive_fee"), {"reason": "x"}).status_code == 403
    report.refresh_from_db()
    assert not report.fee_waived


def test_a_reviewer_is_refused_recording_checks_and_refunds(reviewer_client):
    report = submitted_report(paid=False)
    invoice = invoice_of(report)
    base = f"/admin/payments/invoice/{invoice.pk}"
    assert reviewer_client.get(f"{base}/record-check/").status_code == 403
    assert reviewer_client.get(f"{base}/refund/").status_code == 403
    assert reviewer_client.get(f"{base}/cancel/").status_code == 403
    assert reviewer_client.get("/admin/payments/payment/add/").status_code == 403


def test_a_reviewer_sees_the_review_buttons(reviewer_client):
    report = submitted_report()
    page = reviewer_client.get(f"{QUEUE}{report.pk}/change/").content.decode()
    assert "/act/approve/" in page
    assert "/act/return/" in page
    assert "/act/select_audit/" in page
    assert "/act/waive_fee/" not in page


def test_staff_without_a_group_cannot_open_the_queue(client):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory())
    assert client.get(QUEUE).status_code == 403


def test_members_cannot_reach_the_admin(member_client):
    response = member_client.get(QUEUE)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_only_reviewers_record_paper_reports(finance_client):
    from tests.staff.conftest import credential_in

    credential = credential_in("ipma-hr", status="lapsed")
    url = f"/admin/members/credential/{credential.pk}/paper-report/"
    assert finance_client.get(url).status_code == 403


def test_finance_changes_fees_but_not_the_audit_share(finance_client):
    from recertification.models import ProgramSettings

    settings_row = ProgramSettings.objects.create(program="ipma-hr", recertification_fee=150)
    page = finance_client.get(
        f"/admin/recertification/programsettings/{settings_row.pk}/change/"
    ).content.decode()
    assert 'name="recertification_fee"' in page
    assert 'name="audit_rate"' not in page
