"""Staff groups with the least permissions each role needs.

Reviewer: reports, entries, audits, paper reports and the records behind automatic points; can
see invoices but not touch payments. Finance: invoices, payments, refunds, fees (including
waiving a report's fee) and where members mail checks; can see reports but not approve or return
them. Administrator: everything.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

CRUD = ("view", "add", "change", "delete")

# (app_label, model) -> actions ("view", "add"...) or custom codenames ("approve_report").
# Models of apps that do not exist yet are skipped.
STAFF_GROUPS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    "Reviewer": {
        ("members", "user"): ("view",),
        ("members", "credential"): ("view", "change"),
        ("members", "membershiprecord"): ("view", "add", "change", "delete"),
        ("members", "committeerecord"): ("view", "add", "change", "delete"),
        ("recertification", "report"): (
            "view",
            "approve_report",
            "return_report",
            "audit_report",
            "record_paper_report",
        ),
        ("recertification", "entry"): ("view",),
        ("recertification", "entryfile"): ("view",),
        ("recertification", "auditdecision"): ("view",),
        ("core", "auditlog"): ("view",),
        ("recertification", "programsettings"): ("view",),
        ("payments", "invoice"): ("view",),
        ("recertification", "pointsadjustment"): ("view", "correct_for_member"),
        ("providers", "provider"): ("view",),
        ("providers", "course"): ("view",),
        ("providers", "completion"): ("view", "match_completion"),
    },
    "Finance": {
        ("members", "user"): ("view",),
        ("members", "credential"): ("view",),
        ("recertification", "report"): ("view", "waive_fee"),
        ("recertification", "programsettings"): ("view", "change"),
        ("core", "auditlog"): ("view",),
        ("payments", "invoice"): ("view", "add", "change"),
        ("payments", "invoiceline"): ("view",),
        ("payments", "payment"): ("view", "add", "change", "refund_payment"),
        ("payments", "stripeevent"): ("view",),
        ("payments", "stripecustomer"): ("view",),
        ("payments", "checkaddress"): ("view", "add", "change"),
        ("payments", "refund"): ("view",),
        ("payments", "deposit"): ("view",),
        ("payments", "financesettings"): ("view", "add", "change"),
    },
}


def codename(action: str, model: str) -> str:
    return f"{action}_{model}" if action in CRUD else action


def ensure_staff_groups() -> dict[str, Group]:
    """Create or update the Reviewer, Finance and Administrator groups; safe to run again."""
    groups: dict[str, Group] = {}
    for name, grants in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Q(pk__in=[])
        for (app_label, model), actions in grants.items():
            wanted |= Q(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[codename(action, model) for action in actions],
            )
        group.permissions.set(Permission.objects.filter(wanted))
        groups[name] = group
    admin, _ = Group.objects.get_or_create(name="Administrator")
    admin.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=[
                "core",
                "members",
                "recertification",
                "providers",
                "payments",
                "lifecycle",
                "auth",
                # two-step sign-in devices: list and delete (reset) only (members/admin.py)
                "otp_totp",
                "otp_static",
                # the task queue's results: read only (its admin allows no change)
                "django_tasks_database",
            ]
        )
    )
    groups["Administrator"] = admin
    return groups


def staff_groups_after_migrate(sender, **kwargs) -> None:
    """post_migrate of the back office, the last app: every grant can be made by then."""
    ensure_staff_groups()
