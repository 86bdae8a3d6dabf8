from django.urls import path

from . import views

app_name = "rules"

urlpatterns = [
    path("", views.rules_index, name="index"),
    path("<slug:program>/", views.rules_reference, name="program"),
    path("<slug:program>/help/", views.rules_help, name="help"),
]
