"""A member's credits reported by CE providers: /recertification/reported/."""

from django.urls import path  # noqa: F401

app_name = "reported"

urlpatterns: list = []
