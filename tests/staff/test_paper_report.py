"""Lapsed credentials: staff record the paper report and the check, approval reinstates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from backoffice import paper, review
from core.models import AuditLog
from members.models import Credential
from recertification.models import Entry, Report
from tests.factories import CredentialFactory, EntryFactory, report_for

pytestmark = pytest.mark.django_db

S = Report.Status
PDF = b"%PDF-1.4 scanned paper report"


def lapsed(program: str) -> Credential:
    if program == "namss":
        start, end, designation = dt.date(2022, 12, 2), dt.date(2025, 12, 1), "CPCS"
    else:
        start, end, designation = dt.date(2021, 1, 1), dt.date(2023, 12, 31), "IPMA-CP"
    return CredentialFactory(
        program=program,
        designation=designation,
        certified_since=dt.date(2015, 6, 1),
        cycle_start=start,
        cycle_end=end,
        status=Credential.Status.LAPSED,
    )


def rows(*entries: dict, extra: int = 2) -> dict:
    data = {
        "entries-TOTAL_FORMS": str(len(entries) + extra),
        "entries-INITIAL_FORMS": "0",
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "200",
    }
    for i, entry in enumerate(entries):
        for key, value in entry.items():
            data[f"entries-{i}-{key}"] = value
    return data


IPMA_ROWS = (
    {"kind": "ipma.pd.full_day", "date": "2022-03-01", "quantity": "15", "title": "HR Academy"},
    {"kind": "ipma.presentation.speech", "year": "2023", "title": "Chapter keynote"},
    {"kind": "ipma.membership.other", "year": "2022", "organization": "SHRM"},
)  # 45 + 2 + 1 = 48: short of 50
NAMSS_ROWS = (
    {"kind": "namss.ce", "date": "2024-04-10", "quantity": "15", "approved": "on",
     "title": "NAMSS Educational Conference"},
    {"kind": "namss.ce", "date": "2024-09-10", "quantity": "15.5", "title": "Webinars"},
)  # fmt: skip


def scan() -> SimpleUploadedFile:
    return SimpleUploadedFile("paper-report.pdf", PDF, content_type="application/pdf")


def url(credential) -> str:
    return f"/admin/members/credential/{credential.pk}/paper-report/"


def record(client, credential, entries, **fields):
    # Signed on 2 November 2026, or on the day of a test set earlier (never in the future).
    signed_on = min(dt.date(2026, 11, 2), timezone.localdate())
    data = {"signed_on": signed_on.isoformat(), **rows(*entries), **fields}
    return client.post(url(credential), data)


def test_the_lapsed_credential_page_links_to_the_paper_report_form(administrator_client):
    credential = lapsed("ipma-hr")
    page = administrator_client.get(f"/admin/members/credential/{credential.pk}/change/")
    assert url(credential) in page.content.decode()


def test_the_preview_scores_the_entries_with_the_rules_engine(administrator_client):
    credential = lapsed("ipma-hr")
    response = record(administrator_client, credential, IPMA_ROWS, _preview="1")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Total: 48 of 50" in page
    assert "not met" in page
    assert "2 more points" in page or "2 points" in page
    assert not Report.objects.exists()
    more = (*IPMA_ROWS, {"kind": "ipma.publication.newsletter", "date": "2023-05-01"})
    assert (
        "Total: 50 of 50 – requirement met"
        in record(administrator_client, credential, more, _preview="1").content.decode()
    )


def test_a_row_the_rules_engine_refuses_is_shown_against_the_row(administrator_client):
    credential = lapsed("ipma-hr")
    bad = ({"kind": "ipma.pd.full_day", "date": "2022-03-01", "quantity": "1.5"},)
    page = record(administrator_client, credential, bad, _preview="1").content.decode()
    assert "whole number" in page
    outside = ({"kind": "ipma.pd.full_day", "date": "2020-03-01", "quantity": "20"},)
    page = record(administrator_client, credential, outside, _preview="1").content.decode()
    assert "Row 1: " in page and "outside the cycle 01/01/2021 to 12/31/2023" in page


def test_recording_an_ipma_hr_paper_report_with_its_check_then_approving_reinstates(
    administrator_client, administrator
):
    from payments.models import Invoice, Payment

    credential = lapsed("ipma-hr")
    entries = (*IPMA_ROWS, {"kind": "ipma.publication.newsletter", "date": "2023-05-01"})
    response = record(
        administrator_client,
        credential,
        entries,
        _save="1",
        scanned_file=scan(),
        check_number="4411",
        check_date="2026-11-01",
        amount="150.00",
        received_on="2026-11-05",
        reason="Paper report received by post",
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    report = Report.objects.get(is_paper=True)
    assert response["Location"].endswith(f"/recertification/report/{report.pk}/change/")
    assert (report.cycle_start, report.cycle_end) == (credential.cycle_start, credential.cycle_end)
    assert report.status == S.IN_REVIEW
    assert report.points_counted == Decimal("50")
    assert report.agreed_on == dt.date(2026, 11, 2)
    assert report.scanned_report_name == "paper-report.pdf"
    assert Entry.objects.filter(reports=report).count() == 4
    invoice = Invoice.objects.get(report=report)
    assert (invoice.kind, invoice.total, invoice.status) == (
        "recertification",
        Decimal("150.00"),
        "paid",
    )
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.check_number, payment.check_date) == ("4411", dt.date(2026, 11, 1))
    log = AuditLog.objects.get(action="paper report recorded")
    assert (log.actor, log.reason) == (administrator, "Paper report received by post")
    scanned = administrator_client.get(f"/admin/recertification/report/{report.pk}/scanned-report/")
    assert b"".join(scanned.streaming_content) == PDF

    paper.paper_report_approve(report=report, actor=administrator, reason="Reinstated")
    credential.refresh_from_db()
    assert credential.status == Credential.Status.RENEW
    assert (credential.cycle_start, credential.cycle_end) == (
        dt.date(2024, 1, 1),
        dt.date(2026, 12, 31),
    )
    assert credential.renewed_on == dt.date(2026, 11, 20)
    assert AuditLog.objects.filter(object_type="members.credential", action="reinstated").exists()
    # The portal is open again: the new cycle's report exists and is open for entries.
    assert Report.objects.get(member=credential.holder, cycle_start=dt.date(2024, 1, 1)).is_editable


def test_a_namss_paper_report_is_billed_the_reinstatement_fee(administrator_client, administrator):
    from payments.models import Invoice

    credential = lapsed("namss")
    with time_machine.travel(dt.datetime(2026, 3, 16, 15, 0), tick=False):
        page = administrator_client.get(url(credential)).content.decode()
        assert "Reinstatement fee 100.00" in page
        assert "275.00 USD" in page
        wrong = record(administrator_client, credential, NAMSS_ROWS, _save="1",
                       scanned_file=scan(), check_number="77", check_date="2026-03-01",
                       amount="175.00")  # fmt: skip
        assert wrong.status_code == 200
        assert "is for 275.00 USD" in wrong.content.decode()
        assert not Report.objects.exists()
        assert not Entry.objects.exists()
        response = record(administrator_client, credential, NAMSS_ROWS, _save="1",
                          scanned_file=scan(), check_number="77", check_date="2026-03-01",
                          amount="275.00")  # fmt: skip
        assert response.status_code == 302
        report = Report.objects.get(is_paper=True)
        invoice = Invoice.objects.get(report=report)
        assert invoice.kind == "reinstatement"
        assert sorted(invoice.lines.values_list("fee_code", "amount")) == [
            ("recertification", Decimal("175.00")),
            ("reinstatement", Decimal("100.00")),
        ]
        assert invoice.status == "paid"
        review.report_approve(report=report, actor=administrator)
    credential.refresh_from_db()
    assert credential.status == Credential.Status.RENEW
    assert (credential.cycle_start, credential.cycle_end) == (
        dt.date(2025, 12, 2),
        dt.date(2028, 12, 1),
    )


def test_a_namss_credential_past_its_grace_period_cannot_be_reinstated(administrator_client):
    credential = lapsed("namss")
    page = administrator_client.get(url(credential)).content.decode()
    assert "grace period to reinstate CPCS ended on 06/30/2026" in page
    response = record(administrator_client, credential, NAMSS_ROWS, _save="1", scanned_file=scan())
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_an_open_credential_has_no_paper_report(administrator_client):
    credential = CredentialFactory(status=Credential.Status.RENEW)
    assert (
        "paper reports are recorded for lapsed credentials only"
        in administrator_client.get(url(credential)).content.decode()
    )


def test_the_scanned_report_is_required_to_record(administrator_client):
    credential = lapsed("ipma-hr")
    entries = (*IPMA_ROWS, {"kind": "ipma.publication.newsletter", "date": "2023-05-01"})
    response = record(administrator_client, credential, entries, _save="1")
    assert response.status_code == 200
    assert "Upload the scanned paper report." in response.content.decode()
    assert not Report.objects.exists()


def test_a_report_that_does_not_meet_the_requirement_is_not_recorded(administrator_client):
    credential = lapsed("ipma-hr")
    response = record(administrator_client, credential, IPMA_ROWS, _save="1", scanned_file=scan())
    assert response.status_code == 200
    assert "does not meet the requirement" in response.content.decode()
    assert not Report.objects.exists()


def test_a_reviewer_records_the_report_and_finance_records_the_check(reviewer_client, finance):
    from payments.checks import payment_record_check
    from payments.models import Invoice

    credential = lapsed("ipma-hr")
    form = reviewer_client.get(url(credential)).content.decode()
    assert 'name="check_number"' not in form
    entries = (*IPMA_ROWS, {"kind": "ipma.publication.newsletter", "date": "2023-05-01"})
    response = record(reviewer_client, credential, entries, _save="1", scanned_file=scan(),
                      check_number="99", check_date="2026-11-01", amount="150")  # fmt: skip
    assert response.status_code == 302
    report = Report.objects.get(is_paper=True)
    assert report.status == S.PAYMENT_DUE
    invoice = Invoice.objects.get(report=report)
    assert invoice.status == "open"
    payment_record_check(invoice=invoice, number="99", check_date=dt.date(2026, 11, 1),
                         amount=invoice.total, actor=finance)  # fmt: skip
    report.refresh_from_db()
    assert report.status == S.IN_REVIEW


def test_the_member_s_own_entries_for_the_lapsed_cycle_are_kept(administrator_client):
    credential = lapsed("ipma-hr")
    online = report_for(credential)
    EntryFactory(member=credential.holder, kind="ipma.publication.newsletter",
                 category="publication", date=dt.date(2023, 5, 1), reports=[online])  # fmt: skip
    page = record(administrator_client, credential, IPMA_ROWS, _preview="1").content.decode()
    assert "Total: 50 of 50" in page
    assert "(entered online)" in page
    response = record(administrator_client, credential, IPMA_ROWS, _save="1", scanned_file=scan(),
                      check_number="1", check_date="2026-11-01", amount="150")  # fmt: skip
    assert response.status_code == 302
    online.refresh_from_db()
    assert (online.is_paper, online.status, online.entries.count()) == (True, S.IN_REVIEW, 4)


def test_a_membership_year_cannot_be_entered_twice(administrator_client):
    credential = lapsed("ipma-hr")
    twice = (*IPMA_ROWS, {"kind": "ipma.membership.other", "year": "2022", "organization": "shrm "},
             {"kind": "ipma.pd.full_day", "date": "2022-05-01", "quantity": "2"})  # fmt: skip
    response = record(administrator_client, credential, twice, _save="1", scanned_file=scan())
    assert "entered twice" in response.content.decode()
    assert not Report.objects.exists()


def test_more_rows_adds_five_empty_rows(administrator_client):
    credential = lapsed("ipma-hr")
    response = record(administrator_client, credential, IPMA_ROWS, _more="1")
    assert response.context["formset"].total_form_count() == len(IPMA_ROWS) + 2 + 5


def test_the_member_s_invoice_paid_ahead_is_found_paid_when_staff_record_the_report(
    administrator_client, administrator, finance
):
    """The member asked for the invoice on the reinstatement page and paid it by check; staff
    recording the paper report find that invoice paid and bill nothing more."""
    from lifecycle.reinstatement import paper_report_invoice
    from payments.checks import payment_record_check
    from payments.models import Invoice

    credential = lapsed("namss")
    with time_machine.travel(dt.datetime(2026, 3, 16, 15, 0), tick=False):
        client = Client()
        client.force_login(credential.holder)
        first = client.post(f"/profile/reinstatement/{credential.pk}/invoice/")
        again = paper_report_invoice(
            credential=credential, member=credential.holder, today=dt.date(2026, 3, 16)
        )
        invoice = Invoice.objects.get()
        assert first.url == f"/transactions/invoices/{invoice.number}/"
        assert again.number == invoice.number
        assert invoice.kind == "reinstatement" and invoice.total == Decimal("275.00")
        payment_record_check(invoice=invoice, number="12", check_date=dt.date(2026, 3, 10),
                             amount=invoice.total, actor=finance)  # fmt: skip
        response = record(administrator_client, credential, NAMSS_ROWS, _save="1",
                          scanned_file=scan())  # fmt: skip
        assert response.status_code == 302
        report = Report.objects.get(is_paper=True)
        assert report.status == S.IN_REVIEW
        assert list(Invoice.objects.values_list("pk", "status")) == [(invoice.pk, "paid")]
        review.report_approve(report=report, actor=administrator)
    credential.refresh_from_db()
    assert credential.status == Credential.Status.RENEW


IPMA_MORE = {"kind": "ipma.pd.full_day", "date": "2022-06-01", "quantity": "2", "title": "HR Day"}


def test_an_unpaid_invoice_issued_ahead_is_the_one_staff_s_check_pays(administrator_client):
    from payments.models import Invoice

    credential = lapsed("ipma-hr")
    with time_machine.travel(dt.datetime(2026, 11, 2, 15, 0), tick=False):
        client = Client()
        client.force_login(credential.holder)
        client.post(f"/profile/reinstatement/{credential.pk}/invoice/")
        invoice = Invoice.objects.get()
        assert invoice.status == "open"
        response = record(administrator_client, credential, (*IPMA_ROWS, IPMA_MORE), _save="1", scanned_file=scan(), check_number="88",
                          check_date="2026-11-01", amount=str(invoice.total))  # fmt: skip
        assert response.status_code == 302, response.content.decode()[-2000:]
    report = Report.objects.get(is_paper=True)
    assert Invoice.objects.get().pk == invoice.pk
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.report == report
    assert report.status in (S.IN_REVIEW, S.AUDIT)


def _member_asks_for_the_invoice(credential):
    client = Client()
    client.force_login(credential.holder)
    client.post(f"/profile/reinstatement/{credential.pk}/invoice/")


def test_staff_see_that_the_member_paid_the_paper_report_online(administrator_client, finance):
    from payments.checks import payment_record_check
    from payments.models import Invoice

    credential = lapsed("namss")
    with time_machine.travel(dt.datetime(2026, 3, 16, 15, 0), tick=False):
        _member_asks_for_the_invoice(credential)
        invoice = Invoice.objects.get()
        payment_record_check(invoice=invoice, number="12", check_date=dt.date(2026, 3, 10),
                             amount=invoice.total, actor=finance)  # fmt: skip
        page = administrator_client.get(url(credential)).content.decode()
    assert f">{invoice.number}</a> for this paper report" in page
    assert "is paid" in page and "275.00" in page
    assert 'name="check_number"' not in page  # nothing left to record


def test_a_check_entered_against_a_paid_invoice_is_refused_and_nothing_recorded(
    administrator_client, finance
):
    from payments.checks import payment_record_check
    from payments.models import Invoice, Payment

    credential = lapsed("namss")
    with time_machine.travel(dt.datetime(2026, 3, 16, 15, 0), tick=False):
        _member_asks_for_the_invoice(credential)
        invoice = Invoice.objects.get()
        payment_record_check(invoice=invoice, number="12", check_date=dt.date(2026, 3, 10),
                             amount=invoice.total, actor=finance)  # fmt: skip
        response = record(administrator_client, credential, NAMSS_ROWS, _save="1",
                          scanned_file=scan(), check_number="99", check_date="2026-03-12",
                          amount="275.00")  # fmt: skip
    assert response.status_code == 200
    assert f"Invoice {invoice.number} is already paid" in response.content.decode()
    assert Report.objects.get(is_paper=True).submitted_at is None  # nothing recorded
    assert not Entry.objects.exists()
    assert Payment.objects.count() == 1


def test_staff_see_an_invoice_the_member_has_not_paid_yet(administrator_client):
    from payments.models import Invoice

    credential = lapsed("ipma-hr")
    with time_machine.travel(dt.datetime(2026, 11, 2, 15, 0), tick=False):
        _member_asks_for_the_invoice(credential)
        invoice = Invoice.objects.get()
        page = administrator_client.get(url(credential)).content.decode()
    assert f">{invoice.number}</a> for this paper report" in page and "not paid yet" in page
    assert 'name="check_number"' in page
