"""Linking an account to a certification record nobody has signed in to (members/claim.py).

A person types the record's member number, certification date and last name, and an email. A
match with the email on file gets a signed, expiring, single-use link to choose a username and
password; a match with another email (or none on file) becomes a claim request staff decide. The
page answers the same whatever matched, and the route is rate-limited per address and per number.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail, signing
from django.urls import reverse

from backoffice.permissions import ensure_staff_groups
from core.models import AuditLog
from members import claim, verification
from members.models import ClaimRequest, Credential, User
from tests.factories import CredentialFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NUMBER = "40010001"
CERTIFIED = dt.date(2012, 5, 1)
EMAIL = "dana.munoz@example.org"
DETAILS = {
    "member_number": NUMBER,
    "certified_since": "2012-05-01",
    "last_name": "Muñoz",
    "email": EMAIL,
}
NEW_PASSWORD = "a-long-passphrase-1"


def migrated(**fields) -> User:
    """A certificant's record made by staff or an import: no usable password, never signed in."""
    values = {
        "username": f"record-{fields.get('member_number', NUMBER)}",
        "member_number": NUMBER,
        "first_name": "Dana",
        "last_name": "Muñoz",
        "email": EMAIL,
        **fields,
    }
    user = UserFactory(**values)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def record(db) -> User:
    user = migrated()
    CredentialFactory(holder=user, certified_since=CERTIFIED, status=Credential.Status.RENEW)
    return user


def ask(client, address: str = "127.0.0.1", **changes):
    return client.post(reverse("claim"), {**DETAILS, **changes}, REMOTE_ADDR=address)


def link_in(message) -> str:
    """The path of the set-up link in an email."""
    url = re.search(r"https?://\S+/accounts/claim/link/\S+/", message.body).group(0)
    return "/" + url.split("//", 1)[1].split("/", 1)[1]


def answer(response) -> str:
    """The page's main part, without the CSRF token, to compare two answers."""
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", main)


# --- the way in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["signup", "login"])
def test_the_sign_up_and_sign_in_pages_offer_the_route(client, name):
    page = client.get(reverse(name)).content.decode()
    assert "Already certified?" in page
    assert f'href="{reverse("claim")}">Link your certification</a>' in page


def test_the_form_asks_for_the_four_details(client):
    page = client.get(reverse("claim")).content.decode()
    for label in ("Member number", "Certification date", "Last name", "Email"):
        assert re.search(rf"<label[^>]*>\s*{label}<", page), label


def test_each_missing_or_malformed_detail_is_named_beside_its_field(client, record):
    response = client.post(reverse("claim"), {})
    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 4

    response = ask(
        client, member_number="4001 0001; drop", certified_since="2012-13-45", email="dana@"
    )
    page = response.content.decode()
    assert "Enter the member number as it is printed" in page
    assert "Enter a valid date." in page
    assert "Enter a valid email address." in page
    assert not mail.outbox and not ClaimRequest.objects.exists()


def test_a_date_in_the_future_is_refused(client, record):
    page = ask(client, certified_since="2999-01-01").content.decode()
    assert "A certification date cannot be in the future." in page


def test_a_signed_in_person_goes_home(member_client):
    assert member_client.get(reverse("claim")).url == reverse("home")


# --- a match ------------------------------------------------------------------------------------


def test_a_match_emails_a_single_link_to_the_address_on_file(client, record):
    response = ask(client)
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL]
    assert NUMBER in message.body and "3 days" in message.body
    assert link_in(message).startswith("/accounts/claim/link/")
    assert not ClaimRequest.objects.exists()


@pytest.mark.parametrize(
    "typed",
    ["Muñoz", "MUÑOZ", "munoz", "MUNOZ", "  Mu ñoz ", "Mun\u0303oz", "Ｍｕñｏｚ"],
    ids=["as-kept", "capitals", "no-accent", "capitals-no-accent", "spaces", "decomposed",
         "full-width"],
)  # fmt: skip
def test_the_last_name_compares_without_case_accents_or_spaces(client, record, typed):
    ask(client, last_name=typed)
    assert len(mail.outbox) == 1


def test_the_email_compares_without_case(client, record):
    ask(client, email="Dana.Munoz@Example.ORG")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]


def test_a_terminated_credential_can_still_be_claimed(client, record):
    record.credentials.update(status=Credential.Status.TERMINATED)
    ask(client)
    assert len(mail.outbox) == 1


def test_any_of_the_records_credentials_dates_matches(client, record):
    CredentialFactory(
        holder=record, designation="IPMA-CP", certified_since=dt.date(2008, 3, 4),
        status=Credential.Status.INACTIVE,
    )  # fmt: skip
    ask(client, certified_since="2008-03-04")
    assert len(mail.outbox) == 1


# --- no match: the same answer, nothing sent ----------------------------------------------------


def signed_in_before(user):
    user.last_login = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    user.save(update_fields=["last_login"])


def with_password(user):
    user.set_password("someone-chose-this-1")
    user.save(update_fields=["password"])


def empty_password(user):
    user.password = ""
    user.save(update_fields=["password"])


def inactive(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def made_staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])


def renamed(last_name: str):
    """The record's last name is kept as `last_name`."""

    def rename(user):
        user.last_name = last_name
        user.save(update_fields=["last_name"])

    return rename


MISMATCHES = {
    "other-number": ({"member_number": "40010002"}, None),
    "other-date": ({"certified_since": "2012-05-02"}, None),
    "other-name": ({"last_name": "Munro"}, None),
    "name-prefix": ({"last_name": "Muño"}, None),
    "dotless-i-typed": ({"last_name": "Yılmaz"}, renamed("Yilmaz")),
    "dotless-i-kept": ({"last_name": "Yilmaz"}, renamed("Yılmaz")),
    "cyrillic-o": ({"last_name": "Muñ\u043ez"}, None),
    "greek-omicron": ({"last_name": "Muñ\u03bfz"}, None),
    "signed-in-before": ({}, signed_in_before),
    "has-a-password": ({}, with_password),
    "inactive-account": ({}, inactive),
    "staff-account": ({}, made_staff),
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_a_mismatch_gets_the_same_answer_and_nothing_happens(client, record, case):
    changes, prepare = MISMATCHES[case]
    matched = answer(ask(client, address="10.0.0.1"))
    mail.outbox.clear()
    if prepare:
        prepare(record)
    response = ask(client, address="10.0.0.2", **changes)
    assert response.status_code == 200
    assert answer(response) == matched
    assert not mail.outbox
    assert not ClaimRequest.objects.exists()


def test_a_record_with_an_empty_password_field_is_claimable(client, record):
    """Rows imported with no password at all cannot sign in either."""
    empty_password(record)
    ask(client)
    assert len(mail.outbox) == 1


def test_a_person_who_signed_up_meanwhile_is_not_matched(client, record):
    """An account made through sign-up has a password: never claimable, whatever is typed."""
    other = UserFactory(last_name="Muñoz", email="someone@example.org")
    CredentialFactory(holder=other, certified_since=CERTIFIED)
    ask(client, member_number=other.member_number, email="someone@example.org")
    assert not mail.outbox


# --- claim requests -----------------------------------------------------------------------------


def test_a_different_email_becomes_a_claim_request_and_the_same_answer(client, record):
    matched = answer(ask(client, address="10.0.0.1"))
    mail.outbox.clear()
    response = ask(client, address="10.0.0.2", email="dana.new@example.org", last_name="MUNOZ")
    assert answer(response).replace("dana.new@example.org", EMAIL) == matched
    assert not mail.outbox  # the address on file is not written to for someone else's address
    request = ClaimRequest.objects.get()
    assert request.member == record
    assert request.email == "dana.new@example.org"
    assert request.last_name == "MUNOZ"
    assert request.status == ClaimRequest.Status.OPEN


def test_no_email_on_file_becomes_a_claim_request(client, db):
    user = migrated(email="")
    CredentialFactory(holder=user, certified_since=CERTIFIED)
    ask(client)
    assert not mail.outbox
    assert ClaimRequest.objects.get().email == EMAIL


def test_asking_again_keeps_one_open_request(client, record):
    ask(client, email="dana.new@example.org")
    ask(client, email="DANA.NEW@example.org")
    assert ClaimRequest.objects.count() == 1


# --- rate limits --------------------------------------------------------------------------------


def test_too_many_attempts_from_one_address_are_paused(client, record):
    at = dt.datetime(2026, 3, 10, 14, 20, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        for n in range(claim.ATTEMPTS_PER_ADDRESS):
            assert ask(client, member_number=str(50000000 + n)).status_code == 200
        response = ask(client)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page and "try again in 40 minutes" in page
    assert not mail.outbox  # the right details, but paused: nothing sent


def test_too_many_attempts_on_one_member_number_are_paused_from_any_address(client, record):
    for n in range(claim.ATTEMPTS_PER_NUMBER):
        ask(client, address=f"10.0.1.{n}", last_name=f"Guess{n}")
    response = ask(client, address="10.0.2.1")
    assert response.status_code == 429
    assert not mail.outbox
    assert ask(client, address="10.0.2.2", member_number="40010009").status_code == 200


def test_the_pause_ends_with_its_window(client, record):
    at = dt.datetime(2026, 3, 10, 14, 59, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        for n in range(claim.ATTEMPTS_PER_NUMBER):
            ask(client, address=f"10.0.1.{n}", last_name=f"Guess{n}")
        assert ask(client).status_code == 429
    with time_machine.travel(at + dt.timedelta(minutes=2), tick=False):
        assert ask(client).status_code == 200
    assert len(mail.outbox) == 1


# --- the link -----------------------------------------------------------------------------------


def follow_link(client, record) -> str:
    ask(client)
    link = link_in(mail.outbox[-1])
    response = client.get(link)
    assert response.status_code == 302 and response.url == reverse("claim_account")
    return link


def choose(client, username="dana", password=NEW_PASSWORD, confirm=None):
    return client.post(
        reverse("claim_account"),
        {"username": username, "password1": password, "password2": confirm or password},
    )


def test_the_link_leads_to_choosing_a_username_and_password_then_home(client, record):
    follow_link(client, record)
    page = client.get(reverse("claim_account")).content.decode()
    assert "Choose your username and password" in page and NUMBER in page
    assert 'value="dana.munoz"' in page  # suggested from the email, as sign-up does

    response = choose(client)
    assert response.status_code == 302 and response.url == reverse("home")
    record.refresh_from_db()
    assert record.username == "dana"
    assert record.check_password(NEW_PASSWORD)
    assert record.last_login is not None
    assert int(client.session["_auth_user_id"]) == record.pk
    assert AuditLog.objects.filter(object_id=str(record.pk), action="account claimed").exists()
    assert "Welcome, Dana" in client.get(reverse("home"), follow=True).content.decode()


def test_the_email_on_file_counts_as_verified(client, record):
    flags = [f.name for f in User._meta.get_fields() if f.name.startswith("email_verified")]
    follow_link(client, record)
    choose(client)
    record.refresh_from_db()
    for name in flags:
        assert getattr(record, name), name


def test_the_link_works_once(client, record):
    link = follow_link(client, record)
    choose(client)
    client.logout()
    page = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in page
    assert client.post(reverse("claim_account"), {}).status_code == 200
    record.refresh_from_db()
    assert record.username == "dana"


def test_the_link_expires(client, record):
    at = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        ask(client)
    link = link_in(mail.outbox[0])
    with time_machine.travel(at + claim.LINK_MAX_AGE + dt.timedelta(seconds=1), tick=False):
        page = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in page
    assert not record.__class__.objects.get(pk=record.pk).has_usable_password()


def test_a_link_opened_before_it_expired_cannot_be_used_after(client, record):
    at = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        follow_link(client, record)
    with time_machine.travel(at + claim.LINK_MAX_AGE + dt.timedelta(seconds=1), tick=False):
        assert "This link no longer works" in choose(client).content.decode()
    record.refresh_from_db()
    assert not record.has_usable_password()


@pytest.mark.parametrize("change", [signed_in_before, with_password, inactive])
def test_the_link_stops_working_once_the_account_changed(client, record, change):
    link = follow_link(client, record)
    change(record)
    assert "This link no longer works" in choose(client).content.decode()
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_a_new_email_on_file_ends_links_sent_to_the_old_one(client, record):
    link = follow_link(client, record)
    record.email = "other@example.org"
    record.save(update_fields=["email"])
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_a_link_opened_while_signed_in_leaves_both_accounts_as_they_are(
    member_client, member, record
):
    ask(type(member_client)())
    response = member_client.get(link_in(mail.outbox[0]), follow=True)
    assert "sign out and open the link again" in response.content.decode()
    assert int(member_client.session["_auth_user_id"]) == member.pk
    assert "_claim_token" not in member_client.session
    member_client.logout()
    assert member_client.get(link_in(mail.outbox[0])).url == reverse("claim_account")


def test_a_tampered_link_does_not_work(client, record):
    ask(client)
    link = link_in(mail.outbox[0])
    other = migrated(member_number="40010002", username="other", email="o@example.org")
    forged = reverse(
        "claim_link",
        args=[signing.dumps({"u": other.pk, "f": "x"}, key="not-the-key", salt=claim.SALT)],
    )
    for bad in (forged, link[:-3] + "xx/", "/accounts/claim/link/abc/"):
        assert "This link no longer works" in client.get(bad, follow=True).content.decode()
    assert client.get(reverse("claim_account")).status_code == 200
    assert "This link no longer works" in client.get(reverse("claim_account")).content.decode()


def test_a_link_made_for_another_purpose_does_not_work(client, record):
    token = signing.dumps({"u": record.pk, "f": "x"})  # no salt: not a claim link
    page = client.get(reverse("claim_link", args=[token]), follow=True).content.decode()
    assert "This link no longer works" in page


def test_an_email_verification_link_is_not_a_set_up_link(client, record):
    """Both links come from one signed-token helper (members.verification), each under its salt."""
    token = verification.verify_token(record)
    page = client.get(reverse("claim_link", args=[token]), follow=True).content.decode()
    assert "This link no longer works" in page
    assert claim.user_for_token(claim.make_token(record)) == record
    with pytest.raises(verification.LinkInvalid):
        verification.email_verify(user=record, token=claim.make_token(record))


@pytest.mark.parametrize(
    "username, password, confirm, error",
    [
        ("dana@example.org", NEW_PASSWORD, None, "A username cannot contain @"),
        ("pat.member", NEW_PASSWORD, None, "This username is taken"),
        ("PAT.MEMBER", NEW_PASSWORD, None, "This username is taken"),
        ("dana", "12345678", None, "This password is too common."),
        ("dana", NEW_PASSWORD, "something-else-99", "The two passwords do not match."),
        ("dana munoz!", NEW_PASSWORD, None, "Use letters a–z, digits and . + - _ only"),
    ],
)
def test_the_username_and_password_are_checked(client, record, member, username, password,
                                               confirm, error):  # fmt: skip
    follow_link(client, record)
    response = choose(client, username, password, confirm)
    assert response.status_code == 200
    assert error in response.content.decode()
    record.refresh_from_db()
    assert not record.has_usable_password() and record.last_login is None


def test_a_link_opened_twice_claims_once(client, record):
    """Opened on two devices, or twice at once: the second finds the account claimed."""
    follow_link(client, record)
    other_device = type(client)()
    assert other_device.get(link_in(mail.outbox[-1])).url == reverse("claim_account")
    assert choose(client).status_code == 302
    assert "This link no longer works" in choose(other_device, "dana2").content.decode()
    record.refresh_from_db()
    assert record.username == "dana"


# --- staff decide claim requests ----------------------------------------------------------------


@pytest.fixture
def open_request(client, record) -> ClaimRequest:
    ask(client, email="dana.new@example.org")
    return ClaimRequest.objects.get()


@pytest.fixture
def decider(db):
    user = StaffFactory(username="ada.admin")
    user.user_permissions.add(
        Permission.objects.get(codename="change_user", content_type__app_label="members")
    )
    return user


def decide(client, request, decision, note=""):
    url = reverse("admin:members_claimrequest_change", args=[request.pk])
    return client.post(url, {"decision": decision, "note": note})


def test_staff_see_open_requests_with_filters(client, decider, open_request):
    client.force_login(decider)
    url = reverse("admin:members_claimrequest_changelist")
    page = client.get(url, {"status__exact": "open"}).content.decode()
    assert "dana.new@example.org" in page and NUMBER in page
    assert "By status" in page


def test_approving_sets_the_email_and_sends_the_link_there(
    client, decider, open_request, record, django_capture_on_commit_callbacks
):
    client.force_login(decider)
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, open_request, "approve", "Called the member to confirm.")
    assert response.status_code == 302
    open_request.refresh_from_db()
    record.refresh_from_db()
    assert open_request.status == ClaimRequest.Status.APPROVED
    assert open_request.decided_by == decider and open_request.decided_at is not None
    assert record.email == "dana.new@example.org"
    assert [m.to for m in mail.outbox] == [["dana.new@example.org"]]
    log = AuditLog.objects.get(object_type="members.claimrequest", action="claim request approved")
    assert log.actor == decider and log.member == record
    assert log.before["email"] == EMAIL and log.after["email"] == "dana.new@example.org"

    client.logout()
    assert client.get(link_in(mail.outbox[0])).url == reverse("claim_account")
    assert choose(client).status_code == 302


def test_refusing_needs_a_note_and_writes_to_the_typed_address(
    client, decider, open_request, record, django_capture_on_commit_callbacks
):
    client.force_login(decider)
    response = decide(client, open_request, "refuse")
    assert response.status_code == 200 and "Say why the request is refused." in (
        response.content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, open_request, "refuse", "Name and date do not match our paper file.")
    open_request.refresh_from_db()
    record.refresh_from_db()
    assert open_request.status == ClaimRequest.Status.REFUSED
    assert open_request.note == "Name and date do not match our paper file."
    assert record.email == EMAIL
    assert [m.to for m in mail.outbox] == [["dana.new@example.org"]]
    assert "paper file" not in mail.outbox[0].body  # the note is for staff
    assert "claim/link" not in mail.outbox[0].body
    assert AuditLog.objects.filter(
        object_type="members.claimrequest", action="claim request refused", actor=decider
    ).exists()


def test_staff_without_the_change_user_permission_only_see_requests(client, open_request):
    groups = ensure_staff_groups()
    reviewer = StaffFactory(username="rita")
    reviewer.groups.add(groups["Reviewer"])
    client.force_login(reviewer)
    url = reverse("admin:members_claimrequest_change", args=[open_request.pk])
    assert client.get(url).status_code == 200
    assert 'name="decision"' not in client.get(url).content.decode()
    assert decide(client, open_request, "approve").status_code == 403
    open_request.refresh_from_db()
    assert open_request.status == ClaimRequest.Status.OPEN


def test_a_decided_request_cannot_be_decided_again(client, decider, open_request):
    client.force_login(decider)
    decide(client, open_request, "refuse", "No.")
    assert decide(client, open_request, "approve").status_code == 403
    open_request.refresh_from_db()
    assert open_request.status == ClaimRequest.Status.REFUSED


def test_approval_is_refused_when_the_email_belongs_to_another_account(
    client, decider, open_request, record
):
    UserFactory(email="DANA.NEW@example.org")
    client.force_login(decider)
    response = decide(client, open_request, "approve")
    assert response.status_code == 200
    assert "Another account already uses this email address" in response.content.decode()
    open_request.refresh_from_db()
    assert open_request.status == ClaimRequest.Status.OPEN and not mail.outbox


def test_approval_is_refused_once_the_record_was_claimed(client, decider, open_request, record):
    signed_in_before(record)
    client.force_login(decider)
    response = decide(client, open_request, "approve")
    assert "The account has been signed in to or has a password" in response.content.decode()
    open_request.refresh_from_db()
    assert open_request.status == ClaimRequest.Status.OPEN


def test_approving_one_request_closes_the_others_for_the_record(
    client, decider, record, django_capture_on_commit_callbacks
):
    ask(client, email="dana.new@example.org")
    ask(client, email="someone.else@example.org")
    first, second = ClaimRequest.objects.order_by("id")
    client.force_login(decider)
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, first, "approve")
    second.refresh_from_db()
    assert second.status == ClaimRequest.Status.REFUSED
    assert "Another request for this record was approved" in second.note


# --- staff create records without a password ----------------------------------------------------


def test_staff_can_add_a_record_without_a_password(client, staff, django_capture_on_commit_callbacks):  # fmt: skip
    client.force_login(staff)
    response = client.post(
        "/admin/members/user/add/",
        {
            "username": "paper.certificant",
            "email": "paper@example.org",
            "first_name": "Lee",
            "last_name": "Paper",
            "usable_password": "false",
            "change_reason": "Certified on paper in 2011.",
            "credentials-TOTAL_FORMS": "0",
            "credentials-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="paper.certificant")
    assert not user.has_usable_password()
    CredentialFactory(holder=user, certified_since=CERTIFIED)
    client.logout()
    ask(client, member_number=user.member_number, last_name="Paper", email="paper@example.org")
    assert len(mail.outbox) == 1


def test_the_add_page_offers_password_based_authentication_disabled(client, staff):
    client.force_login(staff)
    page = client.get("/admin/members/user/add/").content.decode()
    assert 'name="usable_password"' in page
