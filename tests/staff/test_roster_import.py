"""IPMA-HR membership and committee rosters from CSV: preview, apply, re-apply, bad rows."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backoffice import imports
from core.models import AuditLog
from members.models import CommitteeRecord, MembershipRecord
from recertification.selectors import scored_report
from tests.factories import CommitteeRecordFactory, MembershipRecordFactory, UserFactory, report_for
from tests.staff.conftest import credential_in

pytestmark = pytest.mark.django_db

MEMBERSHIP_URL = "/admin/members/membershiprecord/import/"
COMMITTEE_URL = "/admin/members/committeerecord/import/"


def upload(text: str, name: str = "roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def preview_page(client, url, text):
    response = client.post(url, {"file": upload(text)})
    assert response.status_code == 200
    return response


def apply(client, url, preview_response, reason="2025 roster"):
    token = re.search(r'name="token" value="([^"]+)"', preview_response.content.decode()).group(1)
    return client.post(url, {"token": token, "reason": reason})


@pytest.fixture
def pat(db):
    return UserFactory(email="pat@example.org", member_number="10000001")


@pytest.fixture
def sam(db):
    return UserFactory(email="Sam@Example.org", member_number="10000002")


def roster(*lines: str) -> str:
    return "member_number,email,kind,organization,year\n" + "\n".join(lines) + "\n"


def test_the_preview_marks_each_row_new_present_or_error_and_saves_nothing(
    reviewer_client, pat, sam
):
    MembershipRecordFactory(member=sam, kind="national", year=2024)
    text = roster(
        "10000001,,national,,2024",
        ",sam@example.org,national,,2024",
        "99999999,,national,,2024",
        "10000001,,national,,24",
        "10000001,,national,,2024",
        "10000001,,chapter,,2025",
        "10000001,,board,,2025",
        "10000001,,chapter,Illinois Chapter,2025",
    )
    response = preview_page(reviewer_client, MEMBERSHIP_URL, text)
    result = response.context["result"]
    statuses = [(row.line, row.status, row.message) for row in result.rows]
    assert statuses == [
        (2, "new", ""),
        (3, "already present", "already present"),
        (4, "error", "unknown member “99999999”"),
        (5, "error", "bad year “24”: use four digits such as 2024"),
        (6, "error", "duplicate of row 2"),
        (7, "error", "a chapter membership needs the chapter or agency name (organization)"),
        (8, "error", "unknown kind “board”: use national, chapter or agency"),
        (9, "new", ""),
    ]
    page = response.content.decode()
    assert "2 new, 1 already present, 5 with errors" in page
    assert "unknown member" in page
    assert not MembershipRecord.objects.filter(member=pat).exists()


def test_applying_creates_the_new_rows_and_reapplying_changes_nothing(
    reviewer_client, reviewer, pat
):
    text = roster("10000001,,national,,2024", "10000001,,chapter,Illinois Chapter,2025", "x,,y,,z")
    first = preview_page(reviewer_client, MEMBERSHIP_URL, text)
    response = apply(reviewer_client, MEMBERSHIP_URL, first)
    assert response.status_code == 302
    assert MembershipRecord.objects.filter(member=pat).count() == 2
    log = AuditLog.objects.filter(action="imported").first()
    assert (log.actor, log.member) == (reviewer, pat)
    assert log.reason == "Roster import roster.csv: 2025 roster"

    second = preview_page(reviewer_client, MEMBERSHIP_URL, text)
    assert second.context["result"].counts == {"new": 0, "present": 2, "error": 1}
    assert "Nothing to add." in second.content.decode()
    # Applying the first preview again is also harmless: its rows are present now.
    assert apply(reviewer_client, MEMBERSHIP_URL, first).status_code == 302
    assert MembershipRecord.objects.filter(member=pat).count() == 2
    assert AuditLog.objects.filter(action="imported").count() == 2


def test_imported_records_add_points_to_the_member_s_totals_at_once(reviewer_client, pat):
    report = report_for(credential_in("ipma-hr", holder=pat))
    assert scored_report(report).total == 0
    text = roster("10000001,,national,,2024", "10000001,,chapter,Springfield,2025")
    apply(reviewer_client, MEMBERSHIP_URL, preview_page(reviewer_client, MEMBERSHIP_URL, text))
    scored = scored_report(report)
    assert scored.total == 3  # national 2 + chapter 1
    assert all(line.auto for line in scored.lines)


def test_applying_needs_a_reason(reviewer_client, pat):
    response = apply(
        reviewer_client,
        MEMBERSHIP_URL,
        preview_page(reviewer_client, MEMBERSHIP_URL, roster("10000001,,national,,2024")),
        reason="",
    )
    assert response.status_code == 200
    assert not MembershipRecord.objects.exists()


def test_a_tampered_preview_is_refused(reviewer_client, pat):
    response = reviewer_client.post(MEMBERSHIP_URL, {"token": "forged:token", "reason": "x"})
    assert "expired or was altered" in response.content.decode()
    assert not MembershipRecord.objects.exists()


def test_a_membership_preview_cannot_be_applied_as_a_committee_roster(reviewer_client, pat):
    token = imports.sign(imports.MEMBERSHIP, roster("10000001,,national,,2024"), "r.csv")
    response = reviewer_client.post(COMMITTEE_URL, {"token": token, "reason": "x"})
    assert "another roster" in response.content.decode()


def test_a_file_without_the_columns_is_refused(reviewer_client):
    response = preview_page(reviewer_client, MEMBERSHIP_URL, "name,year\nPat,2024\n")
    assert "needs a member_number or an email column" in response.content.decode()
    response = preview_page(reviewer_client, MEMBERSHIP_URL, "email,year\npat@example.org,2024\n")
    assert "Missing column(s): kind" in response.content.decode()


def test_a_file_that_is_not_utf8_is_refused(reviewer_client):
    response = reviewer_client.post(
        MEMBERSHIP_URL,
        {"file": SimpleUploadedFile("r.csv", "email,kind,year\né,x,1\n".encode("latin-1"))},
    )
    assert "not UTF-8" in response.content.decode()


def test_the_committee_roster_imports_chairs_and_members(reviewer_client, pat, sam):
    CommitteeRecordFactory(member=sam, committee="Awards", role="member", year=2024)
    text = (
        "Member Number,Email,Committee,Role,Year\n"
        "10000001,,Certification Committee,chair,2024\n"
        ",SAM@example.org,Awards,chair,2024\n"
        ",sam@example.org,Awards,member,2024\n"
        "10000001,sam@example.org,Awards,member,2025\n"
        "10000001,,Awards,treasurer,2025\n"
        "10000001,,Awards,member,2090\n"
    )
    response = preview_page(reviewer_client, COMMITTEE_URL, text)
    assert [(r.status, r.message[:40]) for r in response.context["result"].rows] == [
        ("new", ""),
        ("error", "already recorded as Member for 2024; cha"),
        ("error", "duplicate of row 3"),  # same committee and year, other role
        ("error", "member number 10000001 and email sam@exa"),
        ("error", "unknown role “treasurer”: use chair or m"),
        ("error", "bad year 2090: it must be between 1950 a"),
    ]
    apply(reviewer_client, COMMITTEE_URL, response)
    assert list(CommitteeRecord.objects.filter(member=pat).values_list("committee", "role")) == [
        ("Certification Committee", "chair")
    ]


def test_finance_cannot_import_rosters(finance_client):
    assert finance_client.get(MEMBERSHIP_URL).status_code == 403


def test_the_changelist_links_to_the_import(reviewer_client):
    page = reviewer_client.get("/admin/members/membershiprecord/").content.decode()
    assert MEMBERSHIP_URL in page
