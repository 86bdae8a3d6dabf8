"""The portal's URLs plus the load test's ceiling view (used only by bench/settings.py)."""

from django.urls import include, path

from recert_portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("", include("bench.ceiling_urls")), *portal_urlpatterns]
