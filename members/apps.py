from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import two_factor

        # Whether a session owes the second step of sign-in is decided when it signs in.
        user_logged_in.connect(two_factor.note_sign_in, dispatch_uid="members.two_factor")
