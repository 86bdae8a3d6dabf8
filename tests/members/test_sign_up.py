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


def test_it_creates_an_account_and_sends_the_link_to_confirm_the_address(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), VALID, follow=True)
    assert response.redirect_chain[-1][0] == reverse("signup_sent")
    user = User.objects.get(email="alex.rivera@example.org")
    assert user.username == "alex.rivera"
    assert user.organization == "County of Example"
    assert user.email_verified_at is None
    # Signed in once the address is confirmed, not before: the page is the same for an address
    # that already has an account, so that sign-up does not tell whether one exists.
    assert "_auth_user_id" not in client.session
    assert "alex.rivera@example.org" in response.content.decode()
    (sent,) = [m for m in mail.outbox if m.to == ["alex.rivera@example.org"]]
    assert "alex.rivera" in sent.body  # the username, to sign in with


def _signup_page(client, data) -> str:
    response = client.post(reverse("signup"), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("signup_sent")
    return response.content.decode().replace(data["email"], "EMAIL")


def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_an_email(client, member):
    from django.core import mail

    new_page = _signup_page(client, VALID)
    assert mail.outbox == []  # the new account's link is sent after commit (not run here)
    data = {**VALID, "email": "PAT@example.org", "confirm_email": "PAT@example.org"}
    taken_page = _signup_page(client, data)
    assert taken_page == new_page
    assert User.objects.filter(email__iexact="pat@example.org").count() == 1
    (sent,) = mail.outbox
    assert sent.to == [member.email]
    assert member.username in sent.body and "already have an account" in sent.body


def test_sign_up_is_rate_limited_per_network(client, settings):
    settings.SIGNUP_RATE_LIMIT = 2
    for n in range(2):
        data = {**VALID, "email": f"a{n}@example.org", "confirm_email": f"a{n}@example.org"}
        assert client.post(reverse("signup"), data).status_code == 302
    data = {**VALID, "email": "a9@example.org", "confirm_email": "a9@example.org"}
    response = client.post(reverse("signup"), data)
    assert response.status_code == 429
    assert not User.objects.filter(email="a9@example.org").exists()


def test_it_refuses_emails_that_differ(client):
    response = client.post(reverse("signup"), {**VALID, "confirm_email": "alex@example.org"})
    assert response.status_code == 200
    assert "The two email addresses do not match." in response.content.decode()
    assert not User.objects.exists()


def test_it_refuses_passwords_that_differ(client):
    response = client.post(reverse("signup"), {**VALID, "password2": "something-else-99"})
    assert "The two passwords do not match." in response.content.decode()
    assert not User.objects.exists()


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


def draws(monkeypatch, *numbers):
    """Member numbers drawn in turn as `numbers`; the list of those drawn so far."""
    import types

    from members import models

    queue = list(numbers)
    calls = []

    def randbelow(upper):
        calls.append(queue[0])
        return int(queue.pop(0)) - 10_000_000

    monkeypatch.setattr(models, "secrets", types.SimpleNamespace(randbelow=randbelow))
    return calls


@pytest.fixture
def taken_number(member):
    member.member_number = "12345678"
    member.save(update_fields=["member_number"])
    return "12345678"


def test_a_taken_member_number_is_drawn_again(client, monkeypatch, taken_number):
    calls = draws(monkeypatch, taken_number, taken_number, "23456789")
    response = client.post(reverse("signup"), VALID)
    assert response.status_code == 302
    user = User.objects.get(email="alex.rivera@example.org")
    assert user.member_number == "23456789"
    assert calls == [taken_number, taken_number, "23456789"]


def test_the_redraw_keeps_the_callers_transaction(monkeypatch, taken_number):
    from django.db import transaction

    draws(monkeypatch, taken_number, "23456789")
    with transaction.atomic():
        user = User.objects.create_user("alex", "alex@example.org", "a-long-passphrase-1")
        assert User.objects.filter(member_number=taken_number).count() == 1
    assert User.objects.get(pk=user.pk).member_number == "23456789"


def test_no_free_number_is_a_clear_message_and_nothing_saved(client, monkeypatch, taken_number):
    calls = draws(monkeypatch, *[taken_number] * 10)
    response = client.post(reverse("signup"), VALID)
    assert response.status_code == 200
    assert "We could not create your account just now" in response.content.decode()
    assert not User.objects.filter(email="alex.rivera@example.org").exists()
    assert len(calls) == 5
    assert "_auth_user_id" not in client.session


def test_a_number_chosen_by_the_caller_is_not_replaced(taken_number):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        User.objects.create(username="alex", email="alex@example.org", member_number=taken_number)


def test_another_conflict_is_not_mistaken_for_a_taken_number(member):
    from django.db import IntegrityError

    from members.models import MemberNumberUnavailable

    with pytest.raises(IntegrityError) as raised:
        User.objects.create(username="PAT.MEMBER", email="new@example.org")
    assert not isinstance(raised.value, MemberNumberUnavailable)


def test_an_email_taken_meanwhile_gets_the_usual_answer(client, monkeypatch):
    """Another request creates an account with the same email between this sign-up's checks and
    its insert: the unique index refuses the insert, and the answer is the one for an address
    that has an account (its owner is told)."""
    from members import forms

    original = forms.SignUpForm.is_valid
    state = {"done": False}

    def is_valid(self):
        valid = original(self)
        if not state["done"]:
            state["done"] = True
            User.objects.create_user(
                username="someone.else", email="Alex.Rivera@example.org", password="x-long-pass-2"
            )
        return valid

    monkeypatch.setattr(forms.SignUpForm, "is_valid", is_valid)
    response = client.post(reverse("signup"), VALID)
    assert response.status_code == 302
    assert response.url == reverse("signup_sent")
    assert list(User.objects.values_list("username", flat=True)) == ["someone.else"]
    assert "_auth_user_id" not in client.session


def test_a_username_taken_meanwhile_gets_the_next_one(client, monkeypatch):
    """The username was free when it was chosen and taken before the insert: the next try picks
    the next free one."""
    from members import forms

    User.objects.create_user(
        username="alex.rivera", email="other@example.org", password="x-long-pass-2"
    )
    original = forms.unique_username_for
    calls = []

    def stale_choice(email, spread=False):
        calls.append(email)
        return "alex.rivera" if len(calls) == 1 else original(email, spread=spread)

    monkeypatch.setattr(forms, "unique_username_for", stale_choice)
    response = client.post(reverse("signup"), VALID)
    assert response.status_code == 302
    assert User.objects.get(email="alex.rivera@example.org").username == "alex.rivera2"
    assert len(calls) == 2


def test_many_sign_ups_racing_for_one_name_all_get_an_account(client, monkeypatch):
    """Sign-ups with the same local part at the same moment all draw "alex.rivera2": each retry
    after a clash draws a random number, so none is told "could not create your account"."""
    from members import forms

    User.objects.create_user(username="alex.rivera", email="a@example.org", password="x-long-2")
    User.objects.create_user(username="alex.rivera2", email="b@example.org", password="x-long-2")
    original = forms.unique_username_for
    monkeypatch.setattr(
        forms,
        "unique_username_for",
        lambda email, spread=False: "alex.rivera2" if not spread else original(email, spread=True),
    )
    response = client.post(reverse("signup"), VALID)
    assert response.status_code == 302
    name = User.objects.get(email="alex.rivera@example.org").username
    assert name.startswith("alex.rivera") and name not in ("alex.rivera", "alex.rivera2")
