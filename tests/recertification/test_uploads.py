import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recertification.models import Entry, EntryFile

from .helpers import group_of, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"
UPLOADS = "/recertification/uploads/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def pdf(name="evidence.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture
def innovation(client, credential_for):
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    client.get(PORTAL)
    client.post(PORTAL, valid_post(group_of("ipma.innovation"), dt.date(2024, 5, 1)))
    return Entry.objects.get()


def upload(client, entry, *files):
    return client.post(UPLOADS, {"entry": str(entry.pk), "files": list(files)}, follow=True)


def test_it_accepts_pdf_word_png_and_jpeg(client, innovation):
    response = upload(
        client,
        innovation,
        pdf(),
        SimpleUploadedFile("chart.png", PNG),
        SimpleUploadedFile("photo.JPG", JPEG),
        SimpleUploadedFile("plan.docx", docx()),
    )
    assert "Uploaded 4 files." in response.content.decode()
    assert sorted(EntryFile.objects.values_list("content_type", flat=True)) == sorted(
        [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ]
    )
    portal = client.get(PORTAL).content.decode()
    assert "evidence.pdf" in portal  # Name of File Uploaded


def test_at_most_five_files_per_entry(client, innovation):
    upload(client, innovation, *[pdf(f"f{i}.pdf") for i in range(4)])
    response = upload(client, innovation, pdf("five.pdf"), pdf("six.pdf"))
    assert "at most 5 files" in response.content.decode()
    assert EntryFile.objects.count() == 4


def test_too_large_is_refused(client, innovation, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(client, innovation, pdf("big.pdf", PDF + b"0" * 2048))
    assert "is larger than" in response.content.decode()
    assert EntryFile.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", EXE, "is not a PDF, Word"),
        ("report.pdf", EXE, "is not a PDF, Word"),  # a renamed executable
        ("chart.pdf", PNG, "does not match its extension"),
        ("page.html", b"<html><script>alert(1)</script></html>", "is not a PDF, Word"),
        (
            "logo.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "is not a PDF, Word",
        ),
        ("empty.pdf", b"", "is empty"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 40, "is not a PDF, Word"),
    ],
)
def test_wrong_types_are_refused_by_content(client, innovation, name, data, message):
    response = upload(client, innovation, SimpleUploadedFile(name, data))
    assert message in response.content.decode().replace("&quot;", '"')
    assert EntryFile.objects.count() == 0


def test_path_tricks_and_control_characters_are_removed_from_names(client, innovation):
    upload(client, innovation, pdf("..\\..\\windows\\evil\x07name.pdf"))
    record = EntryFile.objects.get()
    assert record.original_name == "evilname.pdf"
    assert ".." not in record.file.name


def test_very_long_names_are_shortened(client, innovation):
    upload(client, innovation, pdf("a" * 3000 + ".pdf"))
    record = EntryFile.objects.get()
    assert len(record.original_name) <= 120 and record.original_name.endswith(".pdf")


def test_files_can_be_sent_with_the_entry_itself(client, credential_for):
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    client.get(PORTAL)
    group = group_of("ipma.policy")
    data = valid_post(group, dt.date(2024, 5, 1))
    data[f"{group.key}-files"] = [pdf("policy.pdf")]
    client.post(PORTAL, data)
    assert Entry.objects.get().files.get().original_name == "policy.pdf"


def test_a_bad_file_with_the_entry_saves_neither(client, credential_for):
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    client.get(PORTAL)
    group = group_of("ipma.policy")
    data = valid_post(group, dt.date(2024, 5, 1))
    data[f"{group.key}-files"] = [SimpleUploadedFile("policy.pdf", EXE)]
    response = client.post(PORTAL, data)
    assert "is not a PDF, Word" in response.content.decode()
    assert not Entry.objects.exists() and not EntryFile.objects.exists()


def test_storage_failure_saves_nothing_and_tells_the_member(client, credential_for, monkeypatch):
    # The storage back end is replaced only to make it fail; an outage cannot be staged otherwise here.
    from django.core.files.storage import FileSystemStorage

    def broken(self, name, content, max_length=None):
        raise OSError("storage unreachable")

    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    client.get(PORTAL)
    monkeypatch.setattr(FileSystemStorage, "save", broken)
    group = group_of("ipma.policy")
    data = valid_post(group, dt.date(2024, 5, 1))
    data[f"{group.key}-files"] = [pdf("policy.pdf")]
    response = client.post(PORTAL, data)
    assert "could not be stored just now" in response.content.decode()
    assert not Entry.objects.exists()


def test_members_can_remove_a_file_before_submission(client, innovation):
    upload(client, innovation, pdf())
    record = EntryFile.objects.get()
    client.post(reverse("recertification:file_delete", args=[record.pk]))
    assert not EntryFile.objects.exists()
