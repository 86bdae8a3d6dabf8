"""Staff's side of CE providers: registering a provider's users, revoking tokens, matching an
unmatched completion by hand, and who may do what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.models import Notification
from providers import tokens
from providers.admin import ProviderUserForm
from providers.models import ApiToken, Completion
from tests.factories import CredentialFactory, StaffFactory, UserFactory
from tests.providers.factories import (
    CompletionFactory,
    CourseFactory,
    ProviderFactory,
    namss_member,
)
from tests.staff_personas import client_for, staff_in

pytestmark = pytest.mark.django_db


def unmatched(course=None):
    return CompletionFactory(
        course=course or CourseFactory(on="namss"),
        member=None,
        member_number="11112222",
        last_name="Typo",
        status=Completion.Status.UNMATCHED,
        unmatched_reason="The member number and last name do not match a member.",
    )


def test_a_reviewer_matches_an_unmatched_completion_to_a_member(client):
    completion = unmatched()
    member = namss_member()
    reviewer = staff_in("Reviewer")
    url = reverse("admin:providers_completion_match", args=[completion.pk])
    page = client_for(client, reviewer).get(url)
    assert page.status_code == 200
    assert "do not match a member" in page.content.decode()
    answer = client.post(url, {"member_number": " 9999 ", "reason": "Phoned"})
    assert "No member has this member number." in answer.content.decode()
    answer = client.post(url, {"member_number": member.member_number, "reason": ""})
    assert answer.status_code == 200  # the reason is required
    answer = client.post(
        url, {"member_number": member.member_number, "reason": "Provider confirmed"}
    )
    assert answer.status_code == 302
    completion.refresh_from_db()
    assert completion.member == member and completion.status == Completion.Status.PENDING
    assert completion.matched_by == reviewer
    assert Notification.objects.filter(member=member, kind="credits_reported").exists()
    again = client.get(url, follow=True)
    assert "matched already" in again.content.decode()


def test_matching_to_a_member_without_the_programs_certification_says_so(client):
    completion = unmatched()
    other = UserFactory()
    CredentialFactory(holder=other)  # another program only
    client_for(client, staff_in("Reviewer"))
    answer = client.post(
        reverse("admin:providers_completion_match", args=[completion.pk]),
        {"member_number": other.member_number, "reason": "Guess"},
    )
    assert "holds no NAMSS certification" in answer.content.decode()
    completion.refresh_from_db()
    assert completion.status == Completion.Status.UNMATCHED


def test_finance_cannot_match_completions(client):
    completion = unmatched()
    client_for(client, staff_in("Finance"))
    url = reverse("admin:providers_completion_match", args=[completion.pk])
    assert client.get(url).status_code == 403


def test_completions_and_courses_are_read_only_for_staff(client):
    completion = unmatched()
    client_for(client, staff_in("Administrator"))
    change = reverse("admin:providers_completion_change", args=[completion.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="last_name"' not in page.content.decode()
    assert client.get(reverse("admin:providers_completion_add")).status_code == 403
    assert client.get(reverse("admin:providers_course_add")).status_code == 403


def test_a_provider_user_is_never_a_staff_or_member_account():
    provider = ProviderFactory()
    for user, message in (
        (StaffFactory(), "staff account"),
        (CredentialFactory().holder, "holds a certification"),
    ):
        form = ProviderUserForm(data={"user": user.pk}, instance=None)
        form.instance.provider = provider
        assert not form.is_valid()
        assert message in str(form.errors["user"])
    assert ProviderUserForm(data={"user": UserFactory().pk}).is_valid()


def test_an_administrator_revokes_tokens(client):
    provider = ProviderFactory()
    token, raw = tokens.token_create(provider=provider, name="LMS")
    assert tokens.token_for(raw) == token
    client_for(client, staff_in("Administrator"))
    answer = client.post(
        reverse("admin:providers_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert answer.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert tokens.token_for(raw) is None
    assert ApiToken.objects.get().digest != raw and raw not in ApiToken.objects.get().prefix * 2


def test_an_administrator_registers_a_provider_with_programs(client):
    client_for(client, staff_in("Administrator"))
    answer = client.post(
        reverse("admin:providers_provider_add"),
        {
            "name": "Quality Learning Co",
            "contact_name": "Sam",
            "contact_email": "sam@quality.example",
            "is_active": "on",
            "change_reason": "New provider agreement",
            "programs-TOTAL_FORMS": "2",
            "programs-INITIAL_FORMS": "0",
            "programs-0-program": "namss",
            "programs-0-approved": "on",
            "programs-1-program": "namss",
            "users-TOTAL_FORMS": "0",
            "users-INITIAL_FORMS": "0",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )
    assert answer.status_code == 200  # the same program twice is refused
    assert "duplicate" in answer.content.decode().lower()
