"""Erasing a person's personal data on request: the account, texts and files go; invoices,
payments and the audit trail keep what the law requires; nothing half-done."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from backoffice.erasure import personal_data_erase
from core.models import AuditLog
from lifecycle.certificates import certificate_issue
from lifecycle.models import Certificate
from members.models import Notification
from payments.models import Invoice
from providers.models import Completion
from recertification.models import Entry, EntryFile
from tests.factories import CredentialFactory, EntryFactory, EntryFileFactory, report_for
from tests.payments.factories import InvoiceFactory
from tests.providers.factories import CompletionFactory
from tests.staff_personas import staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(member):
    credential = CredentialFactory(holder=member)
    report = report_for(credential)
    entry = EntryFactory(member=member, reports=[report], details={"title": "My private notes"})
    upload = EntryFileFactory(entry=entry)
    invoice = InvoiceFactory()
    Invoice.objects.filter(pk=invoice.pk).update(member=member, billing_name="Pat Member")
    certificate = certificate_issue(credential=credential)
    return {"entry": entry, "upload": upload, "invoice": invoice, "certificate": certificate}


def test_the_account_texts_and_files_are_erased_and_invoices_kept(
    member, records, django_capture_on_commit_callbacks
):
    admin = staff_in("Administrator", username="ada.erase")
    storage, name = records["upload"].file.storage, records["upload"].file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        personal_data_erase(member=member, actor=admin, reason="Request by email, 11/30/2026")
    member.refresh_from_db()
    assert (member.first_name, member.is_active) == ("Erased", False)
    assert "pat" not in member.email.lower() and not member.has_usable_password()
    assert Entry.objects.get(pk=records["entry"].pk).details == {}
    assert not EntryFile.objects.exists() and not storage.exists(name)
    invoice = Invoice.objects.get(pk=records["invoice"].pk)
    assert invoice.billing_name == "Pat Member"  # an issued invoice stays as issued
    certificate = Certificate.objects.get(pk=records["certificate"].pk)
    assert certificate.revoked_at is not None and certificate.holder_name == "Erased"
    public = Client().get(f"/verify/{certificate.code}/").content.decode()
    assert "Pat" not in public
    record = AuditLog.objects.get(action="personal data erased")
    assert record.actor == admin and "11/30/2026" in record.reason
    client = Client()
    client.post("/accounts/login/", {"username": "pat.member", "password": "correct-horse-battery"})
    assert "_auth_user_id" not in client.session


def test_emails_keep_no_address_or_body(member, records):
    Notification.objects.create(key="k", kind="lapsed", member=member, to_email=member.email,
                                subject="Lapsed", body_text="Dear Pat", body_html="")  # fmt: skip
    personal_data_erase(member=member, actor=None, reason="request")
    notice = Notification.objects.get(key="k")
    assert notice.body_text == "" and "pat" not in notice.to_email


def test_what_providers_reported_keeps_no_name_or_email(member, records):
    pending = CompletionFactory(member=member, email="pat@work.example", last_name="Member")
    accepted = CompletionFactory(
        member=member, status=Completion.Status.ACCEPTED, email="pat@work.example"
    )
    other = CompletionFactory(last_name="Other")
    personal_data_erase(member=member, actor=None, reason="request")
    pending.refresh_from_db()
    accepted.refresh_from_db()
    assert (pending.last_name, pending.email) == ("Erased", "")
    assert pending.status == Completion.Status.DECLINED and pending.decline_reason
    assert (accepted.last_name, accepted.email, accepted.status) == ("Erased", "", "accepted")
    assert Completion.objects.get(pk=other.pk).last_name == "Other"


def test_a_reason_is_required_and_staff_are_not_erased_here(member):
    with pytest.raises(ValidationError):
        personal_data_erase(member=member, actor=None, reason=" ")
    with pytest.raises(ValidationError):
        personal_data_erase(member=staff_in("Reviewer", username="rita.e"), actor=None, reason="x")


def test_an_administrator_erases_from_the_member_page(administrator_client, member, records):
    page = administrator_client.get(f"/admin/members/user/{member.pk}/change/").content.decode()
    url = f"/admin/members/user/{member.pk}/erase/"
    assert url in page
    wrong = administrator_client.post(url, {"member_number": "0", "reason": "asked"})
    assert "not this member" in wrong.content.decode()
    member.refresh_from_db()
    assert member.is_active
    done = administrator_client.post(
        url, {"member_number": member.member_number, "reason": "Email of 11/30/2026"}
    )
    assert done.status_code == 302
    member.refresh_from_db()
    assert not member.is_active and member.first_name == "Erased"


def test_a_reviewer_cannot_erase(reviewer_client, member):
    assert reviewer_client.get(f"/admin/members/user/{member.pk}/erase/").status_code == 403
