from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BackofficeConfig(AppConfig):
    """The staff back office: review, audits, approval, paper reports, records and imports.

    The top app with models: it may use every app below it, and none of them uses it."""

    name = "backoffice"
    verbose_name = "Back office"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import permissions

        # INSTALLED_APPS lists this app last, so every app's permissions exist by its post_migrate.
        post_migrate.connect(
            permissions.staff_groups_after_migrate, sender=self, dispatch_uid="backoffice.groups"
        )
