"""The portal's own address, for absolute links: emails, certificates, badges, the verify page.

`site_url()` is `settings.SITE_URL`, except while a request is served in development with no
SITE_URL set (`settings.SITE_URL_FROM_REQUEST`): then it is the scheme and host that request came
to, so that `make run PORT=8101` links to port 8101. `SiteURLMiddleware` sets it for the request
and resets it afterwards; emails sent from commands and cron use the configured value.

A Host header is trusted only with DEBUG on, and only when ALLOWED_HOSTS names it (a bare "*"
names nothing). In production (DEBUG off) SITE_URL is required and the request never changes it.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port, validate_host

_request_site_url: ContextVar[str | None] = ContextVar("request_site_url", default=None)

# What Django allows with DEBUG on and ALLOWED_HOSTS empty (django.http.request.HttpRequest.get_host).
_DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]


def site_url() -> str:
    """The scheme and host of absolute links, without a trailing slash."""
    return _request_site_url.get() or settings.SITE_URL


def request_site_url(request) -> str | None:
    """The address `request` was served at, when links may follow it (development only)."""
    if not (settings.DEBUG and getattr(settings, "SITE_URL_FROM_REQUEST", False)):
        return None
    try:
        host = request.get_host()  # checked against ALLOWED_HOSTS
    except DisallowedHost:
        return None
    domain, _port = split_domain_port(host)
    named = [h for h in settings.ALLOWED_HOSTS if h != "*"]
    if not settings.ALLOWED_HOSTS:
        named = _DEBUG_HOSTS
    if not domain or not validate_host(domain, named):
        return None
    return f"{request.scheme}://{host}"


class SiteURLMiddleware:
    """Links made while serving a request follow its host in development (see `site_url`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_site_url.set(request_site_url(request))
        try:
            return self.get_response(request)
        finally:
            _request_site_url.reset(token)
