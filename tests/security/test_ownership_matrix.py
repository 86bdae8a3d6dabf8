"""The ownership matrix, built from the URL configuration.

Every member URL that names an object (a converter argument, outside /admin/) is requested by
its owner (200, or the page's own redirect), by another member (404: not even whether it
exists), and by an anonymous visitor (sent to sign in). Every admin URL that names an object is
requested by staff without the permission it needs (403) and by a member who is not staff (sent
to the staff sign-in). A URL without a row here fails: adding a page means saying who may see it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.sites import site
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from core.models import AuditLog
from lifecycle.models import ExtensionRequest
from members.models import ClaimRequest, CommitteeRecord, MembershipRecord, Notification
from payments.models import (
    CheckAddress,
    FinanceSettings,
    Payment,
    Refund,
    StripeCustomer,
    StripeEvent,
)
from providers.tokens import token_create
from recertification.models import (
    AuditDecision,
    Entry,
    EntryFile,
    PointsAdjustment,
    ProgramSettings,
)

from .conftest import staff_in
from .urlwalk import admin_routes_with_objects, member_routes_with_objects

pytestmark = pytest.mark.django_db

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


# --- member URLs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owned:
    """A URL of something a member owns: `target` names the object in `world`."""

    target: str
    argument: Callable = lambda obj: obj.pk
    methods: tuple[str, ...] = ("get",)
    owner_status: int = 200  # what the owner gets for the first method
    query: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Public:
    """A URL anyone may open: why, and what an anonymous visitor gets."""

    why: str
    args: Callable[[dict], list]
    anonymous_status: int
    query: dict = field(default_factory=dict)


def number(invoice):
    return invoice.number


MEMBER_MATRIX: dict[str, Owned | Public] = {
    "lifecycle:certificate_pdf": Owned("certificate"),
    "lifecycle:certificate_badge": Owned("certificate"),
    # POST only: the owner's report has no extension request here, so the page says so (302).
    "lifecycle:extension_withdraw": Owned("report", methods=("post",), owner_status=302),
    # A lapsed credential's paper report: the form, and its invoice (POST: sent to the invoice).
    "lifecycle:paper_report_pdf": Owned("lapsed_credential"),
    "lifecycle:paper_report_invoice": Owned(
        "lapsed_credential", methods=("post",), owner_status=302
    ),
    "recertification:entry_edit": Owned("entry", methods=("get", "post")),
    "recertification:entry_delete": Owned("entry", methods=("get", "post")),
    "recertification:file_download": Owned("file"),
    # POST only: the owner's POST removes the file and goes back to Uploads.
    "recertification:file_delete": Owned("file", methods=("post",), owner_status=302),
    "recertification:report_csv": Owned("report"),
    # A credit a provider reported for the member: accept and decline are POST only; the owner's
    # empty POST gets the page back with what is missing.
    "reported:accept": Owned("completion", methods=("post",)),
    "reported:decline": Owned("completion", methods=("post",)),
    "recertification:report_transcript": Owned("report"),
    "payments:invoice": Owned("paid_invoice", number),
    "payments:invoice_pdf": Owned("paid_invoice", number),
    "payments:receipt_pdf": Owned("paid_invoice", number),
    "payments:pay": Owned("open_invoice", number, methods=("get", "post")),
    # Stripe is not configured here, so the owner is sent back to the invoice with a message.
    "payments:pay_return": Owned(
        "open_invoice", number, owner_status=302, query={"payment_intent": "pi_owner_matrix"}
    ),
    "password_reset_confirm": Public(
        "the emailed link is the capability: a signed, single-use token for one account",
        lambda w: ["MQ", "bad-token"],
        200,  # "This link is not valid"
    ),
    "claim_link": Public(
        "the emailed link is the capability: a signed, expiring token for one record nobody has "
        "signed in to, bound to its state so that it works once",
        lambda w: ["bad-token"],
        200,  # "This link no longer works"
    ),
    # Signed-in links: the token is bound to the account and the address it was sent for; another
    # member's session gets "not valid", and a visitor is sent to sign in first.
    "members:email_verify": Public(
        "the emailed link is the capability, bound to one account and one address; sign-in needed",
        lambda w: ["bad-token"],
        302,
    ),
    "members:email_change_confirm": Public(
        "the emailed link is the capability, bound to one account and its pending address; "
        "sign-in needed",
        lambda w: ["bad-token"],
        302,
    ),
    "rules:program": Public("the published rules of a program", lambda w: ["ipma-hr"], 200),
    "rules:help": Public(
        "the help page of a program, answers from its declaration", lambda w: ["ipma-hr"], 200
    ),
    "verify:status_list": Public(
        "the public W3C revocation list of badges (bits only, no names)", lambda w: [1], 200
    ),
    "verify:issuer_key": Public(
        "the public key that signs the badges (a Multikey document, no names)", lambda w: [1], 200
    ),
    "verify:certificate": Public(
        "public verification of a certificate code: name, designation and standing only",
        lambda w: [w["certificate"].code],
        200,
    ),
}

MEMBER_ROUTES = sorted({r.name for r in member_routes_with_objects()})
# Owner and other-member checks run for every route that is not declared public (a route without
# a row is included, and fails).
OWNED_ROUTES = [n for n in MEMBER_ROUTES if not isinstance(MEMBER_MATRIX.get(n), Public)]


def test_every_member_url_that_names_an_object_has_a_row():
    missing = sorted(set(MEMBER_ROUTES) - set(MEMBER_MATRIX))
    stale = sorted(set(MEMBER_MATRIX) - set(MEMBER_ROUTES))
    assert not missing, f"URLs without a row in MEMBER_MATRIX (who may open them?): {missing}"
    assert not stale, f"rows for URLs that no longer exist: {stale}"


def _url(name: str, row: Owned, world: dict) -> str:
    return reverse(name, args=[row.argument(world[row.target])])


@pytest.mark.parametrize("name", OWNED_ROUTES)
def test_the_owner_opens_it(client, member, world, name):
    row = MEMBER_MATRIX.get(name)
    assert row is not None, f"{name} has no row in MEMBER_MATRIX"
    client.force_login(member)
    method = row.methods[0]
    response = getattr(client, method)(_url(name, row, world), row.query)
    assert response.status_code == row.owner_status, (name, response.status_code)
    if response.status_code == 302:
        assert not response.url.startswith(reverse("login")), response.url


@pytest.mark.parametrize("name", OWNED_ROUTES)
def test_another_member_gets_404_and_nothing_changes(client, second_member, world, name):
    row = MEMBER_MATRIX.get(name)
    assert row is not None, f"{name} has no row in MEMBER_MATRIX"
    client.force_login(second_member)
    before = (Entry.objects.count(), EntryFile.objects.count(), Payment.objects.count())
    for method in row.methods:
        response = getattr(client, method)(_url(name, row, world), row.query)
        assert response.status_code == 404, (name, method, response.status_code)
        assert b"Owner's workshop" not in response.content
    assert (Entry.objects.count(), EntryFile.objects.count(), Payment.objects.count()) == before


@pytest.mark.parametrize("name", MEMBER_ROUTES)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, world, name):
    row = MEMBER_MATRIX.get(name)
    assert row is not None, f"{name} has no row in MEMBER_MATRIX"
    if isinstance(row, Public):
        response = client.get(reverse(name, args=row.args(world)), row.query)
        assert response.status_code == row.anonymous_status, (name, response.status_code)
        for private in (world["certificate"].credential.holder.email, "member_number"):
            assert private.encode() not in response.content
        return
    for method in row.methods:
        response = getattr(client, method)(_url(name, row, world), row.query)
        assert response.status_code == 302, (name, method)
        assert response.url.startswith(reverse("login")), response.url


# --- admin URLs --------------------------------------------------------------------------------

# An object of each model registered in the admin, for the standard change/history/delete pages.
MODEL_OBJECTS: dict[str, Callable[[dict], object]] = {
    "auth.group": lambda w: Group.objects.get(name="Reviewer"),
    "axes.accessattempt": lambda w: AccessAttempt.objects.create(
        username="x",
        ip_address="10.0.0.1",
        user_agent="t",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=1,
    ),  # fmt: skip
    "axes.accesslog": lambda w: AccessLog.objects.create(
        username="x", ip_address="10.0.0.1", user_agent="t", http_accept="*/*", path_info="/"
    ),
    "axes.accessfailurelog": lambda w: AccessFailureLog.objects.create(
        username="x", ip_address="10.0.0.1", user_agent="t", http_accept="*/*", path_info="/"
    ),
    "recertification.report": lambda w: w["report"],
    "recertification.entry": lambda w: w["entry"],
    "recertification.auditdecision": lambda w: AuditDecision.objects.create(
        report=w["report"], entry=w["entry"], decision="accepted", decided_at=timezone.now()
    ),
    "core.auditlog": lambda w: AuditLog.objects.first(),
    "payments.refund": lambda w: _refund(w),
    "payments.financesettings": lambda w: FinanceSettings.objects.create(),
    "recertification.pointsadjustment": lambda w: PointsAdjustment.objects.create(
        report=w["report"], points=Decimal(1), reason="matrix", made_by=w["office"]
    ),
    "recertification.programsettings": lambda w: ProgramSettings.objects.first(),
    "lifecycle.certificate": lambda w: w["certificate"],
    "members.notification": lambda w: Notification.objects.create(
        key="matrix:1",
        kind="lapsed",
        member=w["entry"].member,
        to_email="pat@example.org",
        subject="s",
        body_text="b",
    ),  # fmt: skip
    "lifecycle.extensionrequest": lambda w: ExtensionRequest.objects.create(
        member=w["entry"].member,
        report=w["report"],
        requested_at=timezone.now(),
        new_deadline=dt.date(2027, 6, 1),
        credits_documented=Decimal(1),
        credits_needed=Decimal(1),
    ),  # fmt: skip
    "django_tasks_database.dbtaskresult": lambda w: DBTaskResult.objects.create(
        task_path="members.emails.send_email",
        args_kwargs={"args": [], "kwargs": {"notification_id": 1}},
        queue_name="email",
        backend_name="default",
        run_after=timezone.now(),
    ),  # fmt: skip
    "otp_totp.totpdevice": lambda w: TOTPDevice.objects.create(user=w["entry"].member, name="app"),
    "otp_static.staticdevice": lambda w: StaticDevice.objects.create(
        user=w["entry"].member, name="codes"
    ),
    "members.claimrequest": lambda w: ClaimRequest.objects.create(
        member=w["entry"].member, email="claim@example.org", last_name="Member"
    ),
    "members.user": lambda w: w["entry"].member,
    "members.credential": lambda w: w["credential"],
    "members.membershiprecord": lambda w: MembershipRecord.objects.create(
        member=w["entry"].member, kind="national", year=2024
    ),
    "members.committeerecord": lambda w: CommitteeRecord.objects.create(
        member=w["entry"].member, committee="Certification", role="member", year=2024
    ),
    "payments.invoice": lambda w: w["paid_invoice"],
    "payments.payment": lambda w: w["card_payment"],
    "payments.stripeevent": lambda w: StripeEvent.objects.create(
        event_id="evt_matrix", type="payment_intent.succeeded", payload={}
    ),
    "payments.stripecustomer": lambda w: StripeCustomer.objects.create(
        member=w["entry"].member, customer_id="cus_matrix"
    ),
    "providers.provider": lambda w: w["completion"].provider,
    "providers.course": lambda w: w["completion"].course,
    "providers.completion": lambda w: w["completion"],
    "providers.apitoken": lambda w: token_create(provider=w["completion"].provider, name="m")[0],
    "payments.checkaddress": lambda w: CheckAddress.objects.create(
        payee="Certification Board", mailing_address="PO Box 1\nAlexandria, VA 22314"
    ),
}

STANDARD_SUFFIXES = ("_change", "_history", "_delete")


@dataclass(frozen=True)
class AdminRow:
    """Who is refused (403), who gets in, for one admin URL; `args` from the world."""

    args: Callable[[dict], list]
    refused: tuple[str, ...]
    allowed: tuple[str, ...] = ()
    allowed_status: int = 200
    refused_status: int = 403


def _report_in_audit(w):
    return [w["report"].pk]


def _document(w):
    from recertification.models import EntryFile

    document = EntryFile.objects.create(
        entry=w["entry"],
        file=ContentFile(b"%PDF-1.4 certificate", name="certificate.pdf"),
        original_name="certificate.pdf",
        content_type="application/pdf",
        size=20,
    )
    return [w["report"].pk, document.pk]


def _scanned(w):
    report = w["report"]
    report.scanned_report.save("scan.pdf", ContentFile(b"%PDF-1.4 scan"), save=True)
    return [report.pk]


def _lapsed(w):
    credential = w["credential"]
    credential.status = "lapsed"
    credential.save(update_fields=["status"])
    return [credential.pk]


def _refund(w):
    payment = w["paid_invoice"].payments.get(status="confirmed")
    return Refund.objects.create(
        payment=payment, status="requested", method=payment.method, amount=Decimal(1),
        currency=payment.currency, reason="matrix", requested_by=w["office"],
    )  # fmt: skip


def _unmatched(w):
    completion = w["completion"]
    completion.member, completion.status = None, "unmatched"
    completion.unmatched_reason = "The member number and last name do not match a member."
    completion.save()
    return completion


# The permissions per group are in docs/staff.md ("Groups"); each row names the groups that
# must be refused. "nobody" is staff with no group at all.
CUSTOM_ADMIN: dict[str, AdminRow] = {
    # report actions are parametrised by action below
    "admin:recertification_report_audit": AdminRow(
        _report_in_audit, refused=("nobody", "Finance"), allowed=("Reviewer",)
    ),
    "admin:recertification_report_document": AdminRow(
        _document, refused=("nobody",), allowed=("Reviewer", "Finance")
    ),
    "admin:recertification_report_scan": AdminRow(
        _scanned, refused=("nobody",), allowed=("Reviewer", "Finance")
    ),
    "admin:recertification_report_assign": AdminRow(
        lambda w: [w["report"].pk], refused=("nobody", "Finance"), allowed=("Reviewer",)
    ),
    "admin:members_user_note_add": AdminRow(
        lambda w: [w["entry"].member.pk], refused=("nobody",), allowed=("Reviewer", "Finance")
    ),
    "admin:members_user_erase": AdminRow(
        lambda w: [w["entry"].member.pk], refused=("nobody", "Reviewer", "Finance")
    ),
    "admin:members_credential_paper_report": AdminRow(
        _lapsed, refused=("nobody", "Finance"), allowed=("Reviewer",)
    ),
    "admin:payments_invoice_pdf": AdminRow(
        lambda w: [w["paid_invoice"].pk], refused=("nobody",), allowed=("Reviewer", "Finance")
    ),
    "admin:payments_invoice_receipt": AdminRow(
        lambda w: [w["paid_invoice"].pk], refused=("nobody",), allowed=("Reviewer", "Finance")
    ),
    "admin:payments_invoice_record_check": AdminRow(
        lambda w: [w["open_invoice"].pk], refused=("nobody", "Reviewer"), allowed=("Finance",)
    ),
    "admin:payments_invoice_cancel": AdminRow(
        lambda w: [w["open_invoice"].pk], refused=("nobody", "Reviewer"), allowed=("Finance",)
    ),
    "admin:payments_invoice_refund": AdminRow(
        lambda w: [w["paid_invoice"].pk], refused=("nobody", "Reviewer"), allowed=("Finance",)
    ),
    "admin:payments_refund_approve": AdminRow(
        lambda w: [_refund(w).pk], refused=("nobody", "Reviewer"), allowed=("Finance",)
    ),
    "admin:recertification_pointsadjustment_adjust": AdminRow(
        lambda w: [w["report"].pk], refused=("nobody", "Finance"), allowed=("Reviewer",)
    ),
    "admin:recertification_pointsadjustment_entry": AdminRow(
        lambda w: [w["entry"].member.pk], refused=("nobody", "Finance"), allowed=("Reviewer",)
    ),
    "admin:recertification_pointsadjustment_correct": AdminRow(
        lambda w: [w["entry"].pk], refused=("nobody", "Finance"), allowed=("Reviewer",)
    ),
    # Matching a provider's unmatched completion to a member (the reviewer's work).
    "admin:providers_completion_match": AdminRow(
        lambda w: [_unmatched(w).pk], refused=("nobody", "Finance"), allowed=("Reviewer",)
    ),
    "admin:auth_user_password_change": AdminRow(
        lambda w: [w["entry"].member.pk],
        refused=("nobody", "Reviewer", "Finance"),
        allowed=("Administrator",),
    ),
    # Staff only, any group: redirects to the object's own page (which checks its owner).
    "admin:view_on_site": AdminRow(
        lambda w: [ContentType.objects.get_for_model(w["paid_invoice"]).pk, w["paid_invoice"].pk],
        refused=(),
        allowed=("nobody", "Reviewer"),
        allowed_status=302,
    ),
    # An app's index lists only models the user may see; none: 404.
    "admin:app_list": AdminRow(
        lambda w: ["payments"], refused=("nobody",), allowed=("Reviewer",), refused_status=404
    ),
    "admin/(?P<url>.*)$": AdminRow(
        lambda w: ["no/such/page/"], refused=("nobody",), refused_status=404
    ),
}

# Report actions: who may (docs/staff.md "Actions"); everyone else is refused.
REPORT_ACTIONS = {
    "approve": "Reviewer",
    "return": "Reviewer",
    "select_audit": "Reviewer",
    "clear_audit": "Reviewer",
    "fail_audit": "Reviewer",
    "waive_fee": "Finance",
}
CUSTOM_ADMIN["admin:recertification_report_action"] = AdminRow(lambda w: [], refused=())

ADMIN_ROUTES = {r.name: r for r in admin_routes_with_objects()}


def _standard(name: str) -> str | None:
    """The model label of a standard ModelAdmin page name (admin:<app>_<model>_change...)."""
    for model, model_admin in site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if any(name == info + suffix for suffix in STANDARD_SUFFIXES):
            return model._meta.label_lower
        if name == f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/":
            return model._meta.label_lower
    return None


def test_every_admin_url_that_names_an_object_has_a_row():
    missing = [
        name for name in ADMIN_ROUTES if name not in CUSTOM_ADMIN and _standard(name) is None
    ]
    assert not missing, f"admin URLs without a row in CUSTOM_ADMIN: {missing}"
    models = {_standard(name) for name in ADMIN_ROUTES} - {None}
    assert not models - set(MODEL_OBJECTS), f"no object for {models - set(MODEL_OBJECTS)}"


def persona(group: str):
    return staff_in(None if group == "nobody" else group, username=f"{group.lower()}.persona")


def _admin_url(route_name: str, args: list) -> str:
    if route_name.startswith("admin/"):
        return "/admin/" + "/".join(str(a) for a in args)
    return reverse(route_name, args=args)


@pytest.mark.parametrize(
    "name", sorted(n for n in ADMIN_ROUTES if _standard(n) and not n.startswith("admin/"))
)
def test_staff_without_permission_are_refused_the_standard_admin_pages(world, name):
    obj = MODEL_OBJECTS[_standard(name)](world)
    url = reverse(name, args=[obj.pk])
    client = Client()
    client.force_login(persona("nobody"))
    assert client.get(url).status_code == 403, url
    assert client.post(url, {"post": "yes"}).status_code == 403, url
    # A superuser gets past the permission check, so the 403 above is about permission.
    client.force_login(world["office"])
    assert client.get(url).status_code in (200, 403 if name.endswith("_delete") else 200)


@pytest.mark.parametrize(
    "name", sorted(n for n in ADMIN_ROUTES if _standard(n) and n.startswith("admin/"))
)
def test_an_objects_bare_admin_address_only_redirects_to_its_change_page(name, db):
    """admin/<app>/<model>/<id>/ is a redirect, whoever asks; the change page it leads to is
    refused above."""
    app, model = _standard(name).split(".")
    client = Client()
    client.force_login(persona("nobody"))
    response = client.get(f"/admin/{app}/{model}/1/")
    assert response.status_code == 302
    assert response.url == reverse(f"admin:{app}_{model}_change", args=["1"])


@pytest.mark.parametrize(
    "name",
    sorted(
        n for n in CUSTOM_ADMIN if n in ADMIN_ROUTES and n != "admin:recertification_report_action"
    ),
)
def test_staff_without_permission_are_refused_the_custom_admin_pages(world, name):
    row = CUSTOM_ADMIN[name]
    url = _admin_url(name, row.args(world))
    client = Client()
    for group in row.refused:
        client.force_login(persona(group))
        assert client.get(url).status_code == row.refused_status, (name, group)
        if row.refused_status == 403:
            assert client.post(url, {"reason": "r"}).status_code == 403, (name, group)
    for group in row.allowed:
        client.force_login(persona(group))
        assert client.get(url).status_code == row.allowed_status, (name, group)


@pytest.mark.parametrize("action", sorted(REPORT_ACTIONS))
def test_only_the_right_group_may_act_on_a_report(world, action):
    """Finance cannot approve, return or audit; a reviewer cannot waive a fee."""
    url = reverse("admin:recertification_report_action", args=[world["report"].pk, action])
    client = Client()
    for group in ("nobody", "Reviewer", "Finance"):
        client.force_login(persona(group))
        status = client.get(url).status_code
        if group == REPORT_ACTIONS[action]:
            assert status == 200, (action, group)
        else:
            assert status == 403, (action, group)
            before = world["report"].__class__.objects.values().get(pk=world["report"].pk)
            assert client.post(url, {"reason": "not mine to do"}).status_code == 403
            after = world["report"].__class__.objects.values().get(pk=world["report"].pk)
            assert before == after


@pytest.mark.parametrize("name", sorted(ADMIN_ROUTES))
def test_members_who_are_not_staff_are_sent_to_the_staff_sign_in(client, member, name):
    route = ADMIN_ROUTES[name]
    url = "/" + route.route
    for argument in route.arguments:
        url = url.replace(f"<int:{argument}>", "1").replace(f"<path:{argument}>", "1")
        url = url.replace(f"<slug:{argument}>", "approve").replace(f"<{argument}>", "1")
    if "(?P<" in url:
        url = "/admin/payments/" if "app_label" in url else "/admin/no/such/page/"
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 302, (url, response.status_code)
    assert response.url.startswith("/admin/login/"), response.url
