"""A member's page for staff: a read-only overview of the record and internal notes that staff
add (audited) and the member never sees."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.models import MemberNote
from core.models import AuditLog
from members.models import Notification
from tests.staff.conftest import submitted_report

pytestmark = pytest.mark.django_db


def page_url(member) -> str:
    return f"/admin/members/user/{member.pk}/change/"


def note_url(member) -> str:
    return f"/admin/members/user/{member.pk}/notes/add/"


def test_the_overview_shows_the_whole_record(administrator_client):
    paid = submitted_report()
    member = paid.member
    unpaid = submitted_report("namss", paid=False, holder=member)
    page = administrator_client.get(page_url(member)).content.decode()
    assert 'id="member-overview"' in page
    assert member.member_number in page
    assert "IPMA-SCP" in page and "CPCS" in page  # credentials
    assert f"/admin/recertification/report/{paid.pk}/change/" in page  # reports
    assert "In review" in page and "Payment due" in page
    points = re.search(r"(\d+(\.\d+)?) / (\d+)", page.split('id="overview-reports"')[1])
    assert points and paid.points_counted == int(float(points.group(1)))  # counted / required
    for invoice in [*paid.invoices.all(), *unpaid.invoices.all()]:
        assert invoice.number in page
    assert "Check" in page  # the payment
    subject = Notification.objects.filter(member=member).first().subject
    assert subject.split(" (")[0] in page  # emails sent
    assert "submitted" in page  # the audit trail
    assert "Internal notes" in page
    assert note_url(member) in page


def test_staff_add_an_internal_note_audited(administrator_client, administrator):
    member = submitted_report().member
    form = administrator_client.get(note_url(member))
    assert form.status_code == 200
    refused = administrator_client.post(note_url(member), {"text": "   "})
    assert refused.status_code == 200 and not MemberNote.objects.exists()
    response = administrator_client.post(note_url(member), {"text": "Called about the late check."})
    assert response.status_code == 302 and response["Location"] == page_url(member)
    note = MemberNote.objects.get()
    assert (note.member, note.author, note.text) == (
        member,
        administrator,
        "Called about the late check.",
    )
    log = AuditLog.objects.get(action="note added")
    assert log.actor == administrator and log.member == member
    page = administrator_client.get(page_url(member)).content.decode()
    assert "Called about the late check." in page
    assert administrator.username in page


def test_a_reviewer_may_add_notes_too(reviewer_client, reviewer):
    member = submitted_report().member
    reviewer_client.post(note_url(member), {"text": "Asked for the agenda."})
    assert MemberNote.objects.get().author == reviewer


def test_notes_are_never_shown_to_the_member(client, administrator):
    from backoffice.notes import member_note_add

    member = submitted_report().member
    member_note_add(member=member, author=administrator, text="Difficult caller")
    client.force_login(member)
    for url in ["/", "/recertification/", "/transactions/", "/account/"]:
        response = client.get(url, follow=True)
        assert "Difficult caller" not in response.content.decode(), url
    assert client.get(note_url(member)).status_code == 302  # to the staff sign-in
    assert client.post(note_url(member), {"text": "x"}).status_code == 302
    assert MemberNote.objects.count() == 1


def test_notes_cannot_be_changed_or_deleted_in_the_admin(administrator_client):
    from backoffice.notes import member_note_add

    note = member_note_add(member=submitted_report().member, author=None, text="Kept as written")
    assert administrator_client.get(
        f"/admin/backoffice/membernote/{note.pk}/change/"
    ).status_code in (
        403,
        404,
        302,
    )
    assert administrator_client.get(
        f"/admin/backoffice/membernote/{note.pk}/delete/"
    ).status_code in (
        403,
        404,
        302,
    )
    note.refresh_from_db()
    assert note.text == "Kept as written"


def overview_queries(client, member) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page_url(member)).status_code == 200
    return len(captured)


def test_the_member_page_reads_a_constant_number_of_queries(administrator_client, administrator):
    from backoffice.notes import member_note_add

    first = submitted_report()
    member = first.member
    overview_queries(administrator_client, member)  # the content types are read once, then cached
    few = overview_queries(administrator_client, member)
    submitted_report("namss", paid=False, holder=member)
    from tests.factories import report_for
    from tests.staff.conftest import credential_in

    report_for(credential_in("ihmm", holder=member))
    for i in range(3):
        member_note_add(member=member, author=administrator, text=f"note {i}")
    many = overview_queries(administrator_client, member)
    assert few == many, f"{few} queries with one report, {many} with three and notes"
