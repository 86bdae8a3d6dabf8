"""CSRF is enforced on every state-changing request, with Django's checks switched on.

The test client normally skips CSRF checks; here every client is `Client(enforce_csrf_checks=True)`.
Every URL of the portal (read from the URL configuration) is posted to without a token, as a
signed-in member and as a visitor, with the objects it names being the member's own, so that a
missing check would really change something: each answer is 403 with the portal's "please try
again" page, and the database is unchanged. The one CSRF-exempt view is Stripe's webhook, which
is verified by its signature instead (tests/payments/test_webhook.py, test_webhooks.py here).
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from .conftest import changed_tables, db_fingerprint
from .test_ownership_matrix import CUSTOM_ADMIN, MEMBER_MATRIX, Owned, Public
from .urlwalk import all_routes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

ROUTES = {r.name: r for r in all_routes()}
# Verified by the Stripe-Signature header (HMAC with STRIPE_WEBHOOK_SECRET), never by a cookie;
# the providers' API authenticates by bearer token only, never the session cookie
# (tests/providers/test_api.py: a signed-in session without a token gets 401).
CSRF_EXEMPT = {"payments:stripe_webhook", *(n for n, r in ROUTES.items() if r.is_api)}
ANY_OBJECT = ("1", "00000000-0000-4000-8000-000000000000")
MEMBER_URLS = sorted(n for n, r in ROUTES.items() if not r.is_admin and n not in CSRF_EXEMPT)
ADMIN_WITH_OBJECTS = sorted(
    n
    for n in CUSTOM_ADMIN
    if n in ROUTES and n.startswith("admin:") and n != "admin:recertification_report_action"
)


def test_the_stripe_webhook_and_the_api_are_the_only_csrf_exempt_views():
    exempt = {name for name, route in ROUTES.items() if route.csrf_exempt}
    assert "payments:stripe_webhook" in exempt
    assert exempt <= CSRF_EXEMPT, exempt - CSRF_EXEMPT


def member_url(name: str, world: dict) -> str:
    route = ROUTES[name]
    if route.is_provider_area and route.arguments:
        # CSRF is checked before the view: any object will do (its owner is tested in
        # tests/providers/test_provider_area.py).
        for values in itertools.product(ANY_OBJECT, repeat=len(route.arguments)):
            try:
                return reverse(name, kwargs=dict(zip(route.arguments, values, strict=True)))
            except NoReverseMatch:
                continue
        raise AssertionError(f"no sample object for {name}")
    row = MEMBER_MATRIX.get(name)
    if row is None:
        assert not ROUTES[name].arguments, f"{name} names an object but has no matrix row"
        return reverse(name)
    if isinstance(row, Public):
        return reverse(name, args=row.args(world))
    assert isinstance(row, Owned)
    return reverse(name, args=[row.argument(world[row.target])])


def assert_csrf_refused(response) -> None:
    assert response.status_code == 403, response.status_code
    assert "errors/csrf_failure.html" in [t.name for t in response.templates]
    assert "Nothing was changed" in response.content.decode()


@pytest.mark.parametrize("name", MEMBER_URLS)
def test_a_members_post_without_the_token_is_refused(member, world, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    url = member_url(name, world)
    client.get(url)  # the page hands out the token cookie, which alone is not enough
    before = db_fingerprint()
    response = client.post(url, {"reason": "x", "agreement": "agree", "files": ""})
    assert_csrf_refused(response)
    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize("name", MEMBER_URLS)
def test_a_visitors_post_without_the_token_is_refused(world, name):
    """Sign-in, sign-up, password reset and find-my-account included (login CSRF)."""
    client = Client(enforce_csrf_checks=True)
    before = db_fingerprint()
    response = client.post(
        member_url(name, world), {"username": "pat.member", "password": "correct-horse-battery"}
    )
    assert_csrf_refused(response)
    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize("name", ADMIN_WITH_OBJECTS)
def test_a_staff_post_without_the_token_is_refused(world, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["office"])  # a superuser: only CSRF can stop this
    url = reverse(name, args=CUSTOM_ADMIN[name].args(world))
    before = db_fingerprint()
    response = client.post(url, {"reason": "x", "check_number": "1", "amount": "150"})
    assert_csrf_refused(response)
    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize("action", ["approve", "return", "waive_fee", "select_audit"])
def test_report_actions_without_the_token_are_refused(world, action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["office"])
    url = reverse("admin:recertification_report_action", args=[world["report"].pk, action])
    before = db_fingerprint()
    assert_csrf_refused(client.post(url, {"reason": "no token"}))
    assert changed_tables(before, db_fingerprint()) == []


def test_an_admin_change_form_without_the_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["office"])
    url = reverse("admin:members_credential_change", args=[world["credential"].pk])
    before = db_fingerprint()
    assert_csrf_refused(client.post(url, {"status": "inactive", "reason": "no token"}))
    assert changed_tables(before, db_fingerprint()) == []


def test_a_token_from_another_session_is_refused(member, second_member, world):
    theirs = Client(enforce_csrf_checks=True)
    theirs.force_login(second_member)
    page = theirs.get(reverse("recertification:submit")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    mine = Client(enforce_csrf_checks=True)
    mine.force_login(member)
    url = reverse("recertification:file_delete", args=[world["file"].pk])
    assert_csrf_refused(mine.post(url, {"csrfmiddlewaretoken": token}))


def test_with_the_token_the_same_post_goes_through(member, world):
    """The refusals above are CSRF's: the same request with the page's token is accepted."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    page = client.get(reverse("recertification:uploads")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    url = reverse("recertification:file_delete", args=[world["file"].pk])
    response = client.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not type(world["file"]).objects.filter(pk=world["file"].pk).exists()


def test_a_sign_in_from_another_site_is_refused(member):
    """Login CSRF: a form on another site cannot sign the visitor into the attacker's account."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("login"),
        {"username": "pat.member", "password": "correct-horse-battery"},
        HTTP_ORIGIN="https://evil.example",
    )
    assert_csrf_refused(response)
    assert "_auth_user_id" not in client.session
