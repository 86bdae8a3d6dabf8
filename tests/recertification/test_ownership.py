import datetime as dt

import pytest
from django.urls import reverse

from recertification.models import Entry, EntryFile
from tests.factories import EntryFactory, EntryFileFactory, report_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(credential_for, other_member):
    credential = credential_for("ipma-hr", holder=other_member)
    report = report_for(credential)
    entry = EntryFactory(
        member=other_member,
        reports=[report],
        details={"title": "Their private workshop", "sponsor": "X"},
    )
    file = EntryFileFactory(entry=entry)
    return report, entry, file


OBJECT_URLS = [
    ("recertification:entry_edit", "entry", "get"),
    ("recertification:entry_edit", "entry", "post"),
    ("recertification:entry_delete", "entry", "get"),
    ("recertification:entry_delete", "entry", "post"),
    ("recertification:file_download", "file", "get"),
    ("recertification:file_delete", "file", "post"),
    ("recertification:report_csv", "report", "get"),
    ("recertification:report_transcript", "report", "get"),
]


@pytest.mark.parametrize(("name", "obj", "method"), OBJECT_URLS)
def test_another_members_objects_are_404(member_client, theirs, name, obj, method):
    report, entry, file = theirs
    pk = {"report": report.pk, "entry": entry.pk, "file": file.pk}[obj]
    response = getattr(member_client, method)(reverse(name, args=[pk]))
    assert response.status_code == 404
    assert Entry.objects.filter(pk=entry.pk).exists()
    assert EntryFile.objects.filter(pk=file.pk).exists()


@pytest.mark.parametrize(("name", "obj", "method"), OBJECT_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, theirs, name, obj, method):
    report, entry, file = theirs
    pk = {"report": report.pk, "entry": entry.pk, "file": file.pk}[obj]
    response = getattr(client, method)(reverse(name, args=[pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_uploading_to_another_members_entry_is_404(member_client, theirs):
    _report, entry, _file = theirs
    response = member_client.post(reverse("recertification:uploads"), {"entry": str(entry.pk)})
    assert response.status_code == 404


def test_member_pages_never_show_another_members_entries(member_client, credential_for, theirs):
    credential_for("ipma-hr")
    for url in (
        "/recertification/",
        "/recertification/summary/",
        "/recertification/uploads/",
        "/recertification/submit/",
    ):
        assert "Their private workshop" not in member_client.get(url).content.decode()


def test_the_owner_can_download_their_file(client, theirs, other_member):
    _report, _entry, file = theirs
    client.force_login(other_member)
    response = client.get(reverse("recertification:file_download", args=[file.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_staff_with_permission_can_download_a_members_file(client, theirs, staff):
    _report, _entry, file = theirs
    client.force_login(staff)
    assert client.get(reverse("recertification:file_download", args=[file.pk])).status_code == 200


def test_staff_without_permission_cannot(client, theirs):
    from tests.factories import StaffFactory

    _report, _entry, file = theirs
    client.force_login(StaffFactory(username="nobody.staff"))
    assert client.get(reverse("recertification:file_download", args=[file.pk])).status_code == 404


def test_stored_file_names_are_random(theirs):
    _report, entry, _file = theirs
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recertification.services import _store_files

    upload = SimpleUploadedFile(
        "../../etc/passwd.pdf", b"%PDF-1.4 hello", content_type="application/pdf"
    )
    record = _store_files(entry, [upload], 5, existing=1)[0]
    assert record.original_name == "passwd.pdf"
    assert "passwd" not in record.file.name and ".." not in record.file.name
    assert record.file.name.startswith(f"entries/{entry.member_id}/")
    assert dt.date.today()  # stored under the member's folder, never a guessable public address
