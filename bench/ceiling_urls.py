"""The load test's ceiling: a bare Django view, the fastest response the portal's stack can give.

It goes through the same gunicorn, WSGI handler and middleware as every page (sessions, CSRF,
authentication, CSP, axes) but touches no database, no cache and no template, so its throughput
is the upper bound each page is compared with in docs/performance.md.

bench/run_load.py mounts it through bench/settings.py (ROOT_URLCONF = "bench.urls"); the
portal's own URL configuration is not changed.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path


def ceiling(request):
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def signed_in(request):
    """The floor of every member page: the session from Redis and the user from PostgreSQL."""
    return HttpResponse(str(request.user.pk).encode(), content_type="text/plain")


urlpatterns = [
    path("bench/ceiling/", ceiling, name="bench_ceiling"),
    path("bench/ceiling/signed-in/", signed_in, name="bench_ceiling_signed_in"),
]
