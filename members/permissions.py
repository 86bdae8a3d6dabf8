"""Staff groups with the least permissions each role needs."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

# (app_label, model) -> actions. Models of apps that do not exist yet are skipped.
STAFF_GROUPS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    "Reviewer": {
        ("members", "user"): ("view",),
        ("members", "credential"): ("view", "change"),
        ("members", "membershiprecord"): ("view", "add", "change"),
        ("members", "committeerecord"): ("view", "add", "change"),
        ("recertification", "report"): ("view", "change"),
        ("recertification", "entry"): ("view", "add", "change"),
        ("recertification", "entryfile"): ("view",),
        ("recertification", "auditlog"): ("view",),
        ("payments", "invoice"): ("view",),
    },
    "Finance": {
        ("members", "user"): ("view",),
        ("members", "credential"): ("view",),
        ("recertification", "report"): ("view",),
        ("recertification", "programsettings"): ("view", "change"),
        ("recertification", "auditlog"): ("view",),
        ("payments", "invoice"): ("view", "change"),
        ("payments", "payment"): ("view", "add", "change"),
    },
}


def ensure_staff_groups() -> dict[str, Group]:
    """Create or update the Reviewer, Finance and Administrator groups; safe to run again."""
    groups: dict[str, Group] = {}
    for name, grants in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Q(pk__in=[])
        for (app_label, model), actions in grants.items():
            codenames = [f"{action}_{model}" for action in actions]
            wanted |= Q(
                content_type__app_label=app_label, content_type__model=model, codename__in=codenames
            )
        group.permissions.set(Permission.objects.filter(wanted))
        groups[name] = group
    admin, _ = Group.objects.get_or_create(name="Administrator")
    admin.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["members", "recertification", "payments", "auth"]
        )
    )
    groups["Administrator"] = admin
    return groups
