import pytest
from django.urls import reverse

from members.models import User

pytestmark = pytest.mark.django_db

VALID = {
    "first_name": "Alex",
    "last_name": "Rivera",
    "email": "alex.rivera@example.org",
    "confirm_email": "alex.rivera@example.org",
    "password1": "a-long-passphrase-1",
    "password2": "a-long-passphrase-1",
    "organization": "County of Example",
}


def test_it_creates_an_account_and_signs_in(client):
    response = client.post(reverse("signup"), VALID)
    assert response.status_code == 302
    user = User.objects.get(email="alex.rivera@example.org")
    assert user.username == "alex.rivera"
    assert user.organization == "County of Example"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_it_refuses_emails_that_differ(client):
    response = client.post(reverse("signup"), {**VALID, "confirm_email": "alex@example.org"})
    assert response.status_code == 200
    assert "The two email addresses do not match." in response.content.decode()
    assert not User.objects.exists()


def test_it_refuses_passwords_that_differ(client):
    response = client.post(reverse("signup"), {**VALID, "password2": "something-else-99"})
    assert "The two passwords do not match." in response.content.decode()
    assert not User.objects.exists()


def test_it_refuses_a_duplicate_email_in_any_case(client, member):
    data = {**VALID, "email": "PAT@example.org", "confirm_email": "PAT@example.org"}
    response = client.post(reverse("signup"), data)
    assert "An account with this email already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_it_refuses_a_weak_password(client):
    response = client.post(
        reverse("signup"), {**VALID, "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert not User.objects.exists()


def test_it_requires_the_names(client):
    response = client.post(reverse("signup"), {**VALID, "first_name": "", "last_name": ""})
    assert response.content.decode().count("This field is required.") == 2
    assert not User.objects.exists()


def test_usernames_made_from_email_stay_unique(client, db):
    from tests.factories import UserFactory

    UserFactory(username="alex.rivera", email="other@example.org")
    client.post(reverse("signup"), VALID)
    assert User.objects.get(email="alex.rivera@example.org").username == "alex.rivera2"
