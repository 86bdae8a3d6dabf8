"""A member's credits reported by CE providers: /recertification/reported/."""

from django.urls import path

from . import member_views

app_name = "reported"

urlpatterns = [
    path("", member_views.credits, name="credits"),
    path("<int:pk>/accept/", member_views.accept, name="accept"),
    path("<int:pk>/decline/", member_views.decline, name="decline"),
]
