import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_signs_in_with_the_username(client, member, password):
    response = client.post(reverse("login"), {"username": "pat.member", "password": password})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == member


def test_it_signs_in_with_the_email_in_any_case(client, member, password):
    response = client.post(reverse("login"), {"username": "PAT@Example.org", "password": password})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member.pk


def test_it_explains_a_wrong_password(client, member):
    response = client.post(reverse("login"), {"username": "pat.member", "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_rotates_the_session_at_sign_in(client, member, password):
    client.get(reverse("login"))
    client.session["probe"] = 1
    before = client.cookies.get("sessionid")
    client.post(reverse("login"), {"username": "pat.member", "password": password})
    after = client.cookies.get("sessionid")
    assert after is not None
    assert before is None or before.value != after.value


def test_it_locks_sign_in_after_repeated_failures(client, member, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "pat.member", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "pat.member", "password": password})
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_ends_the_session(member_client):
    response = member_client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in member_client.session
