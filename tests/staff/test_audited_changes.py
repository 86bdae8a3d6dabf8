"""Every staff change through the admin asks for a reason and keeps who, when, what and why."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditLog
from members.models import Credential, MembershipRecord
from recertification.models import ProgramSettings
from tests.factories import CredentialFactory, MembershipRecordFactory, UserFactory

pytestmark = pytest.mark.django_db


def credential_form(credential, **changes) -> dict:
    data = {
        "holder": credential.holder_id,
        "program": credential.program,
        "designation": credential.designation,
        "certified_since": credential.certified_since.isoformat(),
        "cycle_start": credential.cycle_start.isoformat(),
        "cycle_end": credential.cycle_end.isoformat(),
        "renewed_on": "",
        "status": credential.status,
    }
    return data | changes


def test_changing_a_credential_needs_a_reason_and_is_logged(administrator_client, administrator):
    """A credential's status changes by hand only for an Administrator (tests/staff/
    test_credential_standing.py), and only with a reason."""
    reviewer_client, reviewer = administrator_client, administrator
    credential = CredentialFactory()
    url = f"/admin/members/credential/{credential.pk}/change/"
    refused = reviewer_client.post(url, credential_form(credential, status="inactive"))
    assert refused.status_code == 200
    credential.refresh_from_db()
    assert credential.status == "renew"
    done = reviewer_client.post(
        url, credential_form(credential, status="inactive", change_reason="Retired in 2026")
    )
    assert done.status_code == 302
    log = AuditLog.objects.get(object_type="members.credential", action="changed")
    assert (log.actor, log.member, log.reason) == (reviewer, credential.holder, "Retired in 2026")
    assert (log.before, log.after) == ({"status": "renew"}, {"status": "inactive"})


def test_changing_a_fee_is_logged_with_its_reason(finance_client, finance):
    row = ProgramSettings.objects.create(program="ipma-hr", recertification_fee=Decimal("150"))
    response = finance_client.post(
        f"/admin/recertification/programsettings/{row.pk}/change/",
        {
            "program": "ipma-hr",
            "currency": "USD",
            "recertification_fee": "175.00",
            "late_fee": "0",
            "extension_fee": "0",
            "reinstatement_fee": "0",
            "change_reason": "Board decision of 1 November",
        },
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.recertification_fee == Decimal("175.00")
    log = AuditLog.objects.get(object_type="recertification.programsettings")
    assert (log.actor, log.reason) == (finance, "Board decision of 1 November")
    assert log.after == {"recertification_fee": "175.00"}


def test_changing_a_member_is_logged(administrator_client, administrator):
    user = UserFactory(first_name="Pat")
    page = administrator_client.get(f"/admin/members/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data |= {
        "first_name": "Patricia",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "change_reason": "Name change requested by email",
        "groups": [],
        "user_permissions": [],
        "credentials-TOTAL_FORMS": "0",
        "credentials-INITIAL_FORMS": "0",
    }
    data = {k: v for k, v in data.items() if not isinstance(v, list) or v}
    response = administrator_client.post(f"/admin/members/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    log = AuditLog.objects.get(object_type="members.user")
    assert log.after == {"first_name": "Patricia"}
    assert log.reason == "Name change requested by email"


def test_records_are_deleted_only_with_a_reason(reviewer_client, reviewer):
    record = MembershipRecordFactory()
    url = "/admin/members/membershiprecord/"
    ask = reviewer_client.post(
        url, {"action": "delete_with_reason", "_selected_action": [record.pk]}
    )
    assert ask.status_code == 200
    assert MembershipRecord.objects.exists()
    reviewer_client.post(url, {"action": "delete_with_reason", "_selected_action": [record.pk],
                               "apply": "1", "reason": ""})  # fmt: skip
    assert MembershipRecord.objects.exists()
    reviewer_client.post(url, {"action": "delete_with_reason", "_selected_action": [record.pk],
                               "apply": "1", "reason": "Entered for the wrong member"})  # fmt: skip
    assert not MembershipRecord.objects.exists()
    log = AuditLog.objects.get(action="deleted")
    assert (log.actor, log.reason) == (reviewer, "Entered for the wrong member")
    assert log.before == {"kind": "national", "organization": "", "year": 2024}


def test_the_default_delete_is_not_offered(reviewer_client):
    MembershipRecordFactory()
    page = reviewer_client.get("/admin/members/membershiprecord/").content.decode()
    assert 'value="delete_selected"' not in page


def test_the_credential_roster_exports_to_csv_as_filtered(reviewer_client):
    lapsed = CredentialFactory(status=Credential.Status.LAPSED, designation="IPMA-CP")
    CredentialFactory(status=Credential.Status.RENEW)
    response = reviewer_client.get(
        "/admin/members/credential/roster.csv", {"status__exact": "lapsed"}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["member_number"] == lapsed.holder.member_number
    assert (row["designation"], row["status"]) == ("IPMA-CP", "Lapsed")
    assert row["cycle_end"] == "2026-12-31"


def list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/members/credential/",
        "/admin/members/user/?program=ipma-hr",
        "/admin/members/membershiprecord/",
        "/admin/core/auditlog/",
    ],
)
def test_member_lists_run_a_constant_number_of_queries(administrator_client, url):
    def add(n):
        for _ in range(n):
            credential = CredentialFactory()
            MembershipRecordFactory(member=credential.holder)

    add(3)
    few = list_queries(administrator_client, url)
    add(30)
    assert list_queries(administrator_client, url) == few


def test_adding_a_record_by_hand_needs_a_reason_and_is_logged(reviewer_client, reviewer):
    member = UserFactory()
    data = {"member": member.pk, "kind": "chapter", "organization": "Ohio Chapter", "year": "2025"}
    url = "/admin/members/membershiprecord/add/"
    assert reviewer_client.post(url, data).status_code == 200
    assert not MembershipRecord.objects.exists()
    response = reviewer_client.post(url, data | {"change_reason": "Chapter roster by email"})
    assert response.status_code == 302
    log = AuditLog.objects.get(object_type="members.membershiprecord", action="added")
    assert (log.actor, log.member, log.reason) == (reviewer, member, "Chapter roster by email")


def test_adding_a_member_asks_for_a_reason(administrator_client):
    page = administrator_client.get("/admin/members/user/add/").content.decode()
    assert 'name="change_reason"' in page
    response = administrator_client.post(
        "/admin/members/user/add/",
        {
            "username": "new.member",
            "email": "new@example.org",
            "password1": "a-Long-pass-phrase-42",
            "password2": "a-Long-pass-phrase-42",
            "usable_password": "true",
            "change_reason": "Paper application",
            "credentials-TOTAL_FORMS": "0",
            "credentials-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    log = AuditLog.objects.get(object_type="members.user", action="added")
    assert "password1" not in log.after
    assert log.after["username"] == "new.member"
