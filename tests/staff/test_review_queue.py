"""The review queue: filters, search, CSV export, and a query count that does not grow with rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice import audits, review
from recertification.models import Report
from tests.factories import ReportFactory, UserFactory
from tests.staff.conftest import credential_in, fill, invoice_of, submit, submitted_report

pytestmark = pytest.mark.django_db

QUEUE = "/admin/recertification/report/"


def ids(response) -> list[int]:
    return sorted(r.pk for r in response.context["cl"].result_list)


def test_the_queue_shows_submitted_undecided_reports_by_default(reviewer_client, reviewer):
    waiting = submitted_report()
    unpaid = submitted_report(paid=False)
    approved = submitted_report()
    review.report_approve(report=approved, actor=reviewer)
    from tests.factories import report_for

    still_open = report_for(credential_in("ipma-hr"))
    response = reviewer_client.get(QUEUE)
    assert ids(response) == sorted([waiting.pk, unpaid.pk])
    assert ids(reviewer_client.get(QUEUE, {"status": "approved"})) == [approved.pk]
    assert still_open.pk in ids(reviewer_client.get(QUEUE, {"status": "all"}))


def test_the_queue_filters_by_program_designation_paid_and_audit(reviewer_client, reviewer):
    ipma = submitted_report("ipma-hr")
    cp = submitted_report("ipma-hr", designation="IPMA-CP", paid=False)
    namss = submitted_report("namss")
    audits.report_select_for_audit(report=namss, actor=reviewer, reason="Spot check")

    assert ids(reviewer_client.get(QUEUE, {"program": "namss"})) == [namss.pk]
    assert ids(reviewer_client.get(QUEUE, {"designation": "IPMA-CP"})) == [cp.pk]
    assert ids(reviewer_client.get(QUEUE, {"paid": "yes"})) == sorted([ipma.pk, namss.pk])
    assert ids(reviewer_client.get(QUEUE, {"paid": "no"})) == [cp.pk]
    assert ids(reviewer_client.get(QUEUE, {"selected_for_audit__exact": "1"})) == [namss.pk]
    assert ids(
        reviewer_client.get(QUEUE, {"submitted_at__gte": "2026-11-20 00:00:00-05:00"})
    ) == sorted([ipma.pk, cp.pk, namss.pk])
    assert ids(reviewer_client.get(QUEUE, {"submitted_at__gte": "2026-11-21 00:00:00-05:00"})) == []


def test_a_dual_report_appears_once_whatever_the_filter(reviewer_client):
    cpcs = credential_in("namss")
    cpmsm = credential_in("namss", holder=cpcs.holder, designation="CPMSM")
    report = ReportFactory(
        member=cpcs.holder,
        program="namss",
        cycle_start=cpcs.cycle_start,
        cycle_end=cpcs.cycle_end,
        credentials=[cpcs, cpmsm],
    )
    fill(report)
    from tests.factories import EntryFactory

    EntryFactory(member=report.member, program="namss", kind="namss.ce", category="ce",
                 quantity=15, approved=True, reports=[report])  # fmt: skip
    submit(report)
    response = reviewer_client.get(QUEUE, {"program": "namss"})
    assert ids(response) == [report.pk]
    assert "CPCS + CPMSM" in response.content.decode()
    assert ids(reviewer_client.get(QUEUE, {"designation": "CPMSM"})) == [report.pk]
    assert ids(reviewer_client.get(QUEUE, {"q": cpcs.holder.last_name})) == [report.pk]


@pytest.mark.parametrize("field", ["last_name", "email", "member_number"])
def test_the_queue_searches_by_name_email_and_member_number(reviewer_client, field):
    found = submitted_report(holder=UserFactory(last_name="Quimby", email="quimby@example.org"))
    submitted_report(holder=UserFactory(last_name="Other", email="other@example.org"))
    term = getattr(found.member, field)
    assert ids(reviewer_client.get(QUEUE, {"q": term})) == [found.pk]


def test_the_queue_searches_by_invoice_number(reviewer_client):
    found = submitted_report()
    submitted_report()
    number = invoice_of(found).number
    assert ids(reviewer_client.get(QUEUE, {"q": number.lower()})) == [found.pk]


def test_the_queue_shows_member_designation_status_points_paid_and_audit(reviewer_client):
    report = submitted_report()
    page = reviewer_client.get(QUEUE).content.decode()
    assert report.member.member_number in page
    assert "IPMA-SCP" in page
    assert "In review" in page
    assert "51 / 50" in page


def queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(QUEUE, {"status": "all"}).status_code == 200
    return len(captured)


def test_the_queue_runs_a_constant_number_of_queries(
    reviewer_client, django_assert_max_num_queries
):
    for _ in range(5):
        submitted_report()
    few = queue_queries(reviewer_client)
    for _ in range(45):
        submitted_report(paid=False)
    many = queue_queries(reviewer_client)
    assert few == many, f"{few} queries for 5 reports, {many} for 50"
    # session, user, user permissions, group permissions, the row count for the paginator,
    # the page of reports (with the member joined and the paid EXISTS), their credentials
    with django_assert_max_num_queries(7):
        reviewer_client.get(QUEUE, {"status": "all"})


def test_the_queue_exports_what_is_filtered_on_screen_to_csv(reviewer_client):
    ipma = submitted_report("ipma-hr")
    submitted_report("namss")
    response = reviewer_client.get(f"{QUEUE}export.csv", {"program": "ipma-hr"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["report"]) for r in rows] == [ipma.pk]
    [row] = rows
    assert row["member_number"] == ipma.member.member_number
    assert row["designations"] == "IPMA-SCP"
    assert row["paid"] == "yes"
    assert row["points_counted"] == "51.00"


def test_the_csv_never_starts_a_cell_with_a_formula(reviewer_client):
    submitted_report(holder=UserFactory(first_name="=HYPERLINK(1)"))
    response = reviewer_client.get(f"{QUEUE}export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_the_export_action_exports_the_selected_reports(reviewer_client):
    chosen = submitted_report()
    submitted_report()
    response = reviewer_client.post(
        QUEUE, {"action": "export_csv", "_selected_action": [chosen.pk]}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["report"]) for r in rows] == [chosen.pk]


def test_a_bulk_action_asks_for_the_reason_then_acts_on_each_report(reviewer_client):
    first, second = submitted_report(), submitted_report()
    selected = {"action": "bulk_return", "_selected_action": [first.pk, second.pk]}
    page = reviewer_client.post(QUEUE, selected)
    assert page.status_code == 200
    assert "Return for correction: 2 report(s)" in page.content.decode()
    missing_reason = reviewer_client.post(QUEUE, {**selected, "apply": "1", "reason": ""})
    assert missing_reason.status_code == 200
    done = reviewer_client.post(QUEUE, {**selected, "apply": "1", "reason": "Dates missing"})
    assert done.status_code == 302
    assert set(
        Report.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {"returned"}


def test_a_bulk_approval_reports_the_ones_it_could_not_do(reviewer_client):
    paid, unpaid = submitted_report(), submitted_report(paid=False)
    response = reviewer_client.post(
        QUEUE,
        {"action": "bulk_approve", "_selected_action": [paid.pk, unpaid.pk], "apply": "1"},
        follow=True,
    )
    text = response.content.decode()
    assert "1 report(s) done" in text
    assert f"report {unpaid.pk}: The fee is not paid" in text
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert (paid.status, unpaid.status) == ("approved", "payment_due")
