"""The review queue marks audited reports whose member uploaded documents after the selection,
and filters them."""

from __future__ import annotations

import datetime as dt

import pytest

from backoffice.audits import report_select_for_audit
from recertification.models import Report
from tests.factories import EntryFileFactory
from tests.staff.conftest import submitted_report

pytestmark = pytest.mark.django_db

QUEUE = "/admin/recertification/report/"


def ids(response) -> list[int]:
    return sorted(r.pk for r in response.context["cl"].result_list)


def audited(reviewer, *, upload_before=False, upload_after=False, traveller=None) -> Report:
    report = submitted_report()
    entry = report.entries.first()
    if upload_before:
        EntryFileFactory(entry=entry)
    traveller.shift(dt.timedelta(hours=1))
    report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    traveller.shift(dt.timedelta(hours=1))
    if upload_after:
        EntryFileFactory(entry=entry)
    report.refresh_from_db()
    assert report.status == Report.Status.AUDIT
    return report


def test_documents_received_after_the_selection_are_shown_and_filtered(
    reviewer_client, reviewer, _today
):
    received = audited(reviewer, upload_after=True, traveller=_today)
    before_only = audited(reviewer, upload_before=True, traveller=_today)
    nothing = audited(reviewer, traveller=_today)
    plain = submitted_report()
    plain_entry = plain.entries.first()
    EntryFileFactory(entry=plain_entry)

    response = reviewer_client.get(QUEUE)
    assert sorted(r.pk for r in response.context["cl"].result_list if r.documents_received) == [
        received.pk
    ]
    assert "documents received" in response.content.decode()
    assert ids(reviewer_client.get(QUEUE, {"documents": "received"})) == [received.pk]
    assert ids(reviewer_client.get(QUEUE, {"documents": "waiting"})) == sorted(
        [before_only.pk, nothing.pk]
    )


def test_a_fresh_selection_waits_for_new_documents(reviewer_client, reviewer, _today):
    report = audited(reviewer, upload_after=True, traveller=_today)
    # The audit fails, the member resubmits, staff select it again: the old upload does not count.
    from backoffice.audits import audit_fail
    from recertification import services
    from tests.staff.conftest import TODAY

    audit_fail(report=report, actor=reviewer, reason="Missing certificate")
    _today.shift(dt.timedelta(hours=1))
    services.report_submit(report=report, member=report.member, agreed_on=TODAY)
    _today.shift(dt.timedelta(hours=1))
    report_select_for_audit(report=report, actor=reviewer, reason="Again")
    assert ids(reviewer_client.get(QUEUE, {"documents": "received"})) == []
