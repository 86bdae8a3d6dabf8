"""After Save, the confirmation, the new totals and the new entry are shown together (defect 6).

The save redirects to the "Just saved" panel (#saved): the message with the new totals, a short
summary of the entry with a link to its row in Current Recertification Entries (highlighted),
then Accumulated Points. The browser test (tests/browser/test_entry_saving.py) checks that they
are all on the screen on a desktop and on a phone.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from recertification.models import Entry

from .helpers import group_of, shown_total, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"


@pytest.fixture
def saved(client, credential_for):
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    client.get(PORTAL)
    group = group_of("ipma.pd.full_day")
    for day in range(1, 4):  # earlier entries, so the new one is not alone in the list
        client.post(
            PORTAL, valid_post(group, dt.date(2024, 3, day), title=f"Earlier workshop {day}")
        )
    data = valid_post(group, dt.date(2024, 5, 7), title="HR Academy", quantity="2")
    response = client.post(PORTAL, data)
    return credential, response, Entry.objects.latest("id")


def test_saving_leads_to_the_confirmation_not_to_the_list(saved):
    _credential, response, entry = saved
    assert response.status_code == 302
    assert response["Location"] == f"{PORTAL}?saved={entry.pk}#saved"


def test_the_confirmation_totals_and_new_entry_come_together_before_the_list(client, saved):
    credential, response, entry = saved
    page = client.get(response["Location"]).content.decode()
    panel = re.search(r'<section[^>]*id="saved".*?</section>', page, flags=re.S)
    assert panel, "no Just saved panel"
    text = panel.group(0)
    assert 'role="status"' in text
    assert "Professional Development – Full Day entry saved" in text or "entry saved" in text
    assert "this entry counts 6; 15 of 50 points now." in text
    assert "HR Academy" in text
    assert "05/07/2024" in text
    assert f'href="#entry-{entry.pk}"' in text
    # In the page: the panel, then the totals, then the list with the row highlighted.
    accumulated = page.index('id="accumulated-heading"')
    assert page.index('id="saved"') < accumulated < page.index('id="entries-heading"')
    assert shown_total(page, credential.designation) == "15"
    row = re.search(rf'<tr[^>]*id="entry-{entry.pk}"[^>]*>', page)
    assert row and "just-saved" in row.group(0)
    assert page.count(f'id="entry-{entry.pk}"') == 1
    # The message is the panel's, not a second copy in the page's message area.
    assert page.count("15 of 50 points now.") == 1


def test_the_panel_is_only_for_the_members_own_entries(client, saved, other_member):
    _credential, response, entry = saved
    client.force_login(other_member)
    page = client.get(f"{PORTAL}?saved={entry.pk}").content.decode()
    assert 'id="saved"' not in page
    assert "HR Academy" not in page


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999"])
def test_a_stray_saved_parameter_shows_no_panel(client, saved, value):
    page = client.get(f"{PORTAL}?saved={value}")
    assert page.status_code == 200
    assert 'id="saved"' not in page.content.decode()
