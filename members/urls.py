from django.urls import path

from recertification import lifecycle_portal

from . import lifecycle_views, views

app_name = "members"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("username/", views.change_username, name="change_username"),
    path("password/", views.ChangePasswordView.as_view(), name="change_password"),
    path("membership/", views.membership, name="membership"),
    path("activities/", views.activities, name="activities"),
    path("certificates/", lifecycle_views.certificates, name="certificates"),
    path(
        "certificates/<int:pk>/certificate.pdf",
        lifecycle_views.certificate_pdf,
        name="certificate_pdf",
    ),
    path(
        "certificates/<int:pk>/badge.json",
        lifecycle_views.certificate_badge,
        name="certificate_badge",
    ),
    path("extension/", lifecycle_portal.extension, name="extension"),
    path("reinstatement/", lifecycle_portal.reinstatement, name="reinstatement"),
]
