"""Home: the member's certifications and where they stand (deadlines and the next step)."""

from django.shortcuts import render

from recertification import selectors

from .standing_summary import where_you_stand


def home(request):
    context = {}
    if request.user.is_authenticated:
        context["credentials"] = selectors.member_credentials(request.user)
        context["where_you_stand"] = where_you_stand(request.user, context["credentials"])
    return render(request, "members/home.html", context)
