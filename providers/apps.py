from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "CE providers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signin

        # A provider's user signing in is sent to the provider area from Home.
        user_logged_in.connect(
            signin.mark_provider_session, dispatch_uid="providers.signin.mark_provider_session"
        )
