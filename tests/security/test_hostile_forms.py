"""Generated hostile input posted to every remaining form (the portal's entry, submission, upload,
profile, sign-up and sign-in forms are in test_hostile_input.py): the member's account, password
reset and lifecycle forms, the pay page, the public /verify/ lookup, and the staff forms in the
admin. Each example: never a server error, and a refused input changes nothing in the database
(see hostile.post_and_check). Examples per form: HOSTILE_EXAMPLES (conftest.py).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import given
from hypothesis import strategies as st

from backoffice.admin.report_actions import ACTIONS
from members.models import Credential
from payments.models import Invoice
from recertification import rules
from recertification.forms import group_for_kind
from recertification.models import Report
from tests.factories import EntryFactory

from .conftest import HOSTILE
from .hostile import ANYTHING, HOSTILE_DATE, HOSTILE_NUMBER, HOSTILE_TEXT, form_data, post_and_check

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

NEVER = lambda response: False  # noqa: E731 - no generated input here can be valid


@pytest.fixture
def signed_in(member, world):
    client = Client()
    client.force_login(member)
    return client


# --- the member's forms -------------------------------------------------------------------------


def test_entry_edit_survives_generated_input(signed_in, world):
    entry = world["entry"]
    group = group_for_kind(rules.get_program(entry.program), entry.kind)
    names = ["kind", *(spec.name for spec in group.fields), "files"]
    url = reverse("recertification:entry_edit", args=[entry.pk])

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data({f"{group.key}-{n}": ANYTHING for n in names}, data.draw)
        post_and_check("entry edit", lambda: signed_in.post(url, fields))

    attempt()


def test_entry_delete_ignores_whatever_is_posted_with_it(signed_in, world):
    url = reverse("recertification:entry_delete", args=[world["entry"].pk])

    @HOSTILE
    @given(junk=st.dictionaries(HOSTILE_TEXT, HOSTILE_TEXT, max_size=4))
    def attempt(junk):
        # Deleting is allowed (302): the check is only that nothing else breaks.
        post_and_check("entry delete", lambda: signed_in.post(url, junk), accepted=lambda r: True)

    attempt()


def test_change_username_survives_generated_input(signed_in, member):
    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data({"username": HOSTILE_TEXT}, data.draw)
        post_and_check(
            "change username", lambda: signed_in.post(reverse("members:change_username"), fields)
        )

    attempt()


def test_change_password_survives_generated_input(signed_in, password):
    @HOSTILE
    @given(data=st.data(), old_is_right=st.booleans())
    def attempt(data, old_is_right):
        fields = form_data(
            {"old_password": HOSTILE_TEXT, "new_password1": ANYTHING, "new_password2": ANYTHING},
            data.draw,
        )
        if old_is_right:
            fields["old_password"] = password
        post_and_check(
            "change password", lambda: signed_in.post(reverse("members:change_password"), fields)
        )

    attempt()


@pytest.mark.parametrize(
    ("form", "url"),
    [("password reset", "/accounts/password/reset/"), ("find my account", "/accounts/find/")],
)
def test_account_email_forms_survive_generated_input(member, settings, form, url):
    settings.ACCOUNT_EMAIL_RATE_LIMIT = 10_000
    emails = st.one_of(HOSTILE_TEXT, st.emails().map(str), st.just("PAT@example.org"))

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data({"email": emails}, data.draw)
        # Both answer "if an account uses that address..." and change no table.
        post_and_check(form, lambda: Client().post(url, fields), accepted=NEVER)

    attempt()


def test_setting_a_new_password_from_the_emailed_link_survives_generated_input(member):
    uid = urlsafe_base64_encode(force_bytes(member.pk))
    token = default_token_generator.make_token(member)

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data({"new_password1": ANYTHING, "new_password2": ANYTHING}, data.draw)

        def send():
            client = Client()
            page = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
            return client.post(page.redirect_chain[-1][0], fields)

        post_and_check("password reset confirm", send)

    attempt()


def test_the_reset_link_itself_survives_generated_tokens(db):
    @HOSTILE
    @given(uid=HOSTILE_TEXT, token=HOSTILE_TEXT)
    def attempt(uid, token):
        uid, token = quote(uid, safe="") or "x", quote(token, safe="") or "x"
        url = f"/accounts/password/reset/{uid}/{token}/"
        post_and_check("password reset link", lambda: Client().get(url), accepted=NEVER)

    attempt()


def test_the_extension_request_survives_generated_input(signed_in):
    """The member holds no NAMSS credential, so nothing posted here can request an extension."""

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data({"report": ANYTHING}, data.draw)
        post_and_check(
            "extension request",
            lambda: signed_in.post(reverse("lifecycle:extension"), fields),
            accepted=NEVER,
        )

    attempt()


def test_the_verify_lookup_survives_generated_input(client, settings, world):
    settings.VERIFY_RATE_LIMIT = 1_000_000
    designations = st.one_of(HOSTILE_TEXT, st.sampled_from(["CPCS", "IPMA-SCP", "CHMM"]))

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        params = form_data(
            {"code": HOSTILE_TEXT, "last_name": HOSTILE_TEXT, "designation": designations},
            data.draw,
        )
        response = post_and_check(
            "verify lookup", lambda: client.get("/verify/", params), accepted=NEVER
        )
        assert b"pat@example.org" not in response.content  # never a member's email address

    attempt()


def test_the_verify_code_page_survives_generated_codes(client, settings, world):
    settings.VERIFY_RATE_LIMIT = 1_000_000

    @HOSTILE
    @given(code=st.one_of(HOSTILE_TEXT, st.just(world["certificate"].code.lower())))
    def attempt(code):
        url = "/verify/" + (quote(code.replace("/", ""), safe="") or "x") + "/"
        post_and_check("verify code page", lambda: client.get(url), accepted=NEVER)

    attempt()


def test_the_pay_page_survives_generated_input(signed_in, world, stripe_on):
    invoice = world["open_invoice"]
    url = reverse("payments:pay", args=[invoice.number])
    intents = st.one_of(HOSTILE_TEXT, HOSTILE_TEXT.map(lambda s: "seti_" + s))

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data({"setup_intent": intents}, data.draw)
        # Not a SetupIntent of this member's, confirmed at Stripe: refused with a message.
        post_and_check("pay", lambda: signed_in.post(url, fields), accepted=NEVER)
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.OPEN

    attempt()


def test_the_payment_return_page_survives_generated_input(signed_in, world):
    url = reverse("payments:pay_return", args=[world["open_invoice"].number])

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        params = form_data({"payment_intent": HOSTILE_TEXT}, data.draw)
        post_and_check("pay return", lambda: signed_in.get(url, params), accepted=NEVER)

    attempt()


def test_sign_in_never_sends_the_member_to_another_site(member, password):
    """The `next` parameter after a successful sign-in: an open redirect would make phishing easy."""
    targets = st.one_of(
        HOSTILE_TEXT,
        st.sampled_from(
            [
                "//evil.example/",
                "https://evil.example/",
                "http:evil.example",
                "/\\evil.example",
                "\\\\evil.example",
                "///evil.example",
                " //evil.example",
                "https:/evil.example",
                "javascript:alert(1)",
                "/%2F%2Fevil.example",
                "\t//evil.example",
            ]
        ),
    )

    @HOSTILE
    @given(target=targets)
    def attempt(target):
        response = post_and_check(
            "sign-in next",
            lambda: Client().post(
                f"/accounts/login/?next={quote(target, safe='')}",
                {"username": "pat.member", "password": password},
            ),
            accepted=lambda r: True,  # signing in changes last_login
        )
        if "\x00" in target:
            assert response.status_code == 400  # a NUL in the address: refused before sign-in
            return
        assert response.status_code == 302
        # Read the address the way a browser does: backslashes as slashes, tabs and line breaks
        # dropped, leading spaces and control characters trimmed.
        location = response["Location"].replace("\\", "/")
        location = re.sub(r"[\t\n\r]", "", location).lstrip("".join(map(chr, range(33))))
        landed = urlsplit(urljoin("http://testserver/accounts/login/", location))
        assert landed.scheme in ("http", "https") and landed.netloc == "testserver", location

    attempt()


def test_every_member_address_survives_generated_arguments(signed_in, settings):
    """The objects named in addresses (invoice numbers, ids, codes, tokens), generated: NUL
    bytes, huge numbers, unicode. A 404 or a refusal, never a server error."""
    from .urlwalk import member_routes_with_objects

    settings.VERIFY_RATE_LIMIT = 1_000_000
    routes = sorted(member_routes_with_objects(), key=lambda r: r.name)
    values = st.one_of(ANYTHING, st.integers(-(2**80), 2**80).map(str), st.just("\x00"))

    @HOSTILE
    @given(route=st.sampled_from(routes), data=st.data())
    def attempt(route, data):
        url = "/" + route.route
        for argument in route.arguments:
            value = data.draw(values, label=argument).replace("/", "") or "x"
            url = re.sub(rf"<(?:\w+:)?{argument}>", quote(value, safe=""), url)
        post_and_check("addresses (member URLs)", lambda: signed_in.get(url), accepted=NEVER)

    attempt()


# --- the staff forms in the admin -------------------------------------------------------------------


@pytest.fixture
def staff_client(world):
    client = Client()
    client.force_login(
        world["office"]
    )  # a superuser: every form is open, only validation stops input
    return client


@pytest.fixture
def submitted(world, member):
    """The world's report, submitted, with its invoice open."""
    from tests.staff.conftest import fill, submit

    report = world["report"]
    fill(report)
    report = submit(report)
    assert report.status == Report.Status.PAYMENT_DUE
    return report


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_report_action_forms_survive_generated_reasons(staff_client, submitted, action):
    url = reverse("admin:recertification_report_action", args=[submitted.pk, action])

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data({"reason": HOSTILE_TEXT}, data.draw)
        response = post_and_check(
            f"report action: {action}", lambda: staff_client.post(url, fields)
        )
        if ACTIONS[action].reason_required and not str(fields.get("reason") or "").strip():
            assert response.status_code == 200  # refused: a reason is required

    attempt()


def test_the_audit_decision_form_survives_generated_input(staff_client, submitted):
    entry = submitted.entries.first()
    url = reverse("admin:recertification_report_audit", args=[submitted.pk])
    decisions = st.one_of(HOSTILE_TEXT, st.sampled_from(["accepted", "rejected"]))
    management = {
        "audit-TOTAL_FORMS": "1",
        "audit-INITIAL_FORMS": "1",
        "audit-MIN_NUM_FORMS": "0",
        "audit-MAX_NUM_FORMS": "1000",
    }

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data(
            {"audit-0-entry": st.one_of(HOSTILE_TEXT, st.just(str(entry.pk))),
             "audit-0-decision": decisions, "audit-0-reason": HOSTILE_TEXT},
            data.draw,
        )  # fmt: skip
        post_and_check("audit decision", lambda: staff_client.post(url, {**management, **fields}))

    attempt()


PAPER_FIELDS = ["kind", "date", "year", "quantity", "organization", "group", "approved", "title"]


def test_the_paper_report_form_survives_generated_input(staff_client, world):
    credential = world["credential"]
    credential.status = Credential.Status.LAPSED
    credential.save(update_fields=["status"])
    url = reverse("admin:members_credential_paper_report", args=[credential.pk])
    kinds = st.one_of(
        HOSTILE_TEXT, st.sampled_from([k.code for k in rules.get_program("ipma-hr").kinds])
    )
    # Large counts are clipped by the formset (at most 200 rows); one sample of those is enough.
    counts = st.one_of(
        st.integers(-5, 12).map(str), st.sampled_from(["", "-1", "100000"]), HOSTILE_TEXT
    )

    @HOSTILE
    @given(data=st.data(), rows=st.integers(0, 3))
    def attempt(data, rows):
        fields = form_data(
            {
                "signed_on": HOSTILE_DATE,
                "reason": HOSTILE_TEXT,
                "check_number": HOSTILE_TEXT,
                "check_date": HOSTILE_DATE,
                "amount": HOSTILE_NUMBER,
                "received_on": HOSTILE_DATE,
                "entries-INITIAL_FORMS": HOSTILE_NUMBER,
                "entries-MIN_NUM_FORMS": HOSTILE_NUMBER,
                "entries-MAX_NUM_FORMS": HOSTILE_NUMBER,
            },
            data.draw,
        )
        button = data.draw(st.sampled_from(["_preview", "_save", "_more"]), label="button")
        fields[button] = "1"
        fields["entries-TOTAL_FORMS"] = data.draw(counts, label="total")
        for row in range(rows):
            strategies = {f"entries-{row}-{n}": ANYTHING for n in PAPER_FIELDS}
            strategies[f"entries-{row}-kind"] = kinds
            fields |= form_data(strategies, data.draw)
        if data.draw(st.booleans(), label="scan"):
            scan = SimpleUploadedFile("scan.pdf", data.draw(st.binary(max_size=200), label="bytes"))
            scan._name = data.draw(HOSTILE_TEXT, label="scan name")[:200]  # any name at all
            fields["scanned_file"] = scan
        post_and_check("paper report", lambda: staff_client.post(url, fields))

    attempt()


def test_more_rows_with_a_broken_form_count_is_refused(staff_client, world):
    credential = world["credential"]
    credential.status = Credential.Status.LAPSED
    credential.save(update_fields=["status"])
    url = reverse("admin:members_credential_paper_report", args=[credential.pk])
    client = Client(raise_request_exception=False)
    client.force_login(world["office"])
    response = client.post(url, {"_more": "1", "entries-TOTAL_FORMS": "abc"})
    assert response.status_code in (200, 400)


CSV_CELLS = st.one_of(
    HOSTILE_TEXT.map(lambda s: s.replace("\x00", "")),
    st.sampled_from(["national", "chapter", "agency", "chair", "member", "2024", "10000001"]),
)


@pytest.mark.parametrize("roster", ["membershiprecord", "committeerecord"])
def test_roster_import_survives_generated_files(staff_client, world, roster):
    url = f"/admin/members/{roster}/import/"
    header = st.sampled_from(
        [
            "member_number,email,kind,organization,year",
            "member_number,email,committee,role,year",
            "",
            "=cmd|' /C calc'!A0,email",
        ]
    )

    @HOSTILE
    @given(
        head=header,
        rows=st.lists(st.lists(CSV_CELLS, max_size=6), max_size=8),
        name=HOSTILE_TEXT,
        encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "binary"]),
    )
    def attempt(head, rows, name, encoding):
        text = "\n".join([head, *(",".join(cells) for cells in rows)])
        if encoding == "binary":
            content = bytes(range(256)) * 3
        else:
            content = text.encode(encoding, errors="replace")
        upload = SimpleUploadedFile("roster.csv", content, content_type="text/csv")
        upload._name = name[:200]  # any name a browser could send, past the test client's check
        # The preview is a dry run: nothing is saved, whatever the file.
        post_and_check(
            "roster import preview",
            lambda: staff_client.post(url, {"file": upload}),
            accepted=NEVER,
        )

    attempt()


def test_a_roster_with_a_carriage_return_in_a_cell_is_refused(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["office"])
    text = "member_number,email,kind,organization,year\n\r0,,national,,2024\n"
    upload = SimpleUploadedFile("roster.csv", text.encode(), content_type="text/csv")
    response = client.post("/admin/members/membershiprecord/import/", {"file": upload})
    assert response.status_code == 200


def test_roster_apply_survives_generated_tokens(staff_client, world):
    url = "/admin/members/membershiprecord/import/"

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data({"token": HOSTILE_TEXT, "reason": HOSTILE_TEXT}, data.draw)
        fields.setdefault("token", "")
        # A token that is not signed by the portal is refused; nothing is applied.
        post_and_check(
            "roster import apply", lambda: staff_client.post(url, fields), accepted=NEVER
        )

    attempt()


CHECK_FIELDS = {
    "check_number": HOSTILE_TEXT,
    "check_date": HOSTILE_DATE,
    "amount": HOSTILE_NUMBER,
    "received_on": HOSTILE_DATE,
}


def test_record_check_survives_generated_input(staff_client, world):
    invoice = world["open_invoice"]
    url = reverse("admin:payments_invoice_record_check", args=[invoice.pk])

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data(CHECK_FIELDS, data.draw)
        post_and_check("record check", lambda: staff_client.post(url, fields))

    attempt()


def test_add_payment_by_invoice_number_survives_generated_input(staff_client, world):
    numbers = st.one_of(HOSTILE_TEXT, st.just(world["open_invoice"].number.lower()))

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data(CHECK_FIELDS | {"invoice_number": numbers}, data.draw)
        post_and_check(
            "add payment", lambda: staff_client.post("/admin/payments/payment/add/", fields)
        )

    attempt()


def test_cancel_and_refund_survive_generated_input(staff_client, world):
    cancel = reverse("admin:payments_invoice_cancel", args=[world["open_invoice"].pk])
    refund = reverse("admin:payments_invoice_refund", args=[world["paid_invoice"].pk])
    payments = st.one_of(ANYTHING, st.just(str(world["paid_invoice"].payments.first().pk)))

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data({"reason": HOSTILE_TEXT, "payment": payments}, data.draw)
        post_and_check("cancel invoice", lambda: staff_client.post(cancel, fields))
        post_and_check("refund", lambda: staff_client.post(refund, fields))

    attempt()


def test_fee_settings_survive_generated_input(staff_client, world):
    from recertification.models import ProgramSettings

    row = ProgramSettings.objects.first()
    url = reverse("admin:recertification_programsettings_change", args=[row.pk])
    fields_of = {
        "program": HOSTILE_TEXT,
        "currency": HOSTILE_TEXT,
        "recertification_fee": HOSTILE_NUMBER,
        "late_fee": HOSTILE_NUMBER,
        "extension_fee": HOSTILE_NUMBER,
        "reinstatement_fee": HOSTILE_NUMBER,
        "audit_rate": HOSTILE_NUMBER,
        "change_reason": HOSTILE_TEXT,
    }

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data(fields_of, data.draw)
        response = post_and_check("fee settings", lambda: staff_client.post(url, fields))
        if response.status_code == 302:
            saved = ProgramSettings.objects.get(pk=row.pk)
            assert saved.recertification_fee >= 0 and saved.late_fee >= 0

    attempt()


def test_the_credential_change_form_survives_generated_input(staff_client, world):
    credential = world["credential"]
    url = reverse("admin:members_credential_change", args=[credential.pk])
    page = staff_client.get(url).content.decode()
    names = sorted(set(re.findall(r'name="([a-z_]+)"', page)) - {"csrfmiddlewaretoken"})
    assert "change_reason" in names

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data(dict.fromkeys(names, ANYTHING), data.draw)
        response = post_and_check("credential change", lambda: staff_client.post(url, fields))
        if response.status_code == 302:
            saved = Credential.objects.get(pk=credential.pk)
            assert saved.cycle_end > saved.cycle_start

    attempt()


def test_the_member_change_form_survives_generated_input(staff_client, world, member):
    url = reverse("admin:members_user_change", args=[member.pk])
    fields_of = dict.fromkeys(
        [
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "organization",
            "street",
            "city",
            "state",
            "postal_code",
            "country",
            "is_active",
            "change_reason",
            "credentials-TOTAL_FORMS",
            "credentials-INITIAL_FORMS",
        ],
        ANYTHING,
    )

    @HOSTILE
    @given(data=st.data())
    def attempt(data):
        fields = form_data(fields_of, data.draw)
        post_and_check("member change", lambda: staff_client.post(url, fields))

    attempt()


def test_hostile_entries_show_escaped_on_the_staff_review_page(staff_client, world, member):
    """What members type is shown to staff: it must be text there, never markup or a formula."""
    EntryFactory(
        member=member,
        reports=[world["report"]],
        details={"title": '<script>alert("x")</script>', "sponsor": "=HYPERLINK(1)"},
    )
    page = staff_client.get(
        reverse("admin:recertification_report_change", args=[world["report"].pk])
    )
    assert b'<script>alert("x")</script>' not in page.content
    assert b"&lt;script&gt;" in page.content


def test_admin_lists_survive_generated_search_and_filters(staff_client, world):
    """Every list in the admin, searched and filtered with generated values (the review queue's
    invoice-number and member-number searches, its EXISTS filters, dates, statuses)."""
    from django.contrib.admin.sites import site

    lists = sorted(
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in site._registry
    )
    filters = st.sampled_from(
        ["q", "status", "program", "paid", "o", "p", "e", "submitted_at__gte", "designation",
         "selected_for_audit__exact", "kind", "year", "all", "_changelist_filters"]
    )  # fmt: skip

    @HOSTILE
    @given(url=st.sampled_from(lists), params=st.dictionaries(filters, ANYTHING, max_size=3))
    def attempt(url, params):
        post_and_check("admin list search and filters", lambda: staff_client.get(url, params))

    attempt()


def test_bulk_actions_survive_generated_reasons(staff_client, submitted):
    url = reverse("admin:recertification_report_changelist")
    actions = st.sampled_from(
        ["bulk_approve", "bulk_return", "bulk_waive_fee", "bulk_select_audit", "bulk_clear_audit"]
    )
    selected = st.one_of(
        st.just([str(submitted.pk)]),
        st.lists(st.integers(-(2**70), 2**70).map(str), max_size=3),
        st.lists(HOSTILE_TEXT, max_size=3),
    )

    @HOSTILE
    @given(action=st.one_of(actions, HOSTILE_TEXT), chosen=selected, data=st.data())
    def attempt(action, chosen, data):
        fields = {"action": action, "_selected_action": chosen, "apply": "1", "index": "0"}
        fields |= form_data({"reason": HOSTILE_TEXT}, data.draw)
        post_and_check(
            "review queue bulk actions",
            lambda: staff_client.post(url, fields),
            accepted=lambda r: r.status_code == 302,
        )

    attempt()


def test_a_bulk_action_on_a_row_id_that_is_not_a_number_is_refused(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["office"])
    response = client.post(
        reverse("admin:recertification_report_changelist"),
        {"action": "export_csv", "_selected_action": ["x"], "index": "0"},
    )
    assert response.status_code < 500


@pytest.mark.parametrize("row_id", [str(2**63), str(2**70), "٣", "１２"])
def test_a_bulk_action_on_a_row_id_out_of_range_or_in_other_digits_is_refused(world, row_id):
    client = Client(raise_request_exception=False)
    client.force_login(world["office"])
    response = client.post(
        reverse("admin:recertification_report_changelist"),
        {"action": "bulk_approve", "_selected_action": [row_id], "index": "0"},
    )
    assert response.status_code in (200, 302)
