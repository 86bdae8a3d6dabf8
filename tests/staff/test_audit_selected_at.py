"""The time a report was selected for audit is kept on the report (random draw on submission,
staff's selection), backfilled by the migration, required of every selected report, and read by
the review queue's "documents received" column and filter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice import audits as staff_audits
from recertification import audits
from recertification.models import ProgramSettings, Report
from tests.factories import EntryFileFactory, report_for
from tests.staff.conftest import credential_in, fill, submitted_report

pytestmark = pytest.mark.django_db

QUEUE = "/admin/recertification/report/"
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
MESSAGE = "A report selected for audit needs the time it was selected."


def received_ids(client) -> list[int]:
    response = client.get(QUEUE, {"documents": "received"})
    return sorted(r.pk for r in response.context["cl"].result_list)


# --- set on every selection ----------------------------------------------------------------------


def test_the_random_draw_on_submission_records_the_time():
    report = report_for(credential_in("ipma-hr"))
    fill(report)
    assert audits.audit_select_on_submit(report, draw="0.0") is True
    report.refresh_from_db()
    assert report.selected_for_audit
    assert report.audit_selected_at == NOW


def test_a_submission_drawn_for_audit_records_the_time():
    ProgramSettings.objects.create(
        program="ipma-hr", recertification_fee=Decimal("100"), audit_rate=Decimal("1")
    )
    report = submitted_report()
    assert (report.status, report.audit_selected_at) == (Report.Status.AUDIT, NOW)


def test_a_report_not_drawn_has_no_selection_time():
    report = submitted_report()
    assert not report.selected_for_audit
    assert report.audit_selected_at is None


def test_staff_selection_records_the_time_and_a_fresh_selection_moves_it(reviewer, _today):
    report = submitted_report()
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    report.refresh_from_db()
    assert report.audit_selected_at == NOW

    # Selecting it again while the audit waits changes nothing.
    _today.shift(dt.timedelta(hours=1))
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Again")
    report.refresh_from_db()
    assert report.audit_selected_at == NOW

    # Cleared, then selected for a fresh audit: the time is the new selection's.
    entry = report.entries.get()
    staff_audits.audit_entry_decide(report=report, entry=entry, decision="accepted", actor=reviewer)
    staff_audits.audit_clear(report=report, actor=reviewer)
    _today.shift(dt.timedelta(hours=1))
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Second look")
    report.refresh_from_db()
    assert report.status == Report.Status.AUDIT
    assert report.audit_selected_at == NOW + dt.timedelta(hours=2)


def test_an_unpaid_report_keeps_its_first_selection_time_once_paid(reviewer, _today):
    from tests.staff.conftest import pay

    report = submitted_report(paid=False)
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    _today.shift(dt.timedelta(hours=3))
    report = pay(report)
    assert report.status == Report.Status.AUDIT
    assert report.audit_selected_at == NOW


# --- the constraint ------------------------------------------------------------------------------


def test_a_selected_report_needs_its_selection_time():
    report = submitted_report()
    report.selected_for_audit = True
    with pytest.raises(ValidationError) as raised:
        report.validate_constraints()
    assert raised.value.messages == [MESSAGE]
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=report.pk).update(selected_for_audit=True)
    report.audit_selected_at = timezone.now()
    report.validate_constraints()


# --- documents received --------------------------------------------------------------------------


def test_documents_received_count_uploads_since_the_selection_time(
    reviewer, reviewer_client, _today
):
    before = submitted_report()
    EntryFileFactory(entry=before.entries.first())
    after = submitted_report()
    _today.shift(dt.timedelta(hours=1))
    for report in (before, after):
        staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    _today.shift(dt.timedelta(hours=1))
    EntryFileFactory(entry=after.entries.first())
    before.refresh_from_db()
    after.refresh_from_db()

    assert staff_audits.audit_documents_received(before) is False
    assert staff_audits.audit_documents_received(after) is True
    with CaptureQueriesContext(connection) as queries:
        assert received_ids(reviewer_client) == [after.pk]
    report_queries = [q["sql"] for q in queries if "entryfile" in q["sql"]]
    assert report_queries
    assert not [sql for sql in report_queries if "auditlog" in sql]

    # The column and filter read the report's own time: moved past the upload, it no longer counts.
    Report.objects.filter(pk=after.pk).update(audit_selected_at=NOW + dt.timedelta(hours=3))
    after.refresh_from_db()
    assert staff_audits.audit_documents_received(after) is False
    assert received_ids(reviewer_client) == []
    waiting = reviewer_client.get(QUEUE, {"documents": "waiting"})
    assert sorted(r.pk for r in waiting.context["cl"].result_list) == sorted([before.pk, after.pk])


def test_an_upload_at_the_moment_of_selection_counts(reviewer):
    report = submitted_report()
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    EntryFileFactory(entry=report.entries.first())
    report.refresh_from_db()
    assert staff_audits.audit_documents_received(report) is True


# --- the migration's backfill --------------------------------------------------------------------

BEFORE = [("recertification", "0008_report_newest_first_index")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_migration_backfills_the_latest_selection_or_the_last_change():
    executor = _migrate(BEFORE)
    try:
        apps = executor.loader.project_state([*BEFORE, ("core", "0001_initial")]).apps
        User = apps.get_model("members", "User")
        OldReport = apps.get_model("recertification", "Report")
        AuditLog = apps.get_model("core", "AuditLog")
        member = User.objects.create(username="m", email="m@example.org", member_number="1234")

        def report(status="audit", **fields):
            return OldReport.objects.create(
                member=member, program="ipma-hr", cycle_start=dt.date(2024, 1, 1),
                cycle_end=dt.date(2026, 12, 31), status=status, submitted_at=NOW, **fields,
            )  # fmt: skip

        def log(obj, action, at):
            row = AuditLog.objects.create(
                object_type="recertification.report", object_id=str(obj.pk), action=action
            )
            AuditLog.objects.filter(pk=row.pk).update(at=at)

        twice = report(selected_for_audit=True)
        log(twice, "selected for audit", NOW - dt.timedelta(days=30))
        log(twice, "selected for audit", NOW - dt.timedelta(days=2))
        log(twice, "audit cleared", NOW - dt.timedelta(days=1))
        no_log = report(selected_for_audit=True)
        OldReport.objects.filter(pk=no_log.pk).update(updated_at=NOW - dt.timedelta(days=5))
        not_selected = report(status="in_review")
        log(not_selected, "selected for audit", NOW - dt.timedelta(days=9))
        other = AuditLog.objects.create(
            object_type="payments.invoice", object_id=str(no_log.pk), action="selected for audit"
        )
        AuditLog.objects.filter(pk=other.pk).update(at=NOW - dt.timedelta(days=1))
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    times = dict(Report.objects.values_list("pk", "audit_selected_at"))
    assert times[twice.pk] == NOW - dt.timedelta(days=2)
    assert times[no_log.pk] == NOW - dt.timedelta(days=5)
    assert times[not_selected.pk] is None
