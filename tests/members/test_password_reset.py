import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_password_reset_by_email_end_to_end(client, member):
    response = client.post(reverse("password_reset"), {"email": "pat@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "pat.member" in body
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    post_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(
        post_url,
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
        follow=True,
    )
    # Back to the home page, signed in, with the new password working.
    assert done.redirect_chain[-1][0] == reverse("home")
    assert "Your password has been reset" in done.content.decode()
    member.refresh_from_db()
    assert member.check_password("a-brand-new-passphrase")


def test_password_reset_does_not_reveal_whether_an_account_exists(client, member):
    known = client.post(reverse("password_reset"), {"email": "pat@example.org"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert len(mail.outbox) == 1


def test_password_reset_is_rate_limited_per_address(client, member, settings):
    for _ in range(settings.ACCOUNT_EMAIL_RATE_LIMIT + 3):
        client.post(reverse("password_reset"), {"email": "pat@example.org"})
    assert len(mail.outbox) == settings.ACCOUNT_EMAIL_RATE_LIMIT


def test_a_used_reset_link_is_refused(client, member):
    client.post(reverse("password_reset"), {"email": "pat@example.org"})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(
        1
    )
    page = client.get(link, follow=True)
    url = page.redirect_chain[-1][0]
    client.post(
        url,
        {"new_password1": "another-long-passphrase", "new_password2": "another-long-passphrase"},
    )
    client.post(reverse("logout"))
    again = client.get(link, follow=True)
    assert "invalid or has already been used" in again.content.decode()


def test_find_my_account_by_email_sends_the_username(client, member):
    response = client.post(reverse("find_account"), {"email": "PAT@example.org"}, follow=True)
    assert "If an account uses that email address" in response.content.decode()
    assert len(mail.outbox) == 1
    assert "pat.member" in mail.outbox[0].body


def test_find_my_account_says_the_same_for_an_unknown_email(client, member):
    response = client.post(reverse("find_account"), {"email": "ghost@example.org"}, follow=True)
    assert "If an account uses that email address" in response.content.decode()
    assert mail.outbox == []
