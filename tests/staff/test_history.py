"""The admin's History button shows the object's audit trail, in words."""

from __future__ import annotations

import pytest

from core.audit import log_action
from core.models import AuditLog
from tests.factories import CredentialFactory, UserFactory

from .conftest import invoice_of, submitted_report

pytestmark = pytest.mark.django_db


def test_a_credential_history_shows_its_audit_trail_in_words(administrator_client, reviewer):
    credential = CredentialFactory()
    log_action(
        credential,
        "changed",
        actor=reviewer,
        member=credential.holder,
        reason="Retired in 2026",
        before={"status": "renew", "cycle_end": "2026-12-31"},
        after={"status": "inactive", "cycle_end": "2027-01-31"},
    )
    page = administrator_client.get(
        f"/admin/members/credential/{credential.pk}/history/"
    ).content.decode()
    assert "doesn’t have a change history" not in page
    assert "Retired in 2026" in page
    assert "rita.reviewer" in page or "Rita" in page
    assert "Status: Renew → Inactive" in page
    assert "{&#x27;status" not in page and "{'status" not in page


def test_report_invoice_and_member_histories(reviewer_client):
    report = submitted_report()
    invoice = invoice_of(report)
    for url, action in (
        (f"/admin/recertification/report/{report.pk}/history/", "Submitted"),
        (f"/admin/payments/invoice/{invoice.pk}/history/", "Issued"),
        (f"/admin/members/user/{report.member.pk}/history/", "Submitted"),
    ):
        page = reviewer_client.get(url).content.decode()
        assert "doesn’t have a change history" not in page, url
        assert f"<td>{action}" in page, url


def test_an_object_without_records_says_so(administrator_client):
    credential = CredentialFactory()
    AuditLog.objects.all().delete()
    page = administrator_client.get(
        f"/admin/members/credential/{credential.pk}/history/"
    ).content.decode()
    assert "No audit records" in page


@pytest.mark.parametrize("term", ["Zebulon", "zeb.quill", "zeb@example.org", "10000042"])
def test_the_audit_log_is_searchable_by_member(administrator_client, term):
    member = UserFactory(
        first_name="Zebulon",
        last_name="Quill",
        username="zeb.quill",
        email="zeb@example.org",
        member_number="10000042",
    )
    other = UserFactory()
    log_action(member, "changed", member=member, reason="theirs")
    log_action(other, "changed", member=other, reason="not theirs")
    page = administrator_client.get("/admin/core/auditlog/", {"q": term}).content.decode()
    assert "theirs" in page and "not theirs" not in page
