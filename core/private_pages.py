"""Pages shown to a signed-in person hold their personal data: no shared cache (a proxy, a CDN)
and no browser history cache may keep them. `Cache-Control: private, no-store` on every response
to a signed-in request that does not set its own caching (public pages and static files, served to
visitors, are left alone)."""

from __future__ import annotations

from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
