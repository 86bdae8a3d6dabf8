"""Profile › Your data: a ZIP of everything the portal holds about the member, with their files;
never another member's."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from lifecycle.personal_data import member_data
from tests.factories import (
    CredentialFactory,
    EntryFactory,
    EntryFileFactory,
    UserFactory,
    report_for,
)
from tests.providers.factories import CompletionFactory

pytestmark = pytest.mark.django_db


def archive(client) -> zipfile.ZipFile:
    response = client.get(reverse("lifecycle:my_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_member_downloads_their_records_and_files(member_client, member):
    credential = CredentialFactory(holder=member)
    report = report_for(credential)
    entry = EntryFactory(member=member, reports=[report], details={"title": "Budget workshop"})
    EntryFileFactory(entry=entry)
    other = UserFactory(username="someone.else", email="else@example.org")
    EntryFactory(member=other, details={"title": "Not yours"})

    zipped = archive(member_client)
    data = json.loads(zipped.read("data.json"))
    assert data["profile"]["email"] == member.email
    assert [c["designation"] for c in data["credentials"]] == [credential.designation]
    assert [e["details"]["title"] for e in data["entries"]] == ["Budget workshop"]
    assert "Not yours" not in zipped.read("data.json").decode()
    (listed,) = data["entries"][0]["files"]
    assert listed in zipped.namelist()
    assert data["files_missing"] == []
    assert not data["entries"][0]["kind"].startswith("ipma.")  # in words


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("lifecycle:my_data"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_history_names_staff_by_role_only(member):
    from core.audit import log_action
    from tests.staff_personas import staff_in

    reviewer = staff_in("Reviewer", username="rita.private", first_name="Rita")
    log_action(member, "note", actor=reviewer, member=member, reason="checked")
    trail = member_data(member)["history"]
    assert trail[-1]["by"] == "staff"
    assert "rita" not in json.dumps(trail).lower()


def test_the_number_of_queries_does_not_grow_with_the_reports(member):
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recertification.models import Report

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            member_data(member)
        return len(captured)

    Report.objects.create(member=member, program="ipma-hr", cycle_start=dt.date(2018, 1, 1),
                          cycle_end=dt.date(2020, 12, 31))  # fmt: skip
    one = count()
    for year in (2012, 2015):
        Report.objects.create(member=member, program="ipma-hr", cycle_start=dt.date(year, 1, 1),
                              cycle_end=dt.date(year + 2, 12, 31))  # fmt: skip
    assert count() == one


def test_what_providers_reported_is_in_the_download(member):
    completion = CompletionFactory(member=member, email="pat@work.example")
    (row,) = member_data(member)["reported_by_providers"]
    assert row["provider"] == completion.provider.name
    assert row["course"] == completion.course.title
    assert row["email"] == "pat@work.example" and row["status"] == "pending"
