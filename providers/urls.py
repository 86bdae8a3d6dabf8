"""The provider area: /provider/ (server-rendered pages for a provider's own users)."""

from django.urls import path

from . import views

app_name = "providers"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("courses/new/", views.course_new, name="course_new"),
    path("courses/<int:pk>/", views.course_detail, name="course"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course_edit"),
    path("courses/<int:pk>/attendees/", views.attendees_add, name="attendees_add"),
    path("courses/<int:pk>/roster/", views.roster_upload, name="roster_upload"),
    path("courses/<int:pk>/roster/<uuid:upload>/", views.roster_preview, name="roster_preview"),
    path(
        "courses/<int:pk>/roster/<uuid:upload>/confirm/",
        views.roster_confirm,
        name="roster_confirm",
    ),
    path(
        "courses/<int:pk>/roster/<uuid:upload>/discard/",
        views.roster_discard,
        name="roster_discard",
    ),
    path("unmatched/", views.unmatched, name="unmatched"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
