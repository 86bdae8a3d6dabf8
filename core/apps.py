from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every other app builds on: the audit log and the staff site's shared pieces."""

    name = "core"
    verbose_name = "Audit"
    default_auto_field = "django.db.models.BigAutoField"
