"""The provider area: /provider/ (server-rendered pages for a provider's own users)."""

from django.urls import path  # noqa: F401

app_name = "providers"

urlpatterns: list = []
