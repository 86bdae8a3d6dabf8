"""Home: the member's certifications and where they stand (deadlines and the next step)."""

from django.shortcuts import redirect, render

from core.page_cache import member_page
from providers.signin import in_provider_area
from recertification import selectors

from .standing_summary import where_you_stand


def home(request):
    """Home; a provider's user (marked at sign-in) goes to the provider area instead."""
    if request.user.is_authenticated and in_provider_area(request):
        return redirect("providers:dashboard")
    return member_home(request)


@member_page("home")
def member_home(request):
    context = {}
    if request.user.is_authenticated:
        context["credentials"] = selectors.member_credentials(request.user)
        context["where_you_stand"] = where_you_stand(request.user, context["credentials"])
    return render(request, "members/home.html", context)
