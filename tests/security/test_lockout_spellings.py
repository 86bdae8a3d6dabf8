"""The sign-in lockout and the email rate limits count per account, however its name is typed.

PostgreSQL's case-insensitive match (UPPER) maps the dotless ı to I and the long ſ to S, while
Python's lower() leaves them alone: a lockout keyed on the typed string let "ıpma.member" sign in
to a locked "ipma.member", and let "find my account" send more emails to one person than its limit.
These tests mean most on PostgreSQL (`DATABASE_URL=postgres://…`); on SQLite, whose LIKE folds ASCII
only, the look-alike spellings match no account in the first place.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def ipma(db):
    user = UserFactory(username="ipma.member", email="ipma.member@example.org")
    user.set_password(PASSWORD)
    user.save()
    return user


def _lock(client, settings, username: str, url: str):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": username, "password": "wrong"})


@pytest.mark.parametrize("spelling", ["ıpma.member", "IPMA.MEMBER", "ipma.member@example.org"])
def test_a_locked_account_stays_locked_whatever_the_spelling(client, ipma, settings, spelling):
    _lock(client, settings, "ipma.member", reverse("login"))
    response = client.post(reverse("login"), {"username": spelling, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_a_dotless_i_is_not_the_same_name(client, ipma):
    response = client.post(reverse("login"), {"username": "ıpma.member", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_failures_under_look_alike_spellings_count_for_the_account(client, ipma, settings):
    spellings = ["IPMA.member", "ipma.MEMBER", "Ipma.Member", "ipma.member@EXAMPLE.org", "ſipma"]
    for spelling in spellings[: settings.AXES_FAILURE_LIMIT - 1] + ["ipma.member"]:
        client.post(reverse("login"), {"username": spelling, "password": "wrong"})
    response = client.post(reverse("login"), {"username": "ipma.member", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_staff_sign_in_is_locked_the_same_way(client, settings):
    staff = StaffFactory(username="finance", email="finance@example.org")
    staff.set_password(PASSWORD)
    staff.save()
    url = reverse("admin:login")
    _lock(client, settings, "finance", url)
    client.post(url, {"username": "fınance", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_find_my_account_sends_no_more_than_its_limit_to_one_person(client, ipma, settings):
    spellings = [
        "ipma.member@example.org",
        "IPMA.member@example.org",
        "ıpma.member@example.org",
        "ipma.member@EXAMPLE.ORG",
        "Ipma.Member@example.org",
        "ipma.membeR@example.org",
        "ıPMA.member@example.org",
        "IPMA.MEMBER@example.org",
        "ipma.member@Example.org",
    ]
    for spelling in spellings:
        client.post(reverse("find_account"), {"email": spelling})
    to_ipma = [m for m in mail.outbox if m.to == [ipma.email]]
    assert len(to_ipma) <= settings.ACCOUNT_EMAIL_RATE_LIMIT
    assert to_ipma  # the real spellings did get through


def test_a_chosen_username_is_normalised_and_look_alikes_are_refused(member_client, member):
    url = reverse("members:change_username")
    refused = member_client.post(url, {"username": "ıpma.fan"})
    assert refused.status_code == 200
    assert "letters a–z" in refused.content.decode()
    member_client.post(url, {"username": "Pat.Portal"})
    member.refresh_from_db()
    assert member.username == "pat.portal"


def test_sign_up_draws_an_ascii_username_from_a_unicode_email(client, db):
    from members.forms import unique_username_for

    assert unique_username_for("ıpma.member@example.org") == "pma.member"
    assert unique_username_for("Ｐat@example.org") == "pat"  # full-width letters, NFKC
