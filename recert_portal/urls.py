from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import include, path

from lifecycle import home as lifecycle_home


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


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
    path("rules/", include("recertification.public_urls")),
    path("verify/", include("lifecycle.public_urls")),
    path("", include("payments.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
