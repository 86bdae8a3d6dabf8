from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    """The credential lifecycle: deadlines, lapse and termination, NAMSS extensions and
    reinstatement, reminders, certificates, Open Badges and public verification."""

    name = "lifecycle"
    verbose_name = "Lifecycle"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (answers payments' deadline_extended)
