from django.apps import AppConfig
from django.db.models.signals import post_save


class RecertificationConfig(AppConfig):
    name = "recertification"
    verbose_name = "Recertification"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from members.models import Credential

        from . import opening

        # A credential saved open gets its current cycle's report when its transaction commits.
        post_save.connect(
            opening.credential_saved,
            sender=Credential,
            dispatch_uid="recertification.opening.credential_saved",
        )
