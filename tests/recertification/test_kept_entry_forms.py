"""The portal's entry forms are kept under what they show (the credentials offered, how they share
reports, the years, the date, the release), so the page after a save reuses them; each page
still carries its own form token, and a bound form (a save refused) is never kept."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from recertification import forms
from recertification.models import Entry

from .helpers import group_of, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


@pytest.fixture(autouse=True)
def forms_kept_pages_not(settings):
    settings.MEMBER_PAGE_CACHE_SECONDS = 0  # every view renders the page; only the forms are kept
    settings.MEMBER_FRAGMENT_CACHE_SECONDS = 900


@pytest.fixture
def made(monkeypatch):
    """How many entry forms the views make."""
    count = {"forms": 0}
    real = forms.EntryForm.__init__

    def counted(self, *args, **kwargs):
        count["forms"] += 1
        real(self, *args, **kwargs)

    monkeypatch.setattr(forms.EntryForm, "__init__", counted)
    return count


def without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)


def test_the_page_after_a_save_reuses_the_forms_and_shows_the_new_entry(
    client, credential_for, made
):
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    first = client.get(PORTAL).content.decode()
    assert made["forms"] > 0

    saved = client.post(PORTAL, valid_post(group_of("ipma.pd.full_day"), dt.date(2024, 3, 5)))
    assert saved.status_code == 302
    made["forms"] = 0
    after = client.get(saved["Location"]).content.decode()

    assert made["forms"] == 0, "the forms were made again"
    assert Entry.objects.count() == 1
    assert "Just saved" in after
    forms_part = re.compile(
        r"<nav aria-label=\"IPMA-HR[^\"]* categories\".*?</form>\s*</div>\s*</div>", re.S
    )
    assert without_tokens(forms_part.search(first).group(0)) == without_tokens(
        forms_part.search(after).group(0)
    )


def test_each_session_gets_its_own_form_token_and_can_save(credential_for):
    credential = credential_for("ipma-hr")
    one, other = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    one.force_login(credential.holder)
    other.force_login(credential.holder)
    one.get(PORTAL)  # keeps the forms
    page = other.get(PORTAL).content.decode()
    tokens = set(TOKEN.findall(page))
    assert len(tokens) >= 1 and "\x00" not in "".join(tokens)
    data = valid_post(group_of("ipma.pd.full_day"), dt.date(2024, 3, 5))
    data["csrfmiddlewaretoken"] = tokens.pop()
    assert other.post(PORTAL, data).status_code == 302
    assert Entry.objects.count() == 1


def test_a_refused_save_shows_its_own_form_and_never_keeps_it(client, credential_for):
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    client.get(PORTAL)
    group = group_of("ipma.pd.full_day")
    refused = client.post(PORTAL, valid_post(group, dt.date(2099, 1, 1)))  # in the future
    assert refused.status_code == 200
    assert "is in the future" in refused.content.decode()
    again = client.get(PORTAL).content.decode()
    assert "is in the future" not in again
    assert "2099-01-01" not in again


def test_new_forms_when_what_they_offer_changes(client, credential_for, made, time_machine):
    time_machine.move_to(dt.datetime(2025, 12, 31, 12), tick=False)
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    assert '<option value="2026"' not in client.get(PORTAL).content.decode()
    made["forms"] = 0
    client.get(PORTAL)
    assert made["forms"] == 0

    time_machine.move_to(dt.datetime(2026, 1, 1, 12), tick=False)  # a new year is offered
    page = client.get(PORTAL).content.decode()
    assert made["forms"] > 0
    assert '<option value="2026"' in page


def test_nothing_is_kept_when_turned_off(client, credential_for, made, settings):
    settings.MEMBER_FRAGMENT_CACHE_SECONDS = 0
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    client.get(PORTAL)
    made["forms"] = 0
    client.get(PORTAL)
    assert made["forms"] > 0


def test_a_credential_added_to_the_report_is_offered_at_once(client, credential_for):
    from recertification import services

    cpcs = credential_for("namss")
    client.force_login(cpcs.holder)
    shared = "are recertified together on one report"
    assert shared not in client.get(PORTAL).content.decode()
    cpmsm = credential_for("namss", designation="CPMSM", holder=cpcs.holder)
    services.reports_ensure_open(member=cpcs.holder)  # joins the CPCS report of the same cycle

    after = client.get(PORTAL).content.decode()
    assert shared in after
    assert f'value="{cpcs.pk}+{cpmsm.pk}"' in after  # one choice: the shared report
