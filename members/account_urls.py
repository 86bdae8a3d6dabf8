"""Sign-in, sign-out, password reset and account creation (Django's auth names kept)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import claim, two_factor, views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("two-step/", two_factor.two_factor, name="two_factor"),
    path("two-step/setup/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("two-step/off/", two_factor.two_factor_off, name="two_factor_off"),
    path("find/", views.find_account, name="find_account"),
    path("claim/", claim.claim_start, name="claim"),
    path("claim/link/<str:token>/", claim.claim_link, name="claim_link"),
    path("claim/account/", claim.claim_account, name="claim_account"),
    path("password/reset/", views.ResetPasswordView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.ResetPasswordConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
