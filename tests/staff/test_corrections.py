"""Corrections on a member's behalf: entries scored by the same rules, points adjusted with a
reason the member reads, contact details corrected by a reviewer; each audited with its reason."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from backoffice import corrections
from core.models import AuditLog
from recertification import selectors
from recertification.models import PointsAdjustment
from tests.factories import report_for
from tests.staff.conftest import credential_in, submitted_report

pytestmark = pytest.mark.django_db

DAY = {"kind": "ipma.pd.partial_day", "date": dt.date(2025, 3, 5), "quantity": Decimal("1"),
       "organization": "", "group": "", "approved": False}  # fmt: skip


def open_report():
    credential = credential_in("ipma-hr")
    return credential, report_for(credential)


def test_a_reviewer_adds_an_entry_for_a_member_scored_by_the_rules(reviewer):
    credential, report = open_report()

    entry = corrections.entry_add_for_member(
        member=credential.holder, program_code="ipma-hr", values=dict(DAY),
        details={"title": "Chapter workshop"}, credentials=[credential], actor=reviewer,
        reason="Member sent the certificate by mail",
    )  # fmt: skip

    log = AuditLog.objects.get(object_type="recertification.entry", object_id=str(entry.pk))
    assert (log.actor, log.reason, log.member) == (reviewer, "Member sent the certificate by mail",
                                                   credential.holder)  # fmt: skip
    scored = selectors.scored_report(report)
    assert scored.total > 0


def test_corrections_need_the_permission_and_a_reason(finance, reviewer):
    credential, report = open_report()
    with pytest.raises(PermissionDenied):
        corrections.entry_add_for_member(
            member=credential.holder, program_code="ipma-hr", values=dict(DAY), details={},
            credentials=[credential], actor=finance, reason="x",
        )  # fmt: skip
    with pytest.raises(ValidationError, match="reason"):
        corrections.points_adjust(report=report, points=Decimal("2"), actor=reviewer, reason=" ")


def test_a_reviewer_corrects_an_entry_with_a_reason(reviewer):
    credential, report = open_report()
    entry = corrections.entry_add_for_member(
        member=credential.holder, program_code="ipma-hr", values=dict(DAY), details={},
        credentials=[credential], actor=reviewer, reason="Mailed in",
    )  # fmt: skip
    corrections.entry_correct_for_member(
        entry=entry, values=dict(DAY, date=dt.date(2025, 4, 1)), details={}, actor=reviewer,
        reason="Wrong date typed",
    )  # fmt: skip
    entry.refresh_from_db()
    assert entry.date == dt.date(2025, 4, 1)
    assert AuditLog.objects.get(object_type="recertification.entry", action="updated").reason == (
        "Wrong date typed"
    )


def test_an_adjustment_changes_the_total_in_one_place_and_the_member_sees_its_reason(
    reviewer, client
):
    credential, report = open_report()
    before = selectors.scored_report(report).total

    corrections.points_adjust(
        report=report, points=Decimal("3"), actor=reviewer, reason="Conference credit confirmed"
    )

    report.refresh_from_db()
    assert selectors.scored_report(report).total == before + 3
    assert PointsAdjustment.objects.get().made_by == reviewer
    assert AuditLog.objects.filter(object_type="recertification.report",
                                   action="points adjusted").exists()  # fmt: skip
    client.force_login(credential.holder)
    page = client.get(reverse("recertification:portal")).content.decode()
    assert "Conference credit confirmed" in page


def test_an_adjustment_of_a_submitted_report_moves_its_counted_points(reviewer):
    report = submitted_report()
    counted = report.points_counted
    corrections.points_adjust(report=report, points=Decimal("-1"), actor=reviewer, reason="Dup")
    report.refresh_from_db()
    assert report.points_counted == counted - 1


def test_a_reviewer_corrects_a_members_address_and_email(reviewer, reviewer_client):
    credential, _ = open_report()
    member = credential.holder
    url = reverse("admin:members_user_change", args=[member.pk])

    page = reviewer_client.get(url)
    assert page.status_code == 200
    inlines = {
        f"{prefix}-{name}": "0"
        for prefix in re.findall(r'name="([\w-]+)-TOTAL_FORMS"', page.content.decode())
        for name in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    response = reviewer_client.post(
        url,
        inlines | {
            "email": "new.address@example.org", "street": "2 Oak Ave", "city": "Springfield",
            "state": "IL", "postal_code": "62701", "country": "US",
            "change_reason": "Member phoned with the new address",
        },
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.street == "2 Oak Ave"
    # The email changes once the member confirms it from the new address.
    assert member.pending_email == "new.address@example.org"
    log = AuditLog.objects.filter(object_type="members.user", actor=reviewer).latest("at")
    assert log.reason == "Member phoned with the new address"


def test_the_admin_pages_adjust_points_and_add_an_entry(reviewer, finance, client):
    credential, report = open_report()
    adjust = reverse("admin:recertification_pointsadjustment_adjust", args=[report.pk])
    entry = reverse("admin:recertification_pointsadjustment_entry", args=[credential.holder.pk])

    client.force_login(finance)
    assert client.get(adjust).status_code == 403
    reviewer_client = client
    reviewer_client.force_login(reviewer)
    assert reviewer_client.get(adjust).status_code == 200
    done = reviewer_client.post(adjust, {"points": "2", "reason": "Approved by the committee"})
    assert done.status_code == 302
    assert PointsAdjustment.objects.get().points == Decimal("2.00")

    page = reviewer_client.get(entry)
    assert page.status_code == 200
    assert "Kind of activity" in page.content.decode()


def test_an_adjustment_that_reaches_the_total_meets_the_requirement_and_the_member_can_submit(
    reviewer, client
):
    credential, report = open_report()
    scored = selectors.scored_report(report)
    assert not scored.met
    corrections.points_adjust(
        report=report, points=scored.required, actor=reviewer, reason="Transcript from the board"
    )
    report.refresh_from_db()
    scored = selectors.scored_report(report)
    assert scored.met and scored.remaining == 0
    client.force_login(credential.holder)
    page = client.get(reverse("recertification:submit")).content.decode()
    assert f'<option value="{report.pk}"' in page


def test_an_adjustment_moves_the_total_never_a_minimum(reviewer):
    """NAMSS: 25 of the 45 credits must be NAMSS-approved; points added by staff are not."""
    credential = credential_in("namss")
    report = report_for(credential)
    scored = selectors.scored_report(report)
    corrections.points_adjust(
        report=report, points=scored.required, actor=reviewer, reason="Credits from a provider"
    )
    report.refresh_from_db()
    scored = selectors.scored_report(report)
    assert scored.remaining == 0
    assert not scored.met
    assert any(not m.met for m in scored.result.minimums)
