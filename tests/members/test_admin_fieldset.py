"""The staff pages' forms share one fieldset (templates/admin/includes/portal_fieldset.html)."""

import re

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/members/membershiprecord/import/"


class ReasonForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Reason", help_text="Say why.")


def rows(page: str) -> list[str]:
    return re.findall(r'<div class="form-row[^"]*">', page)


def test_each_field_is_a_row_with_its_errors_help_and_the_heading():
    form = ReasonForm(data={"token": "t"})
    page = render_to_string(
        "admin/includes/portal_fieldset.html",
        {"fields": form.visible_fields, "heading": "Why"},
    )
    assert '<fieldset class="module aligned">' in page and "<h2>Why</h2>" in page
    assert rows(page) == ['<div class="form-row errors">']
    assert "This field is required." in page and '<div class="help">Say why.</div>' in page
    assert 'name="token"' not in page


def test_without_a_heading_there_is_none():
    page = render_to_string(
        "admin/includes/portal_fieldset.html", {"fields": ReasonForm(initial={"token": "t"})}
    )
    assert "<h2>" not in page and len(rows(page)) == 2


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_the_roster_import_page_uses_it_before_and_after_a_preview(staff_client):
    page = staff_client.get(IMPORT_URL).content.decode()
    assert "<h2>Upload a roster</h2>" in page and rows(page) == ['<div class="form-row">']

    UserFactory(member_number="10000001")
    csv = b"member_number,email,kind,organization,year\n10000001,,national,,2024\n"
    response = staff_client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("roster.csv", csv, content_type="text/csv")}
    )
    page = response.content.decode()
    assert "<h2>Preview another file</h2>" in page
    # The apply form's reason (the token stays a bare hidden input), then the upload form.
    assert len(rows(page)) == 2
    assert re.search(r'<input type="hidden" name="token" value="[^"]+"', page)
