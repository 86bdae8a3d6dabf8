"""Hostile uploads: wrong type behind a right extension, executables renamed .pdf, SVG and HTML with
script, oversized, too many, and names with path parts, null bytes or thousands of characters.

The basic refusals are tests/recertification/test_uploads.py. Types are judged by the bytes
(`recertification.uploads.check_upload`), never by the name or the browser's content type. A
name is reduced to a harmless display name (no folders, control characters or excess length;
refused when nothing usable is left) and never used for storage: files are stored under random
names and only ever downloaded as attachments with the sniffed type and `nosniff`.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import PurePosixPath

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from recertification.models import Entry, EntryFile
from recertification.uploads import ALLOWED
from tests.factories import CredentialFactory
from tests.recertification.helpers import group_of, valid_post

from .conftest import HOSTILE
from .hostile import HOSTILE_TEXT, post_and_check

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

UPLOADS = "/recertification/uploads/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64
MZ = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
SCRIPT = b"#!/bin/sh\nrm -rf ~\n"
SVG = b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><script>alert(1)</script></svg>"
HTML = b"<!doctype html><html><body><script>fetch('/profile/')</script></body></html>"
REFUSED_TYPE = "is not a PDF, Word (.doc, .docx), PNG or JPEG file"


def zipped(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    return buffer.getvalue()


@pytest.fixture
def member_with_entry(member):
    client = Client()
    CredentialFactory(holder=member)
    client.force_login(member)
    client.get("/recertification/")
    client.post("/recertification/", valid_post(group_of("ipma.innovation"), dt.date(2024, 5, 1)))
    return client, Entry.objects.get()


def upload(client, entry, *files):
    return client.post(UPLOADS, {"entry": str(entry.pk), "files": list(files)})


def page_text(response) -> str:
    return response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", ELF, REFUSED_TYPE),  # a Linux executable renamed
        ("report.pdf", MZ, REFUSED_TYPE),  # a Windows executable renamed
        ("report.pdf", SCRIPT, REFUSED_TYPE),
        ("report.docx", zipped(["payload.exe"]), REFUSED_TYPE),  # a zip that is not Word
        ("photo.png", SVG, REFUSED_TYPE),  # SVG with script behind an image extension
        ("report.pdf", HTML, REFUSED_TYPE),  # HTML with script behind .pdf
        ("page.htm", HTML, REFUSED_TYPE),
        ("animation.gif", GIF, REFUSED_TYPE),  # an image, but not an accepted one
        ("notes.txt", b"plain text", REFUSED_TYPE),
        ("scan.jpg", PNG, "does not match its extension"),
        ("scan.pdf", JPEG, "does not match its extension"),
        ("report.pdf.exe", PDF, "does not match its extension"),  # a double extension
        ("report", PDF, "does not match its extension"),  # no extension at all
        ("nothing.pdf", b"", "is empty"),
        ("....", PDF, "has no usable name"),
        # Names Django's upload parser drops (no printable name left) before the view runs:
        ("\u202e\u200b\u2066..", PDF, "Choose at least one file to upload"),
        ("\x00\x01\x02", PDF, "Choose at least one file to upload"),
        ("C:\\Users\\pat\\", PDF, "Choose at least one file to upload"),
    ],
)
def test_each_hostile_file_is_refused_with_a_clear_message(member_with_entry, name, data, message):
    client, entry = member_with_entry
    hostile = SimpleUploadedFile("placeholder.pdf", data, content_type="application/pdf")
    hostile._name = name  # past the test client's own name check: a browser sends any name
    response = upload(client, entry, hostile)
    assert response.status_code == 200
    assert message in page_text(response)
    assert "Nothing was uploaded" in page_text(response)
    assert not EntryFile.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_stored(member_with_entry, settings):
    client, entry = member_with_entry
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * settings.UPLOAD_MAX_BYTES)
    response = upload(client, entry, big)
    assert "is larger than 10 MB" in page_text(response)
    assert not EntryFile.objects.exists()


def test_more_files_than_an_entry_takes_are_refused_all_together(member_with_entry):
    client, entry = member_with_entry
    files = [SimpleUploadedFile(f"f{i}.pdf", PDF) for i in range(6)]
    assert "An entry can have at most 5 files" in page_text(upload(client, entry, *files))
    assert not EntryFile.objects.exists()


def test_a_request_with_hundreds_of_files_is_refused_without_an_error_page(member_with_entry):
    """Django's own limit (DATA_UPLOAD_MAX_NUMBER_FILES, 100) answers 400 before the view runs."""
    client, entry = member_with_entry
    files = [SimpleUploadedFile(f"f{i}.pdf", PDF) for i in range(150)]
    response = Client(raise_request_exception=False)
    response.force_login(entry.member)
    answer = response.post(UPLOADS, {"entry": str(entry.pk), "files": files})
    assert answer.status_code == 400
    assert not EntryFile.objects.exists()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\system32\\evil.pdf", "evil.pdf"),
        ("C:\\fakepath\\certificate.pdf", "certificate.pdf"),
        ("evil\x00.pdf", "evil.pdf"),
        ("evil\x85name\x1b[31m.pdf", "evilname[31m.pdf"),  # control characters removed
        ("\u202egpj.pdf", "gpj.pdf"),  # right-to-left override removed
    ],
)
def test_names_are_reduced_to_a_harmless_display_name(member_with_entry, name, shown):
    """Path parts and control characters are removed from the name shown to the member; the
    stored file has a random name in the member's folder whatever the name was."""
    client, entry = member_with_entry
    response = upload(client, entry, SimpleUploadedFile(name, PDF))
    assert response.status_code == 302
    record = EntryFile.objects.get()
    assert record.original_name == PurePosixPath(shown).name
    assert record.file.name.startswith(f"entries/{entry.member_id}/")
    assert PurePosixPath(record.file.name).name != record.original_name


def test_a_name_of_thousands_of_characters_is_shortened(member_with_entry):
    client, entry = member_with_entry
    upload(client, entry, SimpleUploadedFile("ä" * 4000 + ".pdf", PDF))
    record = EntryFile.objects.get()
    assert len(record.original_name) <= 120 and record.original_name.endswith(".pdf")


MAGIC = [PDF, PNG, JPEG, GIF, ELF, MZ, SCRIPT, SVG, HTML, zipped(["word/document.xml"])]
EXTENSIONS = [".pdf", ".png", ".jpg", ".jpeg", ".doc", ".docx", ".svg", ".html", ".exe", ""]


def test_generated_uploads_are_refused_or_stored_safely(member_with_entry):
    client, entry = member_with_entry

    @HOSTILE
    @given(
        stem=HOSTILE_TEXT,
        extension=st.sampled_from(EXTENSIONS),
        head=st.sampled_from([b"", *MAGIC]),
        tail=st.binary(max_size=512),
        count=st.integers(1, 7),
    )
    def attempt(stem, extension, head, tail, count):
        files = [SimpleUploadedFile("placeholder.pdf", head + tail) for _ in range(count)]
        for upload_file in files:
            upload_file._name = (stem + extension)[:5000]  # any name a browser could send

        def send():
            return upload(client, entry, *files)

        response = post_and_check("uploads (files)", send)
        if response.status_code == 302:
            for record in EntryFile.objects.filter(entry=entry):
                assert record.content_type in ALLOWED
                assert not set(record.original_name) & set("/\\\x00\r\n")
                assert len(record.original_name) <= 120
                assert record.file.name.startswith(f"entries/{entry.member_id}/")
        elif response.status_code == 400:
            # The test client writes some names into the upload unescaped (line breaks), which
            # makes the request unreadable: refused whole, with the portal's 400 page.
            assert "We could not read that" in page_text(response)
        else:
            assert "Nothing was uploaded" in page_text(response)

    attempt()


def test_downloads_are_attachments_with_the_sniffed_type(member_with_entry):
    client, entry = member_with_entry
    upload(client, entry, SimpleUploadedFile("résumé; final.pdf", PDF, content_type="text/html"))
    record = EntryFile.objects.get()
    response = client.get(reverse("recertification:file_download", args=[record.pk]))
    assert response["Content-Type"] == "application/pdf"  # what the bytes are, not what was said
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%3B%20final.pdf"
    )
    assert "\n" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
