from django.urls import path

from . import views

app_name = "recertification"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("summary/", views.summary, name="summary"),
    path("uploads/", views.uploads, name="uploads"),
    path("submit/", views.submit, name="submit"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<int:pk>/delete/", views.entry_delete, name="entry_delete"),
    path("files/<int:pk>/", views.file_download, name="file_download"),
    path("files/<int:pk>/delete/", views.file_delete, name="file_delete"),
    path("reports/<int:pk>/entries.csv", views.report_csv, name="report_csv"),
    path("reports/<int:pk>/transcript.pdf", views.report_transcript, name="report_transcript"),
]
