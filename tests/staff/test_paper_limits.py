"""Paper reports: each row held to its kind's limits, the program's own columns, subtotals."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from backoffice.admin.paper import PaperEntryForm
from recertification import rules
from recertification.models import Entry
from tests.staff.test_paper_report import lapsed, record, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_namss_grace():
    """A NAMSS credential that lapsed on 1 January 2026 can be reinstated until 30 June."""
    with time_machine.travel(dt.datetime(2026, 3, 16, 15, 0), tick=False):
        yield


def head_of(page: str) -> str:
    return page.split('id="paper-rows"', 1)[1].split("</thead>", 1)[0]


def test_an_impossible_quantity_is_refused_with_the_kinds_limit(administrator_client):
    credential = lapsed("ipma-hr")
    rows = ({"kind": "ipma.pd.college", "date": "2022-03-01", "quantity": "99999", "title": "MBA"},)
    page = record(administrator_client, credential, rows, _preview="1").content.decode()
    assert "Row 1" in page
    assert "College/University course" in page
    assert "College/University course: at most 21 credit hours on one entry (got 99,999)." in page
    assert "10,000" not in page
    assert 'id="preview"' not in page or "99,999" not in page


def test_a_row_just_above_the_kinds_maximum_is_refused(administrator_client):
    credential = lapsed("ipma-hr")
    rows = ({"kind": "ipma.pd.college", "date": "2022-03-01", "quantity": "21.5", "title": "MPA"},)
    page = record(administrator_client, credential, rows, _preview="1").content.decode()
    assert "Row 1" in page
    assert "College/University course: at most 21 credit hours on one entry (got 21.5)." in page
    assert not Entry.objects.exists()


def test_a_row_at_the_kinds_maximum_is_accepted():
    form = PaperEntryForm(
        {"kind": "ipma.pd.college", "date": "2022-03-01", "quantity": "21", "title": "MPA",
         "source": "State University"},
        program=rules.get_program("ipma-hr"),
    )  # fmt: skip
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("kind", "above", "message"),
    [
        ("ipma.pd.full_day", "61", "at most 60 days on one entry (got 61)"),
        ("ipma.pd.partial_day", "61", "at most 60 days on one entry (got 61)"),
        ("ipma.pd.college", "100", "at most 21 credit hours on one entry (got 100)"),
    ],
)
def test_each_kind_is_held_to_its_own_maximum(kind, above, message):
    form = PaperEntryForm(
        {"kind": kind, "date": "2022-03-01", "quantity": above, "title": "Course",
         "source": "Sponsor"},
        program=rules.get_program("ipma-hr"),
    )  # fmt: skip
    assert not form.is_valid()
    assert any(message in error for error in form.errors["quantity"]), form.errors


def test_a_namss_row_above_its_maximum_names_the_credits(administrator_client, in_namss_grace):
    credential = lapsed("namss")
    rows = ({"kind": "namss.ce", "date": "2024-04-10", "quantity": "450", "title": "Webinar"},)
    page = record(administrator_client, credential, rows, _preview="1").content.decode()
    assert "NAMSS CE: at most 45 credits on one entry (got 450)." in page


def test_a_quantity_off_the_kinds_step_names_the_step(administrator_client, in_namss_grace):
    credential = lapsed("namss")
    rows = ({"kind": "namss.ce", "date": "2024-04-10", "quantity": "1.3", "title": "Webinar"},)
    page = record(administrator_client, credential, rows, _preview="1").content.decode()
    assert "multiples of 0.25" in page


def test_ipma_hr_columns_come_from_its_declaration(administrator_client):
    credential = lapsed("ipma-hr")
    head = head_of(administrator_client.get(url(credential)).content.decode())
    assert "Sponsor" in head
    assert "Approved" not in head and "NAMSS" not in head
    assert "Group" not in head


def test_namss_columns_come_from_its_declaration(administrator_client, in_namss_grace):
    credential = lapsed("namss")
    head = head_of(administrator_client.get(url(credential)).content.decode())
    assert "NAMSS approved" in head and "Provider" in head
    assert "Year" not in head and "Group" not in head and "Sponsor" not in head


def test_no_hint_of_another_program_on_the_form(administrator_client, in_namss_grace):
    credential = lapsed("namss")
    page = administrator_client.get(url(credential)).content.decode()
    for word in ("IPMA", "credit hours", "contact hours", "Sponsor"):
        assert word not in page, word


def test_the_sponsor_is_kept_with_the_entry(administrator_client):
    credential = lapsed("ipma-hr")
    rows = ({"kind": "ipma.pd.full_day", "date": "2022-03-01", "quantity": "2", "title": "Academy",
             "source": "State Chapter"},)  # fmt: skip
    record(administrator_client, credential, rows, _preview="1")
    form = PaperEntryForm(
        {
            "kind": "ipma.pd.full_day",
            "date": "2022-03-01",
            "quantity": "2",
            "title": "Academy",
            "source": "State Chapter",
        },  # fmt: skip
        program=rules.get_program("ipma-hr"),
    )
    assert form.is_valid(), form.errors
    assert form.entry.details == {"title": "Academy", "sponsor": "State Chapter"}
    assert not Entry.objects.exists()


def test_the_preview_shows_subtotals_per_category_with_caps(administrator_client):
    credential = lapsed("ipma-hr")
    rows = (
        {"kind": "ipma.pd.full_day", "date": "2022-03-01", "quantity": "5", "title": "Academy"},
        {"kind": "ipma.membership.other", "year": "2022", "organization": "SHRM"},
    )
    page = record(administrator_client, credential, rows, _preview="1").content.decode()
    subtotals = page.split('id="paper-subtotals"', 1)[1].split("</table>", 1)[0]
    assert "Professional Development" in subtotals
    assert "Membership" in subtotals
    assert "15" in subtotals
