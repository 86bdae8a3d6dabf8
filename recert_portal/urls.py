import logging

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import include, path
from django.views.decorators.cache import never_cache

from lifecycle import home as lifecycle_home
from providers import api as providers_api

from . import metrics

logger = logging.getLogger(__name__)


def healthz(request):
    """Liveness: the process answers. It reads nothing, so an outage elsewhere never restarts it."""
    return HttpResponse("ok", content_type="text/plain")


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    ping = getattr(cache, "ping", None)
    if ping is not None:  # Redis: reached now, not answered from a silenced miss
        ping()
    else:
        cache.set("readyz", "ok", timeout=10)


def _check_storage() -> None:
    default_storage.exists("readyz-probe")


@never_cache
def readyz(request):
    """Readiness: the database, the cache and the file storage, each "ok" or "unavailable";
    503 when any is down (the load balancer sends no traffic; liveness, /healthz, stays 200)."""
    parts = {"database": _check_database, "cache": _check_cache, "storage": _check_storage}
    status = {}
    for name, check in parts.items():
        try:
            check()
            status[name] = "ok"
        except Exception:
            logger.exception("readiness: %s unavailable", name)
            status[name] = "unavailable"
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)


def server_error(request):
    """The 500 page, rendered without the request: no context processor (and so no query) runs,
    so the page still renders when the error is that the database is down."""
    context = {"SITE_NAME": settings.SITE_NAME, "SUPPORT_EMAIL": settings.SUPPORT_EMAIL}
    return HttpResponseServerError(loader.get_template("500.html").render(context))


def csrf_failure(request, reason: str = ""):
    """A form posted without its CSRF token (settings.CSRF_FAILURE_VIEW): a plain explanation.
    The technical reason is not shown; CsrfViewMiddleware logs it (django.security.csrf)."""
    return render(request, "errors/csrf_failure.html", status=403)


def bad_request(request, exception=None):
    """A request the portal could not read (a malformed upload, a damaged address): 400."""
    return render(request, "errors/400.html", status=400)


handler400 = bad_request
handler500 = server_error


urlpatterns = [
    path("", lifecycle_home.home, name="home"),
    path("accounts/", include("members.account_urls")),
    path("profile/", include("members.urls")),
    path("profile/", include("lifecycle.urls")),
    path("recertification/", include("recertification.urls")),
    path("recertification/reported/", include("providers.member_urls")),
    path("provider/", include("providers.urls")),
    path("api/v1/", providers_api.api.urls),
    path("rules/", include("recertification.public_urls")),
    path("verify/", include("lifecycle.public_urls")),
    path("", include("payments.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
]
