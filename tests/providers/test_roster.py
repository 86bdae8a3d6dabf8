"""The roster CSV: reading the file (providers/roster.py, no views), then upload, preview and the
provider's decision through the provider area."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers import roster
from providers.models import Completion
from providers.reporting import MAX_ATTENDEES, NO_NUMBER_MATCH
from providers.roster import RosterFileError, parse_roster
from tests.providers.factories import (
    CompletionFactory,
    CourseFactory,
    ProviderFactory,
    namss_member,
    provider_user,
)

HEADER = "completion_id,member_number,last_name,email,completed_on,quantity\n"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2025, 6, 1, 12), tick=False):
        yield


# --- reading the file ----------------------------------------------------------------------


def test_a_utf8_file_with_a_bom_and_loose_header_names_is_read():
    data = (
        "\ufeffCompletion ID,Member-Number, LAST_NAME ,Email,Completed_On,Quantity\r\n"
        "c-1,1234 5678,Müller,m@example.org,2025-03-04,2.5\r\n"
        "\r\n"
        "c-2,,Lee,lee@example.org,,\r\n"
    ).encode()
    parsed = parse_roster(data)
    assert parsed.encoding == "UTF-8"
    assert parsed.columns == list(roster.COLUMNS)
    first, second = parsed.rows
    assert (first.line, second.line) == (2, 4)  # the blank line 3 is skipped
    assert first.attendee.last_name == "Müller"
    assert first.attendee.completed_on == dt.date(2025, 3, 4)
    assert first.attendee.quantity == Decimal("2.5")
    assert second.attendee.completed_on is None and second.attendee.quantity is None
    assert first.ok and second.ok


def test_windows_1252_utf16_and_semicolons_are_read():
    cp1252 = (HEADER + "c-1,1,Müller,,,\n").encode("cp1252")
    parsed = parse_roster(cp1252)
    assert parsed.encoding == "Windows-1252" and parsed.rows[0].attendee.last_name == "Müller"
    utf16 = parse_roster((HEADER + "c-1,1,Núñez,,,\n").encode("utf-16"))
    assert utf16.encoding == "UTF-16" and utf16.rows[0].attendee.last_name == "Núñez"
    semi = parse_roster(b"completion_id;member_number;last_name\nc-1;1;O'Brien\n")
    assert semi.rows[0].attendee.last_name == "O'Brien"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (HEADER.encode(), "no attendees"),
        (b"completion_id,member_number,last_name,hours\nc,1,L,2\n", "Unknown column “hours”"),
        (b"member_number,last_name\n1,L\n", "no column completion_id"),
        (b"completion_id,last_name\nc,L\n", "member_number column, an email column"),
        (b"completion_id,last_name,last_name,email\n", "appears twice"),
        (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
        (b"\x00\x01\x02\x81\x8d\x8f", "not text"),
        (HEADER.encode() + b'c-1,1,"Lee\n', "cannot be read as CSV"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(data, words):
    with pytest.raises(RosterFileError) as refused:
        parse_roster(data)
    assert words in str(refused.value)


def test_bad_cells_are_errors_of_their_row_with_the_line_number():
    data = (
        HEADER
        + "c-1,1,Lee,,03/04/2025,2\n"
        + 'c-2,1,"Lee, Jr",,2025-02-30,two\n'
        + "c-3,1,Lee,,2025-03-04,1.255\n"
        + "c-4,1,Lee,,2025-03-04,1,surplus\n"
    ).encode()
    rows = parse_roster(data).rows
    assert [r.line for r in rows] == [2, 3, 4, 5]
    assert "is not a date written YYYY-MM-DD" in rows[0].errors["completed_on"][0]
    assert "2025-02-30" in rows[1].errors["completed_on"][0]
    assert "is not a number" in rows[1].errors["quantity"][0]
    assert rows[1].attendee.last_name == "Lee, Jr"  # a quoted comma is part of the cell
    assert "two decimal places" in rows[2].errors["quantity"][0]
    assert "the header names 6 columns" in rows[3].errors["line"][0]


def test_a_cell_spanning_lines_keeps_the_next_rows_line_number():
    data = (HEADER + 'c-1,1,"Lee\nSmith",,,\nc-2,2,Okafor,,,\n').encode()
    rows = parse_roster(data).rows
    assert [r.line for r in rows] == [2, 4]


def test_ten_thousand_rows_are_read_and_one_more_is_refused():
    body = "".join(f"c-{i},{i},Lee,,,\n" for i in range(MAX_ATTENDEES))
    assert len(parse_roster((HEADER + body).encode()).rows) == MAX_ATTENDEES
    with pytest.raises(RosterFileError) as refused:
        parse_roster((HEADER + body + "extra,1,Lee,,,\n").encode())
    assert "more than 10,000 attendees" in str(refused.value)


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(RosterFileError, match="larger than 5 MB"):
        parse_roster(b"x" * (roster.MAX_BYTES + 1))


# --- the provider area ---------------------------------------------------------------------


@pytest.fixture
def area(settings, tmp_path, client, db):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    provider = ProviderFactory(name="Alpha Learning")
    course = CourseFactory(provider=provider, on="namss", title="Alpha course")
    client.force_login(provider_user(provider))
    return {"provider": provider, "course": course, "client": client, "media": tmp_path}


def upload(area, text: str, name: str = "roster.csv"):
    url = reverse("providers:roster_upload", args=[area["course"].pk])
    file = SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)
    return area["client"].post(url, {"file": file})


def stored_files(area) -> list:
    folder = area["media"] / roster.STORAGE_DIR
    return sorted(folder.rglob("*.csv")) if folder.exists() else []


def test_preview_then_confirm_reports_the_roster_and_removes_the_file(area):
    member = namss_member(last_name="Okafor")
    text = HEADER + f"r-1,{member.member_number},okafor,,2025-03-04,2.5\nr-2,000,Nobody,,,\n"
    response = upload(area, text)
    assert response.status_code == 302
    (path,) = stored_files(area)
    assert path.parent.name == str(area["provider"].pk)
    assert not Completion.objects.exists()

    preview = area["client"].get(response["Location"])
    page = preview.content.decode()
    assert "Matches a member" in page
    assert f"Unmatched: {NO_NUMBER_MATCH}" in page
    assert member.first_name not in page  # the member's own name is never shown
    assert not Completion.objects.exists()  # previewing saves nothing

    confirm = response["Location"] + "confirm/"
    done = area["client"].post(confirm, {"decision": "all"})
    assert done.status_code == 302
    assert Completion.objects.get(completion_id="r-1").member == member
    assert Completion.objects.get(completion_id="r-2").status == "unmatched"
    assert set(Completion.objects.values_list("channel", flat=True)) == {"roster"}
    assert stored_files(area) == []
    assert area["client"].get(response["Location"]).status_code == 404  # used once


def test_a_roster_with_a_bad_row_saves_nothing_until_the_provider_decides(area):
    member = namss_member(last_name="Okafor")
    text = (
        HEADER
        + f"r-1,{member.member_number},Okafor,,2025-03-04,2.5\n"
        + "r-2,42,Lee,,2025-03-04,99\n"
        + "r-3,000,Nobody,,,\n"
    )
    preview_url = upload(area, text)["Location"]
    preview = area["client"].get(preview_url)
    assert preview.context["bad_count"] == 1 and preview.context["good_count"] == 2
    (bad,) = preview.context["bad"]
    assert bad.line == 3 and "more than the course gives" in bad.errors["quantity"][0]
    assert "Report the 2 good rows and leave out the 1 row with errors (line 3)" in (
        preview.content.decode()
    )

    confirm = preview_url + "confirm/"
    refused = area["client"].post(confirm, {"decision": "all"})
    assert "nothing was saved" in " ".join(refused.context["decision_form"].non_field_errors())
    unticked = area["client"].post(confirm, {"decision": "good", "bad_lines": "3"})
    assert unticked.context["decision_form"].errors["leave_out"]
    stale = area["client"].post(
        confirm, {"decision": "good", "bad_lines": "2,3", "leave_out": "on"}
    )
    assert "no longer those you saw" in " ".join(stale.context["decision_form"].non_field_errors())
    assert not Completion.objects.exists()
    assert len(stored_files(area)) == 1

    done = area["client"].post(confirm, {"decision": "good", "bad_lines": "3", "leave_out": "on"})
    assert done.status_code == 302
    assert sorted(Completion.objects.values_list("completion_id", flat=True)) == ["r-1", "r-3"]
    message = area["client"].get(done["Location"]).content.decode()
    assert "left out (line 3)" in message
    assert stored_files(area) == []


def test_rows_already_reported_show_unchanged_updated_or_refused(area):
    course = area["course"]
    member = namss_member(last_name="Okafor")
    same = CompletionFactory(course=course, completion_id="old-1", member=member)
    CompletionFactory(course=course, completion_id="old-2", member=member)
    CompletionFactory(
        course=course, completion_id="old-3", member=member, status="declined", decline_reason="no"
    )
    other = CourseFactory(provider=area["provider"], on="namss")
    CompletionFactory(course=other, completion_id="old-4", member=member)
    n = member.member_number
    text = (
        HEADER
        + f"old-1,{same.member_number},{same.last_name},,,\n"
        + f"old-2,{n},Okafor,,2025-03-04,1\n"
        + f"old-3,{n},Okafor,,2025-03-04,1\n"
        + f"old-4,{n},Okafor,,,\n"
    )
    rows = area["client"].get(upload(area, text)["Location"]).context["roster"].rows
    assert rows[0].outcome == "already reported: unchanged"
    assert rows[1].outcome == "already reported: updated, matches a member"
    assert "declined by the member" in rows[2].errors["completion_id"][0]
    assert "reported for another course" in rows[3].errors["completion_id"][0]


def test_a_file_refused_as_a_whole_is_shown_at_the_upload_form(area):
    response = upload(area, "completion_id,last_name,shoe_size\nc,L,9\n")
    assert response.status_code == 200
    assert "Unknown column" in " ".join(response.context["upload_form"].errors["file"])
    response = upload(area, "%PDF-1.4", name="roster.pdf")
    assert "Upload a .csv file" in " ".join(response.context["upload_form"].errors["file"])
    assert stored_files(area) == []


def test_another_providers_stored_file_is_refused(area, client):
    other = ProviderFactory(name="Beta Seminars")
    other_course = CourseFactory(provider=other, on="namss")
    theirs = roster.store(
        provider=other, course=other_course, data=(HEADER + "c,1,L,,,\n").encode()
    )
    mine = area["course"]
    for name, method in (
        ("roster_preview", "get"),
        ("roster_confirm", "post"),
        ("roster_discard", "post"),
    ):
        for course_pk in (mine.pk, other_course.pk):
            url = reverse(f"providers:{name}", args=[course_pk, theirs])
            assert getattr(client, method)(url, {"decision": "all"}).status_code == 404
    assert roster.load(provider=other, course=other_course, upload=theirs) is not None
    assert roster.load(provider=area["provider"], course=mine, upload=theirs) is None
    assert not Completion.objects.exists()


def test_an_upload_is_kept_for_its_course_only_and_can_be_discarded(area):
    course = area["course"]
    location = upload(area, HEADER + "c-1,1,Lee,,,\n")["Location"]
    upload_id = uuid.UUID(location.rstrip("/").rsplit("/", 1)[1])
    sibling = CourseFactory(provider=area["provider"], on="namss")
    url = reverse("providers:roster_preview", args=[sibling.pk, upload_id])
    assert area["client"].get(url).status_code == 404
    discard = reverse("providers:roster_discard", args=[course.pk, upload_id])
    assert area["client"].post(discard).status_code == 302
    assert stored_files(area) == [] and not Completion.objects.exists()
