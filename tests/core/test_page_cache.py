"""Member pages served whole from the cache (core/page_cache.py), and never stale.

A repeated view is one cache read; every way the page's content can change (the member's own save,
a staff change through the admin or a bulk update, a site setting, the date) shows at once, because
the key is made of versions the database changes with the write itself.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core import page_cache
from members.backends import UsernameOrEmailBackend
from members.models import Credential, User
from recertification.fees import program_fees
from recertification.models import Entry, ProgramSettings
from tests.factories import EntryFactory, StaffFactory, UserFactory, report_for
from tests.recertification.helpers import group_of, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"
SUMMARY = "/recertification/summary/"
PAGES = [PORTAL, SUMMARY, "/transactions/", "/"]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def ipma(credential_for):
    credential = credential_for("ipma-hr")
    report = report_for(credential)
    EntryFactory(member=credential.holder, reports=[report], details={"title": "Spring workshop"})
    return credential


def queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def without_tokens(html: str) -> str:
    return TOKEN.sub("", html)


@pytest.mark.parametrize("url", PAGES)
def test_a_repeated_view_is_served_from_the_cache_with_no_query_beyond_the_sign_in(
    client, ipma, url
):
    client.force_login(ipma.holder)
    client.get(url)
    rendered, first = queries(client, url)  # steady state: reports open, page kept
    served, second = queries(client, url)
    # The session and the user (with both versions, in one query) are all a kept page needs.
    assert served <= 2, f"{url}: {served} queries when served from the cache"
    assert without_tokens(second) == without_tokens(first)


def test_the_form_token_of_a_kept_page_is_this_requests_own_and_is_accepted(ipma):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ipma.holder)
    client.get(PORTAL)
    client.get(PORTAL)
    html = client.get(PORTAL).content.decode()
    tokens = set(TOKEN.findall(html))
    assert tokens and "\x00" not in html
    group = group_of("ipma.pd.full_day")
    data = valid_post(group, dt.date(2024, 3, 5), title="Kept page workshop")
    data["csrfmiddlewaretoken"] = tokens.pop()
    response = client.post(PORTAL, data)
    assert response.status_code == 302, response.content.decode()[:500]
    assert Entry.objects.filter(details__title="Kept page workshop").exists()


def test_the_members_own_save_shows_on_the_next_view(client, ipma):
    client.force_login(ipma.holder)
    for _ in range(2):
        before = client.get(PORTAL).content.decode()
    assert "Evening seminar" not in before
    group = group_of("ipma.pd.full_day")
    client.post(PORTAL, valid_post(group, dt.date(2024, 4, 2), title="Evening seminar"))
    assert "Evening seminar" in client.get(PORTAL).content.decode()
    assert "Evening seminar" in client.get(SUMMARY).content.decode()


def test_a_change_by_a_bulk_update_shows_at_once(client, ipma):
    """No service, no signal: the database's own trigger changes the member's version."""
    client.force_login(ipma.holder)
    for _ in range(2):
        client.get(SUMMARY)
    Entry.objects.filter(member=ipma.holder).update(details={"title": "Renamed by staff"})
    assert "Renamed by staff" in client.get(SUMMARY).content.decode()


def test_a_credential_staff_lapse_shows_at_once(client, ipma):
    client.force_login(ipma.holder)
    for _ in range(2):
        client.get("/")
    Credential.objects.filter(pk=ipma.pk).update(status=Credential.Status.LAPSED)
    page = client.get("/").content.decode()
    assert "Lapsed" in page or "lapsed" in page


def test_a_fee_staff_change_shows_on_every_members_page(client, ipma, settings):
    client.force_login(ipma.holder)
    for _ in range(2):
        client.get(PORTAL)
    version = User.objects.get(pk=ipma.holder.pk).pages_version
    program_fees("ipma-hr")  # the program's fee row, as staff find it
    row = ProgramSettings.objects.get(program="ipma-hr")
    row.late_fee = Decimal("987.00")
    row.save()
    # The member's own version did not move: the site-wide one did.
    assert User.objects.get(pk=ipma.holder.pk).pages_version == version
    rendered, fresh = queries(client, PORTAL)
    assert rendered > 2, "a site setting changed: the page is rendered afresh"
    served, again = queries(client, PORTAL)
    assert served <= 2 and without_tokens(again) == without_tokens(fresh)


def test_another_members_change_leaves_a_kept_page_kept(client, ipma, credential_for):
    client.force_login(ipma.holder)
    for _ in range(2):
        client.get(PORTAL)
    other = credential_for("ipma-hr", holder=UserFactory())
    EntryFactory(member=other.holder, reports=[report_for(other)])
    served, _ = queries(client, PORTAL)
    assert served <= 2


def test_a_new_day_renders_afresh(client, ipma, monkeypatch):
    client.force_login(ipma.holder)
    for _ in range(2):
        client.get("/")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(page_cache.timezone, "localdate", lambda: tomorrow)
    rendered, _ = queries(client, "/")
    assert rendered > 2


def test_a_message_is_shown_once_and_never_kept(client, ipma):
    client.force_login(ipma.holder)
    for _ in range(2):
        client.get(SUMMARY)
    entry = Entry.objects.get(member=ipma.holder)
    response = client.post(f"/recertification/entries/{entry.pk}/delete/")
    assert response["Location"] == SUMMARY
    first = client.get(SUMMARY).content.decode()
    second = client.get(SUMMARY).content.decode()
    assert "entry was deleted" in first
    assert "entry was deleted" not in second
    assert "Spring workshop" not in second


def test_the_just_saved_view_is_never_kept(client, ipma):
    client.force_login(ipma.holder)
    group = group_of("ipma.pd.full_day")
    response = client.post(PORTAL, valid_post(group, dt.date(2024, 4, 3), title="Panel"))
    for _ in range(2):
        rendered, page = queries(client, response["Location"])
        assert rendered > 2 and 'id="saved"' in page


def test_staff_pages_are_never_kept(client, ipma):
    staff = StaffFactory()
    client.force_login(staff)
    client.get("/")
    rendered, _ = queries(client, "/")
    assert rendered > 2


def test_the_cache_turned_off_renders_every_time(client, ipma, settings):
    settings.MEMBER_PAGE_CACHE_SECONDS = 0
    client.force_login(ipma.holder)
    client.get(PORTAL)
    rendered, _ = queries(client, PORTAL)
    assert rendered > 2


# --- what a view answers, kept as it was answered ---------------------------------------------


def _signed_in_get(member, method: str = "get"):
    """A request as it reaches a member page: signed in, with a session and messages."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = getattr(RequestFactory(), method)("/kept/")
    request.user = UsernameOrEmailBackend().get_user(member.pk)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _counting_view(**headers):
    calls = []

    def view(request):
        calls.append(request.method)
        return HttpResponse(b"kept page", content_type="text/csv", headers=headers)

    return view, calls


def test_a_kept_page_is_served_with_the_headers_its_view_gave(ipma):
    view, calls = _counting_view(**{"Content-Language": "en"})
    kept = page_cache.member_page("headers")(view)
    kept(_signed_in_get(ipma.holder))
    served = kept(_signed_in_get(ipma.holder))
    assert calls == ["GET"]
    assert served["Content-Type"] == "text/csv"
    assert served["Content-Language"] == "en"
    assert served.content == b"kept page"


def test_a_page_that_varies_on_a_request_header_is_never_kept(ipma):
    view, calls = _counting_view(Vary="Accept-Language")
    kept = page_cache.member_page("varies")(view)
    for _ in range(2):
        kept(_signed_in_get(ipma.holder))
    assert calls == ["GET", "GET"]


def test_a_head_request_is_neither_served_nor_kept(ipma):
    view, calls = _counting_view()
    kept = page_cache.member_page("head")(view)
    for _ in range(2):
        kept(_signed_in_get(ipma.holder, "head"))
    kept(_signed_in_get(ipma.holder))
    assert calls == ["HEAD", "HEAD", "GET"]


def test_a_view_that_changed_the_session_or_set_a_cookie_is_never_kept(ipma):
    def session_view(request):
        request.session["seen"] = True
        return HttpResponse(b"page")

    def cookie_view(request):
        response = HttpResponse(b"page")
        response.set_cookie("choice", "1")
        return response

    for name, view in (("session", session_view), ("cookie", cookie_view)):
        kept = page_cache.member_page(name)(view)
        kept(_signed_in_get(ipma.holder))
        assert (
            page_cache.default_cache.get(page_cache.page_key(_signed_in_get(ipma.holder), name))
            is None
        ), name
