"""A report's page shows what a reviewer checks: each program's declared fields as labelled
columns, subtotals per category against caps and minimums, and each entry's documents inline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backoffice import audits as staff_audits
from core.audit import log_action, snapshot
from recertification import rules
from recertification.entry_details import entry_pairs, readable_state
from recertification.models import Entry
from tests.factories import EntryFileFactory
from tests.staff.conftest import submitted_report

pytestmark = pytest.mark.django_db


def page_of(client, report) -> str:
    response = client.get(f"/admin/recertification/report/{report.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def namss_report():
    report = submitted_report("namss")
    first = report.entries.order_by("date").first()
    first.details = {
        "title": "NAMSS conference",
        "provider": "NAMSS Education",
        "location": "Chicago, IL",
    }
    first.save()
    return report, first


def test_a_namss_report_shows_its_declared_fields_as_columns(reviewer_client):
    report, first = namss_report()
    page = page_of(reviewer_client, report)
    for label in (
        "Activity title",
        "Provider",
        "Credits",
        "NAMSS approved",
        "Location",
        "CE certificate",
    ):
        assert f">{label}</th>" in page, label
    assert "NAMSS Education" in page and "Chicago, IL" in page
    assert ">Yes</td>" in page and ">No</td>" in page  # the approved flag in words


def test_the_approved_subtotal_is_shown_against_its_minimum(reviewer_client):
    report, _ = namss_report()
    page = page_of(reviewer_client, report)
    assert 'id="subtotals"' in page
    assert "NAMSS-approved credits" in page
    assert "15 of at least 15" in page
    assert "Continuing Education" in page


def test_an_ipma_report_shows_sponsor_and_category_labels_never_codes(reviewer_client, reviewer):
    report = submitted_report("ipma-hr")
    entry = report.entries.first()
    entry.details = {"title": "HR Academy", "sponsor": "IPMA-HR Chapter"}
    entry.save()
    page = page_of(reviewer_client, report)
    assert ">Sponsor</th>" in page and "IPMA-HR Chapter" in page
    assert "Professional Development" in page
    assert "ipma.pd.full_day" not in page
    assert "{&#x27;title&#x27;" not in page and "{'title'" not in page


def test_the_history_shows_an_entrys_details_in_words():
    program = rules.get_program("ipma-hr")
    state = readable_state(
        program.code,
        {
            "kind": "ipma.pd.full_day",
            "category": "pd",
            "quantity": "3",
            "details": {"title": "Academy", "sponsor": "City"},
        },
    )
    assert state == {
        "Kind": "Professional Development Program (6 or more hours)",
        "Category": "Professional Development",
        "Number of Professional Development Days": "3",
        "Title": "Academy",
        "Sponsor": "City",
    }


def test_the_history_on_the_page_has_no_raw_details(reviewer_client):
    report = submitted_report("ipma-hr")
    entry = report.entries.first()
    log_action(entry, "created", actor=None, member=report.member,
               after=snapshot(entry, ["kind", "category", "date", "quantity", "details"]))  # fmt: skip
    page = page_of(reviewer_client, report)
    history = page.split('id="history"', 1)[1]
    assert "ipma.pd.full_day" not in history
    assert "{&#x27;" not in history
    assert "Title: HR Academy" in history


def test_entry_pairs_follow_the_declaration():
    entry = Entry(program="namss", kind="namss.ce", category="ce", date=dt.date(2024, 5, 1),
                  quantity=Decimal("1.50"), approved=True,
                  details={"title": "Webinar", "provider": "NAMSS", "location": "Online"})  # fmt: skip
    assert entry_pairs(entry) == [
        ("Kind", "NAMSS CE"),
        ("Activity title", "Webinar"),
        ("Provider", "NAMSS"),
        ("Date", "05/01/2024"),
        ("Credits", "1.5"),
        ("NAMSS approved", "Yes"),
        ("Location", "Online"),
    ]


def test_a_pdf_document_is_shown_inline_beside_its_entry(reviewer_client):
    report, first = namss_report()
    document = EntryFileFactory(entry=first)
    page = page_of(reviewer_client, report)
    url = f"/admin/recertification/report/{report.pk}/documents/{document.pk}/"
    assert f'<iframe src="{url}"' in page or f'data="{url}"' in page
    response = reviewer_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_an_image_is_shown_inline_and_other_files_download(reviewer_client):
    report, first = namss_report()
    png = EntryFileFactory(entry=first, original_name="cert.png", content_type="image/png",
                           file__filename="cert.png", file__data=b"\x89PNG\r\n\x1a\nxxxx")  # fmt: skip
    word = EntryFileFactory(entry=first, original_name="cert.docx",
                            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                            file__filename="cert.docx", file__data=b"PK\x03\x04xx")  # fmt: skip
    page = page_of(reviewer_client, report)
    assert f'<img src="/admin/recertification/report/{report.pk}/documents/{png.pk}/"' in page
    image = reviewer_client.get(f"/admin/recertification/report/{report.pk}/documents/{png.pk}/")
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline")
    other = reviewer_client.get(f"/admin/recertification/report/{report.pk}/documents/{word.pk}/")
    assert other["Content-Disposition"].startswith("attachment")
    assert other["Content-Type"] == "application/octet-stream"


def test_a_file_claiming_to_be_a_pdf_that_is_not_is_downloaded(reviewer_client):
    report, first = namss_report()
    fake = EntryFileFactory(entry=first, file__data=b"<html><script>alert(1)</script>")
    response = reviewer_client.get(
        f"/admin/recertification/report/{report.pk}/documents/{fake.pk}/"
    )
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"


def test_documents_of_another_report_are_not_served(reviewer_client):
    report, _ = namss_report()
    other, other_entry = namss_report()
    document = EntryFileFactory(entry=other_entry)
    response = reviewer_client.get(
        f"/admin/recertification/report/{report.pk}/documents/{document.pk}/"
    )
    assert response.status_code == 404


def test_members_cannot_open_the_staff_document_view(client, member):
    report, first = namss_report()
    document = EntryFileFactory(entry=first)
    client.force_login(member)
    response = client.get(f"/admin/recertification/report/{report.pk}/documents/{document.pk}/")
    assert response.status_code in (302, 403)


def test_the_audit_form_shows_entries_in_words(reviewer_client, reviewer):
    report = submitted_report("ipma-hr")
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    page = reviewer_client.get(f"/admin/recertification/report/{report.pk}/audit/").content.decode()
    assert "Professional Development Program (6 or more hours)" in page
    assert "ipma.pd.full_day" not in page
    assert "title:" not in page
