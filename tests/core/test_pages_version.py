"""The pages versions change, in the same transaction, with every write to what a member's pages
show, whoever makes it (core.pages_version: database triggers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.backends import ModelBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import pages_version
from core.models import AuditLog, PagesVersion
from lifecycle.models import Certificate, ExtensionRequest
from members.backends import UsernameOrEmailBackend
from members.models import (
    ClaimRequest,
    CommitteeRecord,
    Credential,
    MembershipRecord,
    Notification,
    User,
)
from payments.models import (
    CheckAddress,
    FinanceSettings,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
    StripeCustomer,
)
from providers.models import Completion
from recertification.fees import program_fees
from recertification.models import (
    AuditDecision,
    Entry,
    EntryFile,
    PointsAdjustment,
    ProgramSettings,
    Report,
    ReportCredential,
)
from tests.factories import (
    CommitteeRecordFactory,
    CredentialFactory,
    EntryFactory,
    EntryFileFactory,
    MembershipRecordFactory,
    ReportFactory,
    StaffFactory,
    UserFactory,
)
from tests.lifecycle.factories import (
    CertificateFactory,
    ExtensionRequestFactory,
    NotificationFactory,
)
from tests.payments.factories import InvoiceFactory
from tests.payments.factories import ReportFactory as SubmittedReportFactory
from tests.providers.factories import CompletionFactory, CourseFactory

pytestmark = pytest.mark.django_db


def version(member: User) -> int:
    return User.objects.filter(pk=member.pk).values_list("pages_version", flat=True).get()


def site_version() -> int:
    return PagesVersion.objects.values_list("value", flat=True).get(pk=pages_version.SITE_ROW)


# --- one case per table: (make the row's prerequisites) -> (insert the row), and an update -------


def _report(member):
    return ReportFactory(member=member, credentials=[])


def _entry(member):
    return EntryFactory(member=member)


def _invoice(member):
    return InvoiceFactory(report=SubmittedReportFactory(member=member))


def _payment(invoice):
    return Payment.objects.create(
        invoice=invoice,
        method="check",
        amount=invoice.total,
        currency=invoice.currency,
        check_number="100",
        check_date=timezone.localdate(),
    )


def credential(member):
    return lambda: CredentialFactory(holder=member), {"first_dual_cycle": True}


def membership_record(member):
    return lambda: MembershipRecordFactory(member=member), {"year": 2023}


def committee_record(member):
    return lambda: CommitteeRecordFactory(member=member), {"year": 2023}


def notification(member):
    return lambda: NotificationFactory(member=member), {"subject": "Changed"}


def claim_request(member):
    def make():
        return ClaimRequest.objects.create(member=member, email="typed@example.org", last_name="X")

    return make, {"note": "Changed"}


def report(member):
    return lambda: _report(member), {"points_required": Decimal("3")}


def report_credential(member):
    report, held = _report(member), CredentialFactory(holder=member)

    def make():
        return ReportCredential.objects.create(
            report=report, credential=held, cycle_start=report.cycle_start
        )

    return make, {"cycle_start": dt.date(2024, 1, 2)}


def entry(member):
    return lambda: _entry(member), {"quantity": 2}


def completion(member):
    course = CourseFactory(on="namss")
    return lambda: CompletionFactory(course=course, member=member), {"quantity": Decimal("1")}


def entry_report(member):
    entry, report, other = _entry(member), _report(member), _report(member)

    def make():
        return Entry.reports.through.objects.create(entry=entry, report=report)

    return make, {"report": other}


def entry_file(member):
    entry = _entry(member)
    return lambda: EntryFileFactory(entry=entry), {"original_name": "renamed.pdf"}


def audit_decision(member):
    report, entry, staff = _report(member), _entry(member), StaffFactory()

    def make():
        return AuditDecision.objects.create(
            report=report,
            entry=entry,
            decision=AuditDecision.Decision.choices[0][0],
            decided_by=staff,
            decided_at=timezone.now(),
        )

    return make, {"reason": "Changed"}


def points_adjustment(member):
    report, staff = _report(member), StaffFactory()

    def make():
        return PointsAdjustment.objects.create(
            report=report, points=Decimal("1"), reason="Credit", made_by=staff
        )

    return make, {"reason": "Changed"}


def invoice(member):
    report = SubmittedReportFactory(member=member)
    program_fees(report.program)  # the program's settings row, made on first read

    def make():
        issued = InvoiceFactory(report=report)
        issued.lines.all().delete()  # so that the invoice alone can be deleted
        return issued

    return make, {"description": "Changed"}


def invoice_line(member):
    invoice = _invoice(member)

    def make():
        return InvoiceLine.objects.create(
            invoice=invoice,
            position=9,
            fee_code="recertification",
            description="Extra",
            unit_price=Decimal("1"),
            amount=Decimal("1"),
        )

    return make, {"description": "Changed"}


def payment(member):
    invoice = _invoice(member)
    return lambda: _payment(invoice), {"check_number": "123"}


def refund(member):
    payment, staff = _payment(_invoice(member)), StaffFactory()

    def make():
        return Refund.objects.create(
            payment=payment,
            status=Refund.Status.REQUESTED,
            method="check",
            amount=Decimal("1"),
            currency=payment.currency,
            reason="Asked",
            requested_by=staff,
        )

    return make, {"reason": "Changed"}


def stripe_customer(member):
    def make():
        return StripeCustomer.objects.create(member=member, customer_id=f"cus_{member.pk}")

    return make, {"customer_id": f"cus_changed_{member.pk}"}


def certificate(member):
    held = CredentialFactory(holder=member)
    return lambda: CertificateFactory(credential=held), {"status_index": 99_999}


def extension_request(member):
    report = ReportFactory(
        member=member,
        program="namss",
        cycle_start=dt.date(2023, 12, 2),
        cycle_end=dt.date(2026, 12, 1),
    )
    return lambda: ExtensionRequestFactory(report=report, member=member), {
        "new_deadline": dt.date(2027, 7, 1)
    }


def audit_log(member):
    def make():
        return AuditLog.objects.create(member=member, object_type="x", object_id="1", action="y")

    return make, {"reason": "Changed"}


CASES = {
    "members_credential": credential,
    "members_membershiprecord": membership_record,
    "members_committeerecord": committee_record,
    "members_notification": notification,
    "members_claimrequest": claim_request,
    "recertification_report": report,
    "recertification_reportcredential": report_credential,
    "recertification_entry": entry,
    "recertification_entry_reports": entry_report,
    "recertification_entryfile": entry_file,
    "recertification_auditdecision": audit_decision,
    "recertification_pointsadjustment": points_adjustment,
    "payments_invoice": invoice,
    "payments_invoiceline": invoice_line,
    "payments_payment": payment,
    "payments_refund": refund,
    "payments_stripecustomer": stripe_customer,
    "members_certificate": certificate,
    "members_extensionrequest": extension_request,
    "recertification_auditlog": audit_log,
    "providers_completion": completion,
}
# Rows that name their member directly: moving one to another member changes both versions.
DIRECT = {
    "members_credential": (Credential, "holder"),
    "members_membershiprecord": (MembershipRecord, "member"),
    "members_committeerecord": (CommitteeRecord, "member"),
    "members_notification": (Notification, "member"),
    "members_claimrequest": (ClaimRequest, "member"),
    "recertification_report": (Report, "member"),
    "recertification_entry": (Entry, "member"),
    "payments_invoice": (Invoice, "member"),
    "members_extensionrequest": (ExtensionRequest, "member"),
    "recertification_auditlog": (AuditLog, "member"),
    "providers_completion": (Completion, "member"),
}
SITE_TABLES = {
    "recertification_programsettings",
    "payments_financesettings",
    "payments_checkaddress",
}


class Watch:
    """The versions of a member, a bystander and the site before an action."""

    def __init__(self, *members):
        self.members = members
        self.before = [version(m) for m in members]
        self.site = site_version()

    def changed(self) -> list[bool]:
        return [version(m) != v for m, v in zip(self.members, self.before, strict=True)]


@pytest.fixture
def member():
    return UserFactory()


@pytest.fixture
def bystander():
    return UserFactory()


def test_every_table_has_a_case():
    models = [
        Credential, MembershipRecord, CommitteeRecord, Notification, ClaimRequest, Report,
        ReportCredential, Entry, Entry.reports.through, EntryFile, AuditDecision, PointsAdjustment,
        Invoice, InvoiceLine, Payment, Refund, StripeCustomer, Certificate, ExtensionRequest,
        AuditLog, Completion,
    ]  # fmt: skip
    assert {m._meta.db_table for m in models} == set(CASES)
    site = [ProgramSettings, FinanceSettings, CheckAddress]
    assert {m._meta.db_table for m in site} == SITE_TABLES


def test_every_trigger_is_installed():
    """A migration that rebuilds a table on SQLite drops its triggers: they must be put back."""
    found = pages_version.installed(connection)
    expected = {*CASES, *SITE_TABLES, "members_user"}
    assert set(found) == expected
    per_table = 1 if connection.vendor == "postgresql" else 3
    for table in expected - {"members_user"}:
        assert len(found[table]) == per_table, table
    assert len(found["members_user"]) == 1


@pytest.mark.parametrize("table", sorted(CASES))
def test_insert_update_and_delete_change_the_members_version(table, member, bystander):
    make, update = CASES[table](member)
    watch = Watch(member, bystander)
    obj = make()
    assert watch.changed() == [True, False], "insert"
    assert site_version() == watch.site

    watch = Watch(member, bystander)
    type(obj)._base_manager.filter(pk=obj.pk).update(**update)
    assert watch.changed() == [True, False], "update"

    watch = Watch(member, bystander)
    with connection.cursor() as cursor:  # raw SQL: no ORM cascade, no signal
        cursor.execute(f"DELETE FROM {obj._meta.db_table} WHERE id = %s", [obj.pk])  # noqa: S608
    assert watch.changed() == [True, False], "delete"
    assert site_version() == watch.site


@pytest.mark.parametrize("table", sorted(DIRECT))
def test_moving_a_row_to_another_member_changes_both(table, member, bystander):
    make, _ = CASES[table](member)
    obj = make()
    third = UserFactory()
    model, field = DIRECT[table]
    watch = Watch(member, bystander, third)
    model._base_manager.filter(pk=obj.pk).update(**{field: bystander})
    assert watch.changed() == [True, True, False]


def _program_settings():
    return ProgramSettings.objects.update_or_create(
        program="namss", defaults={"recertification_fee": Decimal("100")}
    )[0]


def _check_address():
    return CheckAddress.objects.update_or_create(
        program="ihmm", defaults={"payee": "IHMM", "mailing_address": "1 Main Street"}
    )[0]


def _finance_settings():
    return FinanceSettings.objects.first() or FinanceSettings.objects.create()


@pytest.mark.parametrize(
    "make, update",
    [
        (_program_settings, {"recertification_fee": Decimal("120")}),
        (_check_address, {"payee": "Changed"}),
        (_finance_settings, {"refund_approval_above": Decimal("5")}),
    ],
)
def test_site_settings_change_the_site_version_and_no_members(make, update, member):
    watch = Watch(member)
    obj = make()
    assert site_version() != watch.site
    assert watch.changed() == [False]

    watch = Watch(member)
    type(obj).objects.filter(pk=obj.pk).update(**update)
    assert site_version() != watch.site
    assert watch.changed() == [False]

    watch = Watch(member)
    type(obj).objects.filter(pk=obj.pk).delete()
    assert site_version() != watch.site
    assert watch.changed() == [False]


def test_a_rolled_back_transaction_leaves_the_versions(member):
    held = CredentialFactory(holder=member)
    watch = Watch(member)
    with pytest.raises(RuntimeError), transaction.atomic():
        EntryFactory(member=member)
        Credential.all_objects.filter(pk=held.pk).update(status="lapsed")
        _program_settings()
        assert watch.changed() == [True]  # inside: changed at once
        raise RuntimeError
    assert watch.changed() == [False]
    assert site_version() == watch.site


def test_a_queryset_update_and_a_bulk_create_change_the_version(member, bystander):
    watch = Watch(member, bystander)
    MembershipRecord.objects.bulk_create(
        [MembershipRecord(member=member, kind="national", year=y) for y in (2021, 2022)]
    )
    assert watch.changed() == [True, False]
    watch = Watch(member, bystander)
    MembershipRecord.objects.filter(member=member).update(organization="Changed")
    assert watch.changed() == [True, False]


def test_the_members_own_profile_changes_the_version(member, bystander):
    watch = Watch(member, bystander)
    member.city = "Chicago"
    member.save()
    assert watch.changed() == [True, False]
    watch = Watch(member)
    User.objects.filter(pk=member.pk).update(last_name="Changed")
    assert watch.changed() == [True]


def test_every_column_of_the_account_is_watched(member):
    """A new column of members_user must be added to its trigger (install it again)."""
    for field in User._meta.concrete_fields:
        if field.attname in ("pages_version", "id"):
            continue
        watch = Watch(member)
        value = User.objects.filter(pk=member.pk).values_list(field.attname, flat=True).get()
        User.objects.filter(pk=member.pk).update(**{field.attname: value})
        assert watch.changed() == [True], field.attname


def test_saving_an_account_loaded_before_a_change_does_not_bring_back_the_old_version(member):
    stale = User.objects.get(pk=member.pk)
    CredentialFactory(holder=member)
    changed = version(member)
    stale.city = "Chicago"
    stale.save()  # writes every column, the old pages_version among them
    assert version(member) not in (stale.pages_version, changed)


def test_writing_the_version_itself_does_not_loop(member):
    User.objects.filter(pk=member.pk).update(pages_version=12345)
    assert version(member) == 12345
    member.refresh_from_db()
    member.save(update_fields=["pages_version"])
    assert version(member) == 12345


def test_a_new_account_has_a_random_version():
    a, b = UserFactory(), UserFactory()
    assert version(a) != version(b)
    assert 0 <= version(a) < 2**62


def test_the_signed_in_user_carries_the_site_version_without_a_query(client, member, monkeypatch):
    backend = UsernameOrEmailBackend()
    user = backend.get_user(member.pk)
    assert user.site_pages_version == site_version()
    assert user.pages_version == version(member)
    with CaptureQueriesContext(connection) as loaded:
        backend.get_user(member.pk)
    assert len(loaded) == 1

    client.force_login(member, backend="members.backends.UsernameOrEmailBackend")
    url = reverse("members:profile")
    with CaptureQueriesContext(connection) as ours:
        assert client.get(url).status_code == 200
    monkeypatch.setattr(UsernameOrEmailBackend, "get_user", ModelBackend.get_user)
    with CaptureQueriesContext(connection) as stock:
        assert client.get(url).status_code == 200
    assert len(ours) == len(stock)
    loads = [q["sql"] for q in ours if 'FROM "members_user"' in q["sql"]]
    assert any("core_pagesversion" in sql for sql in loads)


def test_without_the_site_row_the_site_version_is_none(member):
    PagesVersion.objects.all().delete()
    assert UsernameOrEmailBackend().get_user(member.pk).site_pages_version is None


def test_paused_triggers_do_nothing_and_come_back(member):
    watch = Watch(member)
    with transaction.atomic(), pages_version.paused(connection, ["members_membershiprecord"]):
        MembershipRecordFactory(member=member)
        assert watch.changed() == [False]
    assert set(pages_version.installed(connection)) >= {"members_membershiprecord"}
    MembershipRecordFactory(member=member, year=2019)
    assert watch.changed() == [True]
