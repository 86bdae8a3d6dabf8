"""Staff read entries in members' words: no kind or category codes, no raw dicts."""

import pytest

from recertification.rules import get_program
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db


def test_the_entries_list_and_page_show_labels_not_codes(reviewer_client, member):
    entry = EntryFactory(member=member, kind="ipma.pd.full_day", category="pd",
                         details={"title": "Public Sector HR Conference"})  # fmt: skip
    kind = get_program("ipma-hr").kind("ipma.pd.full_day")
    listing = reviewer_client.get("/admin/recertification/entry/").content.decode()
    assert kind.label in listing and "ipma.pd.full_day" not in listing
    page = reviewer_client.get(f"/admin/recertification/entry/{entry.pk}/change/").content.decode()
    assert "ipma.pd.full_day" not in page and "{&#x27;title" not in page and "{'title" not in page
    assert "Public Sector HR Conference" in page and kind.label in page
    filtered = reviewer_client.get("/admin/recertification/entry/?category=pd")
    assert filtered.status_code == 200
