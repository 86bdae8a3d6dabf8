import pytest
from django.urls import reverse

from tests.factories import CommitteeRecordFactory, CredentialFactory, MembershipRecordFactory

pytestmark = pytest.mark.django_db


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
    data.update(changes)
    return data


def test_it_saves_name_address_and_phone(member_client, member):
    data = profile_data(
        member, first_name="Patricia", street="22 Oak Ave", phone="+1 (555) 010-2000"
    )
    response = member_client.post(reverse("members:profile"), data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.street, member.phone) == (
        "Patricia",
        "22 Oak Ave",
        "+1 (555) 010-2000",
    )


def test_changing_the_email_asks_for_the_password(member_client, member):
    response = member_client.post(
        reverse("members:profile"), profile_data(member, email="new@example.org")
    )
    assert "Enter your current password to change your email address." in response.content.decode()
    member.refresh_from_db()
    assert member.email == "pat@example.org"


def test_changing_the_email_with_the_password_waits_for_the_link(member_client, member, password):
    data = profile_data(member, email="new@example.org", current_password=password)
    assert member_client.post(reverse("members:profile"), data).status_code == 302
    member.refresh_from_db()
    # Applied when the link sent to the new address is opened (tests/members/test_email_notices.py).
    assert (member.email, member.pending_email) == ("pat@example.org", "new@example.org")


def test_the_email_cannot_be_taken_from_another_member(
    member_client, member, second_member, password
):
    data = profile_data(member, email="SAM@example.org", current_password=password)
    response = member_client.post(reverse("members:profile"), data)
    assert "Another account already uses this email address." in response.content.decode()


def test_a_bad_phone_number_is_refused_with_a_message(member_client, member):
    response = member_client.post(
        reverse("members:profile"), profile_data(member, phone="call me <maybe>")
    )
    assert "Enter a phone number" in response.content.decode()


def test_change_username(member_client, member, second_member):
    taken = member_client.post(reverse("members:change_username"), {"username": "SAM.other"})
    assert "This username is taken" in taken.content.decode()
    ok = member_client.post(reverse("members:change_username"), {"username": "pat.new"})
    assert ok.status_code == 302
    member.refresh_from_db()
    assert member.username == "pat.new"


def test_change_password(member_client, member, password):
    data = {
        "old_password": password,
        "new_password1": "fresh-passphrase-42",
        "new_password2": "fresh-passphrase-42",
    }
    assert member_client.post(reverse("members:change_password"), data).status_code == 302
    member.refresh_from_db()
    assert member.check_password("fresh-passphrase-42")


def test_activities_list_credentials_and_committees(member_client, member):
    CredentialFactory(holder=member, designation="IPMA-CP")
    CommitteeRecordFactory(member=member, committee="Awards Committee", role="chair", year=2025)
    page = member_client.get(reverse("members:activities")).content.decode()
    assert "IPMA-CP" in page
    assert "Awards Committee" in page
    assert "Chair" in page
    assert "Renew" in page


def test_membership_lists_the_members_records(member_client, member):
    MembershipRecordFactory(
        member=member, kind="chapter", organization="Capital Chapter", year=2025
    )
    page = member_client.get(reverse("members:membership")).content.decode()
    assert "Capital Chapter" in page


def test_one_member_never_sees_another_members_records(member_client, second_member):
    CredentialFactory(holder=second_member, designation="IPMA-CS")
    CommitteeRecordFactory(member=second_member, committee="Secret Committee")
    MembershipRecordFactory(member=second_member, kind="chapter", organization="Other Chapter")
    for name in ("members:activities", "members:membership", "members:profile"):
        page = member_client.get(reverse(name)).content.decode()
        assert "IPMA-CS" not in page
        assert "Secret Committee" not in page
        assert "Other Chapter" not in page
        assert "sam@example.org" not in page


MEMBER_PAGES = [
    "members:profile",
    "members:change_username",
    "members:change_password",
    "members:membership",
    "members:activities",
    "recertification:portal",
    "recertification:summary",
    "payments:transactions",
]


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
