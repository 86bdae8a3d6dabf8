from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from members import views as member_views


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = "Recertification Portal – staff"
admin.site.site_title = "Recertification Portal staff"
admin.site.index_title = "Credentialing administration"

urlpatterns = [
    path("", member_views.home, name="home"),
    path("accounts/", include("members.account_urls")),
    path("profile/", include("members.urls")),
    path("recertification/", include("recertification.urls")),
    path("rules/", include("recertification.public_urls")),
    path("verify/", include("members.public_urls")),
    path("", include("payments.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
