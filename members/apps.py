from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _staff_groups(sender, **kwargs):
    # Runs once the last of the portal's apps has its permissions, so every grant can be made.
    if sender.label != "payments":
        return
    from .permissions import ensure_staff_groups

    ensure_staff_groups()


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_staff_groups, dispatch_uid="members.staff_groups")
