from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("username/", views.change_username, name="change_username"),
    path("password/", views.ChangePasswordView.as_view(), name="change_password"),
    path("membership/", views.membership, name="membership"),
    path("activities/", views.activities, name="activities"),
    path("email/verify/send/", views.email_verify_resend, name="email_verify_resend"),
    path("email/verify/<str:token>/", views.email_verify, name="email_verify"),
    path("email/confirm/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("email/resend/", views.email_change_resend, name="email_change_resend"),
    path("email/cancel/", views.email_change_cancel, name="email_change_cancel"),
]
