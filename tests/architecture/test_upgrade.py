"""A database from before the layering upgrades in place: the audit log, certificates and NAMSS
extensions keep their tables and rows, and their content types (so the staff's permissions and the
admin history) move with them to the core and lifecycle apps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.models import AuditLog
from lifecycle.models import Certificate, ExtensionRequest

# The schema as it was: every app at its last migration before the move.
BEFORE = [
    ("members", "0004_notification_claimed_at"),
    ("recertification", "0003_review_queue_index"),
    ("payments", "0001_initial"),
    ("core", None),
    ("lifecycle", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _old_rows(apps) -> dict:
    """Rows written with the models as they were (members.Certificate, recertification.AuditLog)."""
    User = apps.get_model("members", "User")
    Credential = apps.get_model("members", "Credential")
    Report = apps.get_model("recertification", "Report")
    member = User.objects.create(
        username="old.member", email="old@example.org", member_number="12345678"
    )
    credential = Credential.objects.create(
        holder=member,
        program="namss",
        designation="CPCS",
        certified_since=dt.date(2019, 1, 1),
        cycle_start=dt.date(2025, 1, 1),
        cycle_end=dt.date(2026, 12, 31),
    )
    report = Report.objects.create(
        member=member,
        program="namss",
        cycle_start=credential.cycle_start,
        cycle_end=credential.cycle_end,
    )
    certificate = apps.get_model("members", "Certificate").objects.create(
        credential=credential,
        report=report,
        cycle_start=credential.cycle_start,
        valid_from=dt.date(2025, 1, 1),
        valid_through=dt.date(2026, 12, 31),
        code="ABCDEFGHJKMN",
        status_index=7,
        issued_at=timezone.now(),
    )
    extension = apps.get_model("members", "ExtensionRequest").objects.create(
        member=member,
        report=report,
        requested_at=timezone.now(),
        new_deadline=dt.date(2027, 6, 1),
        credits_documented=Decimal("15"),
        credits_needed=Decimal("15"),
    )
    log = apps.get_model("recertification", "AuditLog").objects.create(
        member=member,
        object_type="members.credential",
        object_id=str(credential.pk),
        action="lapsed",
    )
    # Content types and a permission granted as the live database has them.
    OldContentType = apps.get_model("contenttypes", "ContentType")
    types = {
        model: OldContentType.objects.get_or_create(app_label=app, model=model)[0].pk
        for app, model in [
            ("recertification", "auditlog"),
            ("members", "certificate"),
            ("members", "extensionrequest"),
        ]
    }
    OldPermission = apps.get_model("auth", "Permission")
    permission, _ = OldPermission.objects.get_or_create(
        content_type_id=types["auditlog"], codename="view_auditlog", defaults={"name": "Can view"}
    )
    group = apps.get_model("auth", "Group").objects.create(name="Old reviewers")
    group.permissions.add(permission)
    return {
        "certificate": certificate.pk,
        "extension": extension.pk,
        "log": log.pk,
        "types": types,
        "group": group.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_layering_upgrades_in_place():
    executor = _migrate(BEFORE)
    try:
        old = _old_rows(executor.loader.project_state([t for t in BEFORE if t[1]]).apps)
    finally:
        _migrate(_latest())
    ContentType.objects.clear_cache()

    certificate = Certificate.objects.get(pk=old["certificate"])
    assert (certificate.code, certificate.status_index) == ("ABCDEFGHJKMN", 7)
    assert certificate.credential.designation == "CPCS"
    extension = ExtensionRequest.objects.get(pk=old["extension"])
    assert extension.new_deadline == dt.date(2027, 6, 1)
    assert extension.report.program == "namss"
    assert AuditLog.objects.get(pk=old["log"]).action == "lapsed"

    # Same content type rows, new app labels: permissions and admin history follow.
    assert ContentType.objects.get_for_model(AuditLog).pk == old["types"]["auditlog"]
    assert ContentType.objects.get_for_model(Certificate).pk == old["types"]["certificate"]
    assert (
        ContentType.objects.get_for_model(ExtensionRequest).pk == old["types"]["extensionrequest"]
    )
    assert not ContentType.objects.filter(app_label="members", model="certificate").exists()
    granted = Group.objects.get(pk=old["group"]).permissions.get()
    assert (granted.content_type.app_label, granted.codename) == ("core", "view_auditlog")
    assert (
        Permission.objects.filter(content_type__app_label="core", codename="view_auditlog").count()
        == 1
    )
