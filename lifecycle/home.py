"""Home: the member's certifications and where they stand (deadlines and the next step)."""

from django.shortcuts import render

from core.page_cache import member_page
from recertification import selectors

from .standing_summary import where_you_stand


@member_page("home")
def home(request):
    context = {}
    if request.user.is_authenticated:
        context["credentials"] = selectors.member_credentials(request.user)
        context["where_you_stand"] = where_you_stand(request.user, context["credentials"])
    return render(request, "members/home.html", context)
