"""Member-facing wording follows each program's declaration (defect 10 of the member-year review)."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from reportlab.lib.styles import getSampleStyleSheet

from core.formatting import format_date
from recertification import selectors, transcript
from recertification.models import Entry, Report

from .helpers import group_of, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"
UPLOADS = "/recertification/uploads/"
SUBMIT = "/recertification/submit/"
SUMMARY = "/recertification/summary/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def text(response) -> str:
    """The words of the page's main content (the site's header and footer left out)."""
    html = response.content.decode()
    main = re.search(r"<main.*?</main>", html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.group(0) if main else html))


def signed_in(client, credential):
    client.force_login(credential.holder)
    client.get(PORTAL)
    return credential


# 1. Plurals


def test_the_file_field_of_a_one_file_kind_says_one_file(client, credential_for):
    signed_in(client, credential_for("namss"))
    page = text(client.get(PORTAL))
    assert "Up to 1 file:" in page
    assert "Up to 1 files" not in page


def test_a_full_one_file_entry_says_its_one_file(client, credential_for):
    signed_in(client, credential_for("namss"))
    client.post(PORTAL, valid_post(group_of("namss.ce"), dt.date(2024, 5, 1), quantity="1"))
    entry = Entry.objects.get()
    client.post(
        UPLOADS,
        {"entry": str(entry.pk), "files": [SimpleUploadedFile("ce.pdf", PDF)]},
    )
    page = text(client.get(UPLOADS))
    assert "This entry has its 1 file." in page
    assert "1 files" not in page


# 2. The Uploads page states each entry's own limit


def test_uploads_page_states_the_namss_limit_of_one_file(client, credential_for):
    signed_in(client, credential_for("namss"))
    client.post(PORTAL, valid_post(group_of("namss.ce"), dt.date(2024, 5, 1), quantity="1"))
    page = text(client.get(UPLOADS))
    assert "5 files" not in page
    assert "at most 1 file per entry" in page


def test_uploads_page_states_the_ipma_hr_limit_of_five_files(client, credential_for):
    signed_in(client, credential_for("ipma-hr"))
    client.post(PORTAL, valid_post(group_of("ipma.innovation"), dt.date(2024, 5, 1)))
    page = text(client.get(UPLOADS))
    assert "at most 5 files per entry" in page


# 3. The Declaration names the program


def test_the_declaration_names_the_program(client, credential_for):
    signed_in(client, credential_for("namss"))
    page = text(client.get(SUBMIT))
    assert "credentialing body" not in page
    assert "I give NAMSS permission to verify" in page
    assert "NAMSS has the right to reject" in page


# 4. Points, credits or CMPs, as each program says


@pytest.mark.parametrize(
    ("program", "word"), [("namss", "Credits"), ("ihmm", "CMPs"), ("ipma-hr", "Points")]
)
def test_member_pages_use_the_programs_word(client, credential_for, program, word):
    signed_in(client, credential_for(program))
    portal = text(client.get(PORTAL))
    summary = text(client.get(SUMMARY))
    submit = text(client.get(SUBMIT))
    assert f"Accumulated {word}" in portal
    assert f"Current {word}" in portal
    assert f"Submit Recertification {word}" in portal
    assert f"Accumulated {word}" in summary
    assert f"Submit Recertification {word}" in submit
    if word != "Points":
        for page in (portal, summary, submit):
            assert " Points " not in f" {page} "


# 5. Year drop-downs offer only the years the cycle accepts


def year_choices(html: str, key: str) -> list[str]:
    select = re.search(rf'<select name="{re.escape(key)}-year"[^>]*>(.*?)</select>', html, re.S)
    assert select, key
    return re.findall(r'<option value="(\d+)"', select.group(1))


def test_the_year_drop_down_offers_no_year_not_yet_started(client, credential_for, time_machine):
    time_machine.move_to(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC))
    signed_in(client, credential_for("ipma-hr"))  # cycle 2024 to 2026
    key = group_of("ipma.presentation.speech").key
    assert year_choices(client.get(PORTAL).content.decode(), key) == ["2024", "2025"]


def test_the_year_drop_down_of_the_edit_form_offers_no_year_not_yet_started(
    client, credential_for, time_machine
):
    time_machine.move_to(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC))
    signed_in(client, credential_for("ipma-hr"))
    group = group_of("ipma.presentation.speech")
    client.post(PORTAL, valid_post(group, dt.date(2024, 5, 1), kind="ipma.presentation.speech"))
    entry = Entry.objects.get()
    html = client.get(f"/recertification/entries/{entry.pk}/edit/").content.decode()
    assert year_choices(html, group.key) == ["2024", "2025"]


def test_every_offered_year_is_accepted(client, credential_for, time_machine):
    time_machine.move_to(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC))
    signed_in(client, credential_for("ipma-hr"))
    group = group_of("ipma.presentation.speech")
    for year in year_choices(client.get(PORTAL).content.decode(), group.key):
        client.post(
            PORTAL,
            valid_post(group, dt.date(int(year), 5, 1), kind="ipma.presentation.speech"),
        )
    assert sorted(Entry.objects.values_list("year", flat=True)) == [2024, 2025]


# 7. The transcript PDF uses the portal's date format


def test_the_transcript_shows_dates_in_the_portals_format(client, credential_for):
    signed_in(client, credential_for("namss"))
    client.post(PORTAL, valid_post(group_of("namss.ce"), dt.date(2024, 5, 1), quantity="1"))
    scored = selectors.scored_report(Report.objects.get())
    table = transcript._lines_table(scored, getSampleStyleSheet()["Normal"])
    dates = [row[2] for row in table._cellvalues[1:]]
    assert dates == [format_date(dt.date(2024, 5, 1))]
    assert "2024-05-01" not in dates


def test_the_csv_keeps_iso_dates_for_spreadsheets(client, credential_for):
    signed_in(client, credential_for("namss"))
    client.post(PORTAL, valid_post(group_of("namss.ce"), dt.date(2024, 5, 1), quantity="1"))
    report = Report.objects.get()
    body = client.get(f"/recertification/reports/{report.pk}/entries.csv").content.decode()
    assert "2024-05-01" in body
