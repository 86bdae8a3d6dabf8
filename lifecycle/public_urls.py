"""Public pages (no sign-in): the good-standing lookup, the badge-file check, badge status lists."""

from django.urls import path

from . import verify_views

app_name = "verify"

urlpatterns = [
    path("", verify_views.lookup, name="lookup"),
    path("status/<int:list_number>/", verify_views.status_list, name="status_list"),
    path("issuer/", verify_views.issuer, name="issuer"),
    path("issuer/keys/<int:number>/", verify_views.issuer_key, name="issuer_key"),
    path("badge/", verify_views.check_badge, name="badge_check"),
    path("<str:code>/", verify_views.certificate, name="certificate"),
]
