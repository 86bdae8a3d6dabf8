from django.apps import AppConfig


class RecertificationConfig(AppConfig):
    name = "recertification"
    verbose_name = "Recertification"
    default_auto_field = "django.db.models.BigAutoField"
