"""Who may open the provider area, and fetching its objects through the request's provider.

`provider_area` lets in a signed-in account linked to an active provider (`ProviderUser`) and
puts that provider on the request; anyone else (a member, staff without a link, the user of an
inactive provider) gets 404, so nobody outside learns what exists. Every course, completion and
token is then fetched through `request.provider`: another provider's row is a 404 too.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import ApiToken, Course, Provider, ProviderUser


def provider_of(user) -> Provider | None:
    """The active provider `user` works for, or None."""
    link = (
        ProviderUser.objects.select_related("provider")
        .filter(user_id=user.pk, provider__is_active=True)
        .first()
    )
    return link.provider if link is not None else None


def provider_area(view):
    """Signed in (the sign-in page otherwise) and working for an active provider (404 otherwise);
    the view finds the provider as `request.provider`."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        provider = provider_of(request.user)
        if provider is None:
            raise Http404("No such page")
        request.provider = provider
        return view(request, *args, **kwargs)

    return wrapped


def course_of(request, pk: int) -> Course:
    """The request's provider's course `pk`, or 404."""
    return get_object_or_404(Course.objects.filter(provider=request.provider), pk=pk)


def token_of(request, pk: int) -> ApiToken:
    """The request's provider's API token `pk`, or 404."""
    return get_object_or_404(ApiToken.objects.filter(provider=request.provider), pk=pk)
