import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from recertification.models import Entry, Report

from .helpers import group_of, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"
SUBMIT = "/recertification/submit/"


def add_full_days(client, days: int, on=dt.date(2024, 3, 5)):
    group = group_of("ipma.pd.full_day")
    return client.post(PORTAL, valid_post(group, on, quantity=str(days)), follow=True)


@pytest.fixture
def ipma(client, credential_for):
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    client.get(PORTAL)
    return credential


def submission(report, day=None):
    return {
        "agreement": "agree",
        "report": str(report.pk),
        "date_agreed": (day or timezone.localdate()).isoformat(),
    }


def test_the_entry_that_crosses_the_requirement_is_accepted_and_then_the_portal_locks(client, ipma):
    add_full_days(client, 16)  # 48 points
    crossing = add_full_days(client, 2, on=dt.date(2024, 3, 6))  # 6 more: 54, all counted
    assert Entry.objects.count() == 2
    html = crossing.content.decode()
    assert "54 of 50" in html
    assert "the portal accepts no new entries" in html
    refused = client.post(
        PORTAL, valid_post(group_of("ipma.pd.partial_day"), dt.date(2024, 4, 1)), follow=True
    )
    assert Entry.objects.count() == 2
    assert (
        "That form is not available" in refused.content.decode()
        or "accepts no new entries" in refused.content.decode()
    )


def test_edits_and_deletes_stay_possible_at_the_requirement(client, ipma):
    add_full_days(client, 17)
    entry = Entry.objects.get()
    group = group_of("ipma.pd.full_day")
    data = valid_post(group, dt.date(2024, 3, 5), quantity="16")
    data.pop("form")
    assert (
        client.post(reverse("recertification:entry_edit", args=[entry.pk]), data).status_code == 302
    )
    entry.refresh_from_db()
    assert entry.quantity == 16
    assert client.post(reverse("recertification:entry_delete", args=[entry.pk])).status_code == 302
    assert not Entry.objects.exists()


def test_submission_is_refused_below_the_requirement(client, ipma):
    add_full_days(client, 3)
    report = Report.objects.get()
    page = client.get(SUBMIT).content.decode()
    assert "disabled" in page
    assert "41 more points are needed" in page
    response = client.post(SUBMIT, submission(report))
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
    assert report.agreed_on is None


def test_submission_needs_the_agreement_and_todays_date(client, ipma):
    add_full_days(client, 17)
    report = Report.objects.get()
    no_agreement = client.post(SUBMIT, {**submission(report), "agreement": ""})
    assert "This field is required." in no_agreement.content.decode()
    yesterday = client.post(SUBMIT, submission(report, timezone.localdate() - dt.timedelta(days=1)))
    assert "Enter today&#x27;s date" in yesterday.content.decode()
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN


def test_submission_freezes_the_report_records_the_agreement_and_goes_to_transactions(client, ipma):
    add_full_days(client, 17)
    report = Report.objects.get()
    response = client.post(SUBMIT, submission(report))
    assert response.status_code == 302
    assert response.url == reverse("payments:transactions")
    report.refresh_from_db()
    assert report.status in (Report.Status.SUBMITTED, Report.Status.PAYMENT_DUE)
    assert report.agreed_on == timezone.localdate()
    assert report.points_counted == 51
    assert report.snapshot["total"] == "51"
    agreements = client.get(SUBMIT).content.decode()
    assert "Agreements Signed" in agreements and "IPMA-SCP" in agreements
    # Frozen: no edit, no delete, no new entry.
    entry = Entry.objects.get()
    client.post(reverse("recertification:entry_delete", args=[entry.pk]))
    assert Entry.objects.filter(pk=entry.pk).exists()
    summary = client.get("/recertification/summary/").content.decode()
    assert "read-only" in summary
    assert reverse("recertification:entry_edit", args=[entry.pk]) not in summary


def test_submitting_twice_never_creates_two_reports(client, ipma):
    add_full_days(client, 17)
    report = Report.objects.get()
    client.post(SUBMIT, submission(report))
    first = Report.objects.get()
    client.post(SUBMIT, submission(report))
    assert Report.objects.count() == 1
    again = Report.objects.get()
    assert again.submitted_at == first.submitted_at


def test_a_returned_report_reopens_for_edits_and_resubmission(client, ipma):
    add_full_days(client, 17)
    report = Report.objects.get()
    client.post(SUBMIT, submission(report))
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RETURNED)
    entry = Entry.objects.get()
    group = group_of("ipma.pd.full_day")
    data = valid_post(group, dt.date(2024, 3, 5), quantity="18")
    data.pop("form")
    assert (
        client.post(reverse("recertification:entry_edit", args=[entry.pk]), data).status_code == 302
    )
    client.post(SUBMIT, submission(report))
    report.refresh_from_db()
    assert report.status != Report.Status.RETURNED
    assert report.points_counted == 54


def test_the_summary_shows_claimed_counted_and_the_reason(client, ipma):
    group = group_of("ipma.experiential.employment")
    for year in ("2024", "2025", "2026"):
        client.post(PORTAL, valid_post(group, dt.date(int(year), 1, 1)))
    html = client.get("/recertification/summary/").content.decode()
    assert "Experiential Learning" in html
    assert html.count("bi-pencil") == 3 and html.count("bi-trash") == 3


def test_csv_and_pdf_transcript_download(client, ipma):
    add_full_days(client, 2)
    report = Report.objects.get()
    csv = client.get(reverse("recertification:report_csv", args=[report.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode()
    assert "Points claimed" in body and "Professional Development" in body and ",6,6," in body
    pdf = client.get(reverse("recertification:report_transcript", args=[report.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_csv_cells_cannot_start_formulas(client, ipma):
    group = group_of("ipma.pd.full_day")
    client.post(PORTAL, valid_post(group, dt.date(2024, 3, 5), title='=HYPERLINK("http://x")'))
    report = Report.objects.get()
    body = client.get(reverse("recertification:report_csv", args=[report.pk])).content.decode()
    assert "'=HYPERLINK" in body


def test_namss_submission_opens_on_1_august_of_the_renewal_year(
    client, credential_for, time_machine
):
    credential = credential_for("namss")  # cycle ends 12/01/2026
    client.force_login(credential.holder)
    client.get(PORTAL)
    group = group_of("namss.ce")
    for day in range(1, 31):
        client.post(PORTAL, valid_post(group, dt.date(2024, 1, day), quantity="1"))
    report = Report.objects.get()
    time_machine.move_to(dt.datetime(2026, 7, 31, 12, tzinfo=dt.UTC))
    early = client.post(SUBMIT, submission(report))
    assert "application opens on 08/01/2026" in early.content.decode()
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN


def test_submission_draws_reports_for_audit_at_the_programs_rate(client, ipma):
    from decimal import Decimal

    from recertification.models import ProgramSettings

    ProgramSettings.objects.create(
        program="ipma-hr", recertification_fee=Decimal("150"), audit_rate=Decimal("1")
    )
    add_full_days(client, 17)
    report = Report.objects.get()
    client.post(SUBMIT, submission(report))
    report.refresh_from_db()
    assert report.selected_for_audit is True


def test_a_returned_report_shows_the_reason_to_the_member(client, ipma):
    add_full_days(client, 17)
    report = Report.objects.get()
    client.post(SUBMIT, submission(report))
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.RETURNED, return_reason="Please add the course dates."
    )
    html = client.get(PORTAL).content.decode()
    assert "Returned for correction." in html
    assert "Please add the course dates." in html


def test_a_report_under_audit_asks_for_documents(client, ipma):
    add_full_days(client, 17)
    report = Report.objects.get()
    client.post(SUBMIT, submission(report))
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.AUDIT, selected_for_audit=True, audit_selected_at=timezone.now()
    )
    html = client.get(PORTAL).content.decode()
    assert "Audit: documents needed." in html
    uploads = client.get("/recertification/uploads/").content.decode()
    assert 'type="file"' in uploads
