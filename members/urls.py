from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("username/", views.change_username, name="change_username"),
    path("password/", views.ChangePasswordView.as_view(), name="change_password"),
    path("membership/", views.membership, name="membership"),
    path("activities/", views.activities, name="activities"),
]
