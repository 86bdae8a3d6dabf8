"""Faults: nothing half-written, a clear page for the member, recovery without staff.

Where a fault can be made for real here it is: Stripe and S3 at a port where nothing listens
(connection refused) or at a server that accepts and never answers (a hang), the SMTP server the
same way through Django's real SMTP backend, PostgreSQL's connection killed by the server
(pg_terminate_backend). Only the moment of a database failure in the middle of a submission is
chosen with a monkeypatch, because an outage cannot otherwise be timed to fall between two
statements of one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from core.models import AuditLog
from members.models import Credential, Notification
from payments import stripe_gateway as gateway
from payments.models import Invoice, Payment
from recertification.models import Entry, EntryFile, Report
from recertification.views import NOT_SAVED, NOT_SUBMITTED
from tests.factories import CredentialFactory
from tests.payments.conftest import collect_card
from tests.payments.factories import InvoiceFactory
from tests.recertification.helpers import group_of, valid_post
from tests.servers import s3_client

from .conftest import BUCKET, changed_tables, db_fingerprint, make_bucket, s3_storage
from .peers import closed_port, silent_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

PORTAL = "/recertification/"
SUBMIT = "/recertification/submit/"
VISA = "4242424242424242"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def ready(client, member):
    """A member whose IPMA-HR report meets the requirement, ready to submit."""
    CredentialFactory(holder=member)
    client.force_login(member)
    client.get(PORTAL)
    saved = client.post(
        PORTAL, valid_post(group_of("ipma.pd.full_day"), dt.date(2024, 3, 5), quantity="17")
    )
    assert saved.status_code == 302
    return Report.objects.get(member=member)


def submission(report) -> dict:
    return {"agreement": "agree", "report": str(report.pk), "date_agreed": "2026-11-20"}


# --- the database fails in the middle of a submission ---------------------------------------------


def test_a_database_failure_mid_submission_rolls_everything_back_and_a_retry_works(
    client, ready, monkeypatch
):
    from payments import invoices as payment_invoices

    real = payment_invoices._next_number

    def database_gone():
        # Raised after report_submit has saved the report row and its audit record, while the
        # invoice is being numbered: the worst moment. A mock only chooses the moment (see top).
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(payment_invoices, "_next_number", database_gone)
    before = db_fingerprint()
    response = client.post(SUBMIT, submission(ready))

    assert response.status_code == 503
    assert NOT_SUBMITTED in text(response)
    assert "Traceback" not in text(response)
    assert changed_tables(before, db_fingerprint()) == []
    ready.refresh_from_db()
    assert ready.status == Report.Status.OPEN and ready.submitted_at is None
    assert not Invoice.objects.exists()
    assert not AuditLog.objects.filter(action="submitted").exists()

    monkeypatch.setattr(payment_invoices, "_next_number", real)
    retry = client.post(SUBMIT, submission(ready))
    assert retry.status_code == 302
    ready.refresh_from_db()
    assert ready.status == Report.Status.PAYMENT_DUE
    assert Invoice.objects.filter(report=ready).count() == 1


def test_a_database_failure_while_saving_an_entry_keeps_nothing(client, member, monkeypatch):
    from recertification import services

    CredentialFactory(holder=member)
    client.force_login(member)
    client.get(PORTAL)

    def database_gone(*args, **kwargs):
        raise OperationalError("could not write to the database")

    monkeypatch.setattr(services, "log_action", database_gone)  # after the entry row is saved
    before = db_fingerprint()
    response = client.post(PORTAL, valid_post(group_of("ipma.pd.partial_day"), dt.date(2024, 4, 1)))
    assert response.status_code == 503
    assert NOT_SAVED in text(response)
    assert changed_tables(before, db_fingerprint()) == []
    monkeypatch.undo()
    retry = client.post(PORTAL, valid_post(group_of("ipma.pd.partial_day"), dt.date(2024, 4, 1)))
    assert retry.status_code == 302
    assert Entry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_connection_killed_mid_submission_loses_nothing(member, monkeypatch):
    """A real failure: PostgreSQL ends our connection (pg_terminate_backend) in the middle of the
    submission's transaction. The server discards the transaction; the portal says so; the
    member's retry, on a new connection, goes through."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db>"
        )
    from payments import invoices as payment_invoices

    client = Client()
    CredentialFactory(holder=member)
    client.force_login(member)
    client.get(PORTAL)
    client.post(
        PORTAL, valid_post(group_of("ipma.pd.full_day"), dt.date(2024, 3, 5), quantity="17")
    )
    report = Report.objects.get(member=member)
    real = payment_invoices._next_number

    def kill_connection():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real()

    monkeypatch.setattr(payment_invoices, "_next_number", kill_connection)
    response = client.post(SUBMIT, submission(report))
    assert response.status_code == 503
    assert NOT_SUBMITTED in text(response)
    monkeypatch.setattr(payment_invoices, "_next_number", real)
    connection.close()  # what the end of the request does with a broken connection

    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
    assert not Invoice.objects.exists()
    retry = client.post(SUBMIT, submission(report))
    assert retry.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.PAYMENT_DUE
    assert Invoice.objects.filter(report=report).count() == 1


def test_the_error_page_renders_while_the_database_is_down(member):
    """An unexpected error with the database down: the friendly 500 page, which runs no query."""

    def database_down(execute, sql, params, many, context):
        raise OperationalError("could not connect to server: Connection refused")

    client = Client(raise_request_exception=False)
    client.force_login(member)
    with connection.execute_wrapper(database_down):
        response = client.get("/recertification/")
    assert response.status_code == 500
    page = text(response)
    assert "We could not finish that" in page
    assert "Nothing you sent was half-saved" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_the_error_pages_have_the_portal_frame(client, member, reviewer, world):
    from django.template.loader import render_to_string

    client.force_login(member)
    page = client.get("/no/such/page/")
    assert page.status_code == 404
    assert "Page not found" in text(page) and "Recertification Portal" in text(page)
    client.force_login(reviewer)
    refused = client.get(reverse("admin:payments_invoice_refund", args=[world["paid_invoice"].pk]))
    assert refused.status_code == 403 and "Not allowed" in text(refused)
    assert "wait 10 minutes" in render_to_string("429.html", {"minutes": 10})


# --- Stripe unreachable or slow ---------------------------------------------------------------------


@pytest.fixture
def invoice(member):
    return InvoiceFactory(report__member=member)


def point_stripe_at(settings, port: int, timeout: int = 1) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_portal_tests"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_portal_tests"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    settings.STRIPE_TIMEOUT = timeout
    settings.STRIPE_MAX_NETWORK_RETRIES = 0


def _pay_page_says_stripe_is_unavailable(client, invoice) -> None:
    url = reverse("payments:pay", args=[invoice.number])
    page = client.get(url)
    assert page.status_code == 200
    assert gateway.UNAVAILABLE_MESSAGE in text(page)
    assert "data-client-secret" not in text(page)
    charged = client.post(url, {"setup_intent": "seti_fromthebrowser"}, follow=True)
    assert charged.status_code == 200
    assert gateway.UNAVAILABLE_MESSAGE in text(charged)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_stripe_unreachable_the_member_is_told_and_the_invoice_stays_open(
    client, member, invoice, settings
):
    point_stripe_at(settings, closed_port())
    client.force_login(member)
    _pay_page_says_stripe_is_unavailable(client, invoice)


def test_stripe_slow_the_member_is_told_within_the_timeout(client, member, invoice, settings):
    with silent_server() as port:
        point_stripe_at(settings, port, timeout=1)
        client.force_login(member)
        started = time.monotonic()
        _pay_page_says_stripe_is_unavailable(client, invoice)
        # Two requests (page, charge), each waiting at most its timeout for a silent Stripe.
        assert time.monotonic() - started < 10


def test_after_an_outage_paying_later_works(client, member, invoice, settings, stripe_on):
    client.force_login(member)
    base = settings.STRIPE_API_BASE
    point_stripe_at(settings, closed_port())
    _pay_page_says_stripe_is_unavailable(client, invoice)

    settings.STRIPE_API_BASE = base  # Stripe is back
    settings.STRIPE_TIMEOUT = 5
    url = reverse("payments:pay", args=[invoice.number])
    page = text(client.get(url))
    secret = re.search(r'data-client-secret="([^"]+)"', page).group(1)
    setup = collect_card(base, secret, VISA)
    paid = client.post(url, {"setup_intent": setup["id"]}, follow=True)
    assert "Thank you" in text(paid)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Payment.objects.filter(invoice=invoice, status=Payment.Status.CONFIRMED).count() == 1


# --- file storage unreachable during an upload --------------------------------------------------------


def _entry_with_file(client):
    group = group_of("ipma.policy")
    data = valid_post(group, dt.date(2024, 5, 1))
    data[f"{group.key}-files"] = [SimpleUploadedFile("policy.pdf", PDF, "application/pdf")]
    return client.post(PORTAL, data)


def test_s3_unreachable_the_entry_is_not_saved_without_its_files_and_a_retry_works(
    client, member, settings, moto_s3
):
    CredentialFactory(holder=member)
    client.force_login(member)
    client.get(PORTAL)

    s3_storage(settings, f"http://127.0.0.1:{closed_port()}")
    response = _entry_with_file(client)
    assert response.status_code == 200
    assert "could not be stored just now, so the entry was not saved" in text(response)
    assert not Entry.objects.exists() and not EntryFile.objects.exists()

    make_bucket(moto_s3)
    s3_storage(settings, moto_s3)  # storage is back
    assert _entry_with_file(client).status_code == 302
    stored = EntryFile.objects.get()
    assert stored.entry.member == member
    body = s3_client(moto_s3).get_object(Bucket=BUCKET, Key=stored.file.name)["Body"].read()
    assert body == PDF


def test_s3_hanging_the_upload_page_tells_the_member_and_keeps_nothing(client, member, settings):
    CredentialFactory(holder=member)
    client.force_login(member)
    client.get(PORTAL)
    client.post(PORTAL, valid_post(group_of("ipma.innovation"), dt.date(2024, 5, 1)))
    entry = Entry.objects.get()
    with silent_server() as port:
        s3_storage(settings, f"http://127.0.0.1:{port}")
        started = time.monotonic()
        response = client.post(
            "/recertification/uploads/",
            {
                "entry": str(entry.pk),
                "files": [SimpleUploadedFile("agenda.pdf", PDF, "application/pdf")],
            },
        )
        assert time.monotonic() - started < 30
    assert response.status_code == 200
    assert "could not be stored just now" in text(response)
    assert not EntryFile.objects.exists()


# --- the mail server down -----------------------------------------------------------------------------


@pytest.fixture
def smtp_down(settings):
    """Django's real SMTP backend, pointed at a port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2
    return settings


def smtp_back(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def retry_emails() -> None:
    """What an operator runs once the mail server is back."""
    call_command("retry_emails", "--now", verbosity=0)


@pytest.fixture
def in_review(reviewer):
    from tests.staff.conftest import submitted_report

    report = submitted_report()
    assert report.status == Report.Status.IN_REVIEW
    return report


def test_smtp_down_an_approval_still_commits_and_the_email_is_sent_later(
    in_review, reviewer, smtp_down, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(reviewer)
    url = reverse("admin:recertification_report_action", args=[in_review.pk, "approve"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "All in order"})
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == Report.Status.APPROVED
    credential = in_review.credentials.get()
    assert credential.status == Credential.Status.RENEW
    assert credential.cycle_start == dt.date(2027, 1, 1)
    emails = Notification.objects.filter(
        member=in_review.member, kind__in=["report_approved", "certificate_issued"]
    )
    assert emails.count() == 2
    assert set(emails.values_list("status", flat=True)) == {"failed"}
    assert all("refused" in n.error for n in emails)
    assert mail.outbox == []

    smtp_back(smtp_down)
    retry_emails()
    assert len(mail.outbox) == 2  # the approval, and the certificate it issued
    assert any(m.subject.startswith("Your Recertification Report is approved") for m in mail.outbox)
    assert set(emails.values_list("status", flat=True)) == {"sent"}
    retry_emails()  # nothing is sent twice
    assert len(mail.outbox) == 2


def test_smtp_down_a_return_still_commits_and_the_reason_is_emailed_later(
    in_review, reviewer, smtp_down, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(reviewer)
    url = reverse("admin:recertification_report_action", args=[in_review.pk, "return"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"reason": "The academy needs dates."}).status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == Report.Status.RETURNED
    assert Notification.objects.get(kind="report_returned").status == "failed"

    smtp_back(smtp_down)
    retry_emails()
    [email] = mail.outbox
    assert "The academy needs dates." in email.body


def test_smtp_down_a_check_payment_still_commits_and_the_receipt_is_sent_later(
    finance, member, smtp_down, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(report__member=member)
    client = Client()
    client.force_login(finance)
    url = reverse("admin:payments_invoice_record_check", args=[invoice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "check_number": "1001",
                "check_date": "2026-11-18",
                "amount": str(invoice.total),
                "received_on": "2026-11-20",
            },
        )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Notification.objects.get(kind="payment_receipt").status == "failed"

    smtp_back(smtp_down)
    retry_emails()
    [receipt] = mail.outbox
    assert receipt.subject == f"Receipt for invoice {invoice.number}"
    assert receipt.attachments[0][0] == f"receipt-{invoice.number}.pdf"
    assert receipt.attachments[0][1].startswith(b"%PDF")


def test_smtp_hanging_a_card_payment_still_thanks_the_member(
    client, member, settings, stripe_on, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(report__member=member)
    client.force_login(member)
    url = reverse("payments:pay", args=[invoice.number])
    secret = re.search(r'data-client-secret="([^"]+)"', text(client.get(url))).group(1)
    setup = collect_card(stripe_on, secret, VISA)
    with silent_server() as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 1
        with django_capture_on_commit_callbacks(execute=True):
            paid = client.post(url, {"setup_intent": setup["id"]}, follow=True)
    assert paid.status_code == 200 and "Thank you" in text(paid)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Notification.objects.get(kind="payment_receipt").status == "failed"
    smtp_back(settings)
    retry_emails()
    assert [m.subject for m in mail.outbox] == [f"Receipt for invoice {invoice.number}"]
