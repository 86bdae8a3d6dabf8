"""Sign-in lockout, password reset that reveals nothing, the session rotated at sign-in, and the
client's address behind a reverse proxy (PROXY_COUNT) for the lockout and the rate limits.

The basics live in tests/members (test_sign_in.py, test_password_reset.py); these are the ways
around them an attacker would try.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from members import ratelimit

from .peers import closed_port

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


# --- the client's address -----------------------------------------------------------------------


def request(remote="10.0.0.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # No proxy: X-Forwarded-For is whatever the client chose to write.
        (0, "1.2.3.4", "10.0.0.9"),
        (0, None, "10.0.0.9"),
        # One proxy (nginx appends the address it saw): the last entry is the client.
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (1, " 6.6.6.6 ,203.0.113.7 ", "203.0.113.7"),
        (1, "2001:db8::1", "2001:db8::1"),
        # Two proxies (load balancer, then nginx): the second from the right.
        (2, "6.6.6.6, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
        # Fewer entries than proxies: the request did not come through them all; trust nothing.
        (2, "203.0.113.7", "10.0.0.9"),
        (1, "", "10.0.0.9"),
        (1, None, "10.0.0.9"),
        # Not an address: ignored.
        (1, "6.6.6.6, not-an-ip", "10.0.0.9"),
        (1, "6.6.6.6, 203.0.113.7:443", "10.0.0.9"),
    ],
)
def test_the_client_address_honours_proxy_count(settings, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    assert ratelimit.client_address(request(forwarded=forwarded)) == expected


def test_without_proxies_a_forged_forwarded_for_does_not_escape_the_verify_limit(client, settings):
    settings.PROXY_COUNT = 0
    settings.VERIFY_RATE_LIMIT = 3
    codes = [
        client.get("/verify/ABCDEFGHJKMN/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(5)
    ]
    assert codes[:3] == [404, 404, 404]
    assert codes[3:] == [429, 429]


def test_behind_a_proxy_each_client_has_its_own_limit_and_cannot_forge_another(client, settings):
    settings.PROXY_COUNT = 1
    settings.VERIFY_RATE_LIMIT = 2
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def lookup(forwarded):
        return client.get("/verify/ABCDEFGHJKMN/", HTTP_X_FORWARDED_FOR=forwarded, **proxy)

    assert [lookup("203.0.113.7").status_code for _ in range(3)] == [404, 404, 429]
    # A forged left-hand entry changes nothing: the proxy's entry is still the last one.
    assert lookup("198.51.100.1, 203.0.113.7").status_code == 429
    # Another visitor behind the same proxy is not limited by the first one.
    assert lookup("203.0.113.8").status_code == 404


# --- the sign-in lockout ------------------------------------------------------------------------


def test_every_spelling_of_an_account_counts_toward_one_lockout(client, member, password, settings):
    """Username or email, any case: without one key per account each spelling would get its own
    five attempts, and a password could be guessed for ever."""
    spellings = ["pat.member", "PAT.MEMBER", "pat@example.org", "Pat@Example.ORG", " pat.member "]
    assert len(spellings) >= settings.AXES_FAILURE_LIMIT
    answers = [sign_in(client, s, "wrong guess").status_code for s in spellings]
    # The attempt that reaches the limit is itself answered with the lockout page.
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429] * (
        len(spellings) - settings.AXES_FAILURE_LIMIT + 1
    )
    response = sign_in(client, "PAT@example.org", password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_forged_forwarded_for_does_not_reset_the_lockout(client, member, password, settings):
    settings.PROXY_COUNT = 0
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "pat.member", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    response = sign_in(client, "pat.member", password, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert response.status_code == 429


def test_behind_a_proxy_an_attacker_does_not_lock_the_member_out_elsewhere(
    member, password, settings
):
    """The lockout is per account and address; behind a proxy the address is the client's, not
    the proxy's (otherwise one attacker would lock the member out for everyone)."""
    settings.PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker, owner = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, "pat.member", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.66", **proxy)
    locked = sign_in(
        attacker, "pat.member", password, HTTP_X_FORWARDED_FOR="198.51.100.66", **proxy
    )
    assert locked.status_code == 429
    mine = sign_in(owner, "pat.member", password, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert mine.status_code == 302
    assert owner.session["_auth_user_id"] == str(member.pk)


def test_a_wrong_password_for_an_unknown_account_reads_the_same(client, member):
    known = sign_in(client, "pat.member", "wrong").content.decode()
    unknown = sign_in(Client(), "nobody.here", "wrong").content.decode()
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|value="[^"]*"')
    assert strip.sub("", known) == strip.sub("", unknown)


# --- the session ---------------------------------------------------------------------------------


def test_a_session_planted_before_sign_in_is_worthless_after(client, member, password):
    """Session fixation: the key a visitor had before signing in is replaced, and the old key
    does not sign anyone in."""
    client.get(LOGIN)
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    assert sign_in(client, "pat.member", password).status_code == 302
    assert client.cookies["sessionid"].value != planted
    replay = Client()
    replay.cookies["sessionid"] = planted
    assert replay.get("/profile/").status_code == 302  # to sign-in
    assert not Session.objects.filter(session_key=planted).exists()


def test_signing_out_ends_the_session_on_the_server(member_client):
    key = member_client.cookies["sessionid"].value
    member_client.post(reverse("logout"))
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get("/profile/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


def test_changing_the_password_keeps_this_session_and_ends_the_others(member, password):
    here, elsewhere = Client(), Client()
    here.force_login(member)
    elsewhere.force_login(member)
    response = here.post(
        reverse("members:change_password"),
        {
            "old_password": password,
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get("/profile/").status_code == 200
    assert elsewhere.get("/profile/").status_code == 302


# --- password reset and find-my-account reveal nothing --------------------------------------------


def _answer(client, url, email):
    response = client.post(url, {"email": email}, follow=True)
    text = re.sub(r'value="[^"]+"', "", response.content.decode())
    return response.status_code, response.redirect_chain, text


@pytest.mark.parametrize("url", ["/accounts/password/reset/", "/accounts/find/"])
def test_the_answer_is_the_same_for_a_known_and_an_unknown_email(member, url):
    known = _answer(Client(), url, "pat@example.org")
    unknown = _answer(Client(), url, "nobody@example.org")
    assert known == unknown
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("url", ["/accounts/password/reset/", "/accounts/find/"])
def test_the_answer_is_the_same_when_rate_limited(member, settings, url):
    first = _answer(Client(), url, "pat@example.org")
    for _ in range(settings.ACCOUNT_EMAIL_RATE_LIMIT + 2):
        limited = _answer(Client(), url, "pat@example.org")
    assert limited == first
    assert len(mail.outbox) == settings.ACCOUNT_EMAIL_RATE_LIMIT


@pytest.mark.parametrize("url", ["/accounts/password/reset/", "/accounts/find/"])
def test_with_the_mail_server_down_the_answer_is_still_the_same(member, settings, url):
    """Django's real SMTP backend, pointed at a port where nothing listens: no error page, and
    no difference that would say the account exists."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2
    known = _answer(Client(), url, "pat@example.org")
    unknown = _answer(Client(), url, "nobody@example.org")
    assert known[0] == 200
    assert known == unknown
