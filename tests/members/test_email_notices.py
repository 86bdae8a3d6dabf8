"""Email verification and email change: links that are signed, expiring, single-use and bound to
the account; notices to the old address; notices held until an address is verified."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog
from members import emails, verification
from members.models import Notification, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "first_name": "Alex",
    "last_name": "Rivera",
    "email": "alex.rivera@example.org",
    "confirm_email": "alex.rivera@example.org",
    "password1": "a-long-passphrase-1",
    "password2": "a-long-passphrase-1",
    "organization": "County of Example",
}


def link_in(message, name: str) -> str:
    """The path of the link of `name` ("verify", "confirm") in an email's text."""
    found = re.search(rf"http://testserver(/profile/email/{name}/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def profile_data(member, **changes):
    data = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "street": member.street,
        "city": member.city,
        "state": member.state,
        "postal_code": member.postal_code,
        "country": member.country,
        "phone": "",
        "email": member.email,
        "organization": member.organization,
        "current_password": "",
    }
    return data | changes


def reminder(member, key="reminder:1"):
    return emails.queue(
        key=key, kind="cycle_reminder", member=member, context={},
        message=("Your recertification is due", "Please submit your report.", ""),
    )  # fmt: skip


@pytest.fixture
def signed_up(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), SIGN_UP)
    assert response.status_code == 302
    user = User.objects.get(email="alex.rivera@example.org")
    # Sign-up does not sign in (the answer is the same for an address with an account); the
    # member signs in to open the link.
    client.force_login(user)
    return user


@pytest.fixture
def requested(member_client, member, django_capture_on_commit_callbacks):
    """Pat asked to change pat@example.org to new@example.org."""
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("members:profile"),
            profile_data(member, email="new@example.org", current_password=PASSWORD),
        )
    assert response.status_code == 302
    member.refresh_from_db()
    return member


# --- verification of a new account -----------------------------------------------------------


def test_sign_up_leaves_the_address_unverified_and_sends_a_link(signed_up):
    assert signed_up.email_verified_at is None
    [message] = mail.outbox
    assert message.to == ["alex.rivera@example.org"]
    assert "Confirm your email address" in message.subject
    assert link_in(message, "verify")
    assert Notification.objects.get().kind == "email_verify"


def test_accounts_made_by_staff_import_or_demo_count_as_verified():
    assert UserFactory().email_verified_at is not None
    assert User.objects.create_user("made.by.staff", "staff-made@example.org").email_verified_at


def test_the_data_migration_marks_existing_accounts_verified(member):
    User.objects.filter(pk=member.pk).update(email_verified_at=None)
    migration = importlib.import_module("members.migrations.0006_email_verification")
    migration.mark_existing_accounts_verified(django_apps, None)
    member.refresh_from_db()
    assert member.email_verified_at == member.date_joined


def test_the_banner_shows_until_the_address_is_verified(client, signed_up):
    for path in (reverse("home"), reverse("members:profile"), reverse("members:membership")):
        page = client.get(path).content.decode()
        assert "Confirm your email address" in page, path
        assert reverse("members:email_verify_resend") in page

    path = link_in(mail.outbox[0], "verify")
    assert "alex.rivera@example.org" in client.get(path).content.decode()  # the confirm page
    response = client.post(path)
    assert response.status_code == 302
    signed_up.refresh_from_db()
    assert signed_up.email_verified_at is not None
    assert "Confirm your email address" not in client.get(reverse("home")).content.decode()
    assert AuditLog.objects.filter(action="email verified", member=signed_up).exists()


def test_notices_are_held_until_the_address_is_verified_then_sent(
    client, signed_up, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        held = reminder(signed_up)
    assert held.status == Notification.Status.HELD
    assert mail.outbox == []
    assert emails.retry_unsent() == 0  # held rows are not retried either

    token = verification.verify_token(signed_up)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("members:email_verify", args=[token]))
    held.refresh_from_db()
    assert held.status == Notification.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Your recertification is due"]


def test_account_emails_are_never_held(client, signed_up, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": "alex.rivera@example.org"})
    client.post(reverse("find_account"), {"email": "alex.rivera@example.org"})
    assert len(mail.outbox) == 2
    assert not Notification.objects.filter(status=Notification.Status.HELD).exists()


def test_resending_the_link_is_rate_limited(
    client, signed_up, settings, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_EMAIL_RATE_LIMIT = 2
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            client.post(reverse("members:email_verify_resend"), {"next": "/"}, follow=True)
    assert len(mail.outbox) == 2
    response = client.post(reverse("members:email_verify_resend"), {"next": "/"}, follow=True)
    assert "We sent the link a few times already" in response.content.decode()


def test_resend_goes_back_to_the_page_only_on_this_site(client, signed_up):
    response = client.post(
        reverse("members:email_verify_resend"), {"next": "https://evil.example.com/"}
    )
    assert response.url == reverse("home")
    response = client.post(reverse("members:email_verify_resend"), {"next": "/profile/"})
    assert response.url == "/profile/"


def test_a_verification_link_for_another_account_or_address_is_refused(
    client, signed_up, second_member
):
    other = verification.verify_token(second_member)
    response = client.post(reverse("members:email_verify", args=[other]), follow=True)
    assert "This link is for another account" in response.content.decode()
    tampered = verification.verify_token(signed_up)[:-2] + "xx"
    response = client.post(reverse("members:email_verify", args=[tampered]), follow=True)
    assert "This link is not valid" in response.content.decode()
    signed_up.refresh_from_db()
    assert signed_up.email_verified_at is None


def test_a_verification_link_expires(client, signed_up):
    token = verification.verify_token(signed_up)
    with time_machine.travel(timezone.now() + verification.LINK_MAX_AGE + dt.timedelta(minutes=1)):
        response = client.post(reverse("members:email_verify", args=[token]), follow=True)
    assert "This link has expired" in response.content.decode()
    signed_up.refresh_from_db()
    assert signed_up.email_verified_at is None


def test_the_verification_link_needs_the_account_signed_in(client, signed_up):
    token = verification.verify_token(signed_up)
    client.logout()
    response = client.get(reverse("members:email_verify", args=[token]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- changing the email address --------------------------------------------------------------


def test_a_new_email_waits_for_confirmation(requested):
    assert requested.email == "pat@example.org"
    assert requested.pending_email == "new@example.org"
    confirm, notice = sorted(mail.outbox, key=lambda m: m.to != ["new@example.org"])
    assert confirm.to == ["new@example.org"]
    assert link_in(confirm, "confirm")
    assert notice.to == ["pat@example.org"]
    assert "new@example.org" in notice.body
    assert "certification@example.org" in notice.body  # whom to contact if it was not them
    assert (
        "/profile/email/" not in notice.body + notice.alternatives[0][0]
    )  # no link that completes it
    assert AuditLog.objects.filter(action="email change requested", member=requested).exists()


def test_the_profile_shows_the_pending_address_with_resend_and_cancel(member_client, requested):
    page = member_client.get(reverse("members:profile")).content.decode()
    assert "Pending confirmation" in page and "new@example.org" in page
    assert reverse("members:email_change_resend") in page
    assert reverse("members:email_change_cancel") in page


def test_confirming_applies_audits_and_tells_the_old_address(
    member_client, requested, django_capture_on_commit_callbacks
):
    path = link_in(next(m for m in mail.outbox if m.to == ["new@example.org"]), "confirm")
    mail.outbox.clear()
    page = member_client.get(path).content.decode()
    assert "new@example.org" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(path)
    assert response.status_code == 302
    requested.refresh_from_db()
    assert (requested.email, requested.pending_email) == ("new@example.org", "")
    assert requested.email_verified_at is not None
    log = AuditLog.objects.get(action="email changed", member=requested)
    assert log.before == {"email": "pat@example.org"} and log.after == {"email": "new@example.org"}
    [notice] = mail.outbox
    assert notice.to == ["pat@example.org"]
    assert "new@example.org" in notice.body and "changed" in notice.subject.lower()
    assert "new@example.org" in member_client.get(reverse("members:profile")).content.decode()


def test_a_confirmation_link_works_once(member_client, requested):
    path = link_in(next(m for m in mail.outbox if m.to == ["new@example.org"]), "confirm")
    member_client.post(path)
    response = member_client.post(path, follow=True)
    assert "has been used already" in response.content.decode()


def test_a_newer_request_or_a_cancel_stops_the_old_link(
    member_client, member, requested, django_capture_on_commit_callbacks
):
    first = link_in(next(m for m in mail.outbox if m.to == ["new@example.org"]), "confirm")
    member_client.post(reverse("members:email_change_cancel"))
    requested.refresh_from_db()
    assert requested.pending_email == ""
    response = member_client.post(first, follow=True)
    assert "has been used already" in response.content.decode()
    requested.refresh_from_db()
    assert requested.email == "pat@example.org"


def test_resend_sends_the_link_again_and_is_rate_limited(
    member_client, requested, settings, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_EMAIL_RATE_LIMIT = 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(reverse("members:email_change_resend"))
        member_client.post(reverse("members:email_change_resend"))
    assert [m.to for m in mail.outbox] == [["new@example.org"]]


def test_a_confirmation_link_expires(member_client, requested):
    path = link_in(next(m for m in mail.outbox if m.to == ["new@example.org"]), "confirm")
    later = timezone.now() + verification.LINK_MAX_AGE + dt.timedelta(minutes=1)
    with time_machine.travel(later):
        response = member_client.post(path, follow=True)
    assert "This link has expired" in response.content.decode()
    requested.refresh_from_db()
    assert requested.email == "pat@example.org"


def test_a_confirmation_link_of_another_account_is_refused(client, requested, second_member):
    path = link_in(next(m for m in mail.outbox if m.to == ["new@example.org"]), "confirm")
    client.force_login(second_member)
    response = client.post(path, follow=True)
    assert "This link is for another account" in response.content.decode()
    second_member.refresh_from_db()
    requested.refresh_from_db()
    assert second_member.email == "sam@example.org"
    assert requested.email == "pat@example.org"


def test_an_address_taken_meanwhile_is_not_applied(member_client, requested):
    path = link_in(next(m for m in mail.outbox if m.to == ["new@example.org"]), "confirm")
    UserFactory(username="quick", email="NEW@example.org")
    response = member_client.post(path, follow=True)
    assert "now used by another account" in response.content.decode()
    requested.refresh_from_db()
    assert requested.email == "pat@example.org"
    assert requested.pending_email == ""


def test_an_unverified_member_fixes_a_mistyped_address_through_the_link(
    client, signed_up, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        held = reminder(signed_up)
        client.post(
            reverse("members:profile"),
            profile_data(
                signed_up, email="alex@example.org", current_password=SIGN_UP["password1"]
            ),
        )
    path = link_in(next(m for m in mail.outbox if m.to == ["alex@example.org"]), "confirm")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)
    signed_up.refresh_from_db()
    held.refresh_from_db()
    assert signed_up.email == "alex@example.org" and signed_up.email_verified_at
    assert held.status == Notification.Status.SENT and held.to_email == "alex@example.org"


# --- the outbox --------------------------------------------------------------------------------


def test_nothing_is_sent_when_the_transaction_rolls_back(
    member, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        verification.email_change_request(user=member, new_email="gone@example.org")
        raise RuntimeError("the change failed")
    assert mail.outbox == []
    assert not Notification.objects.exists()
    member.refresh_from_db()
    assert member.pending_email == ""


def test_the_sent_email_log_shows_and_filters_held_emails(client, staff, signed_up):
    held = reminder(signed_up)
    client.force_login(staff)
    url = reverse("admin:members_notification_changelist")
    page = client.get(url, {"status__exact": "held"}).content.decode()
    assert "Held: waiting for a verified address" in page
    assert held.subject in page
    assert held.subject not in client.get(url, {"status__exact": "sent"}).content.decode()
