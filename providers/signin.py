"""Where a provider's user lands: a sign-in of an account that works for a provider marks the
session, so Home sends it to the provider area without a query on every member's Home."""

from __future__ import annotations

from .models import ProviderUser

SESSION_KEY = "provider_area"


def mark_provider_session(sender, request, user, **kwargs) -> None:
    """`user_logged_in`: remember in the session that this account works for a provider."""
    if request is None or not hasattr(request, "session"):
        return
    if ProviderUser.objects.filter(user=user, provider__is_active=True).exists():
        request.session[SESSION_KEY] = True
    else:
        request.session.pop(SESSION_KEY, None)


def in_provider_area(request) -> bool:
    return bool(getattr(request, "session", {}).get(SESSION_KEY))
