"""Generated hostile input posted to the member's main forms (every entry form of every program,
submission, uploads, sign-up, profile, sign-in): never a server error, nothing half-written.
The other forms are in test_hostile_forms.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from core.models import AuditLog
from members.models import User
from recertification.models import Entry, Report
from tests.factories import CredentialFactory, UserFactory
from tests.recertification.helpers import all_groups

from .conftest import EXAMPLES_PER_FORM, HOSTILE, changed_tables, db_fingerprint, tried
from .hostile import ANYTHING, HOSTILE_TEXT, form_data, post_and_check

# Examples per form: HOSTILE_EXAMPLES (tests/security/conftest.py); the strategies are shared.
FAST = HOSTILE
# The portal page renders every entry form of every program, so each of the 13 entry forms gets
# a third of the examples (at least 8).
PER_ENTRY_FORM = settings(HOSTILE, max_examples=max(8, EXAMPLES_PER_FORM // 3))
GROUPS = all_groups()


@pytest.fixture
def three_programs(db):
    member = UserFactory(username="hostile.member")
    CredentialFactory(holder=member, program="ipma-hr", designation="IPMA-SCP")
    CredentialFactory(
        holder=member,
        program="namss",
        designation="CPCS",
        cycle_start=dt.date(2023, 12, 2),
        cycle_end=dt.date(2026, 12, 1),
        certified_since=dt.date(2023, 12, 2),
    )
    CredentialFactory(
        holder=member,
        program="ihmm",
        designation="CHMM",
        cycle_start=dt.date(2022, 3, 1),
        cycle_end=dt.date(2027, 2, 28),
        certified_since=dt.date(2022, 3, 1),
    )
    client = Client()
    client.force_login(member)
    client.get("/recertification/")
    return client


@pytest.mark.usefixtures("frozen_today")
@pytest.mark.parametrize("group", [g for _p, g in GROUPS], ids=[g.key for _p, g in GROUPS])
def test_every_entry_form_survives_generated_input(three_programs, group):
    names = ["kind", "credentials", *(spec.name for spec in group.fields)]

    @PER_ENTRY_FORM
    @given(data=st.data())
    def attempt(data):
        post = {"form": data.draw(st.one_of(st.just(group.key), HOSTILE_TEXT), label="form")}
        post |= form_data({f"{group.key}-{n}": ANYTHING for n in names}, data.draw)

        def send():
            entries = Entry.objects.count()
            response = three_programs.post("/recertification/", post)
            if response.status_code == 302 and Entry.objects.count() == entries + 1:
                assert AuditLog.objects.filter(action="created").count() >= 1
            return response

        before = db_fingerprint()
        post_and_check(
            f"entry form {group.key}",
            send,
            accepted=lambda r: r.status_code == 302 and "entries" in r.get("Location", ""),
        )
        assert changed_tables(before, db_fingerprint()) == []  # each example is rolled back

    attempt()


def snapshot():
    return (Entry.objects.count(), Report.objects.count(), AuditLog.objects.count())


class PortalFormsUnderHostileInput(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.member = UserFactory(username="hostile.member")
        CredentialFactory(holder=cls.member, program="ipma-hr", designation="IPMA-SCP")
        CredentialFactory(
            holder=cls.member,
            program="namss",
            designation="CPCS",
            cycle_start=dt.date(2023, 12, 2),
            cycle_end=dt.date(2026, 12, 1),
            certified_since=dt.date(2023, 12, 2),
        )
        CredentialFactory(
            holder=cls.member,
            program="ihmm",
            designation="CHMM",
            cycle_start=dt.date(2022, 3, 1),
            cycle_end=dt.date(2027, 2, 28),
            certified_since=dt.date(2022, 3, 1),
        )

    def setUp(self):
        self.client = Client()
        self.client.force_login(self.member)
        self.client.get("/recertification/")

    @FAST
    @given(agreement=HOSTILE_TEXT, report=HOSTILE_TEXT, date_agreed=HOSTILE_TEXT)
    def test_the_submission_form_survives_generated_input(self, agreement, report, date_agreed):
        tried("submission")
        before = snapshot()
        response = self.client.post(
            "/recertification/submit/",
            {"agreement": agreement, "report": report, "date_agreed": date_agreed},
        )
        assert response.status_code in (200, 302)
        assert snapshot()[:2] == before[:2]
        assert not Report.objects.exclude(status=Report.Status.OPEN).exists()

    @FAST
    @given(entry=HOSTILE_TEXT)
    def test_the_uploads_form_survives_generated_input(self, entry):
        tried("uploads (entry field)")
        response = self.client.post("/recertification/uploads/", {"entry": entry})
        assert response.status_code in (200, 302, 404)


class AccountFormsUnderHostileInput(TestCase):
    @FAST
    @given(
        first=HOSTILE_TEXT,
        last=HOSTILE_TEXT,
        email=HOSTILE_TEXT,
        confirm=HOSTILE_TEXT,
        password=HOSTILE_TEXT,
        organization=HOSTILE_TEXT,
    )
    def test_sign_up_survives_generated_input(
        self, first, last, email, confirm, password, organization
    ):
        tried("sign up")
        before = User.objects.count()
        response = Client().post(
            "/accounts/signup/",
            {
                "first_name": first,
                "last_name": last,
                "email": email,
                "confirm_email": confirm,
                "password1": password,
                "password2": password,
                "organization": organization,
            },
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert User.objects.count() == before

    @FAST
    @given(
        fields=st.dictionaries(
            st.sampled_from(
                [
                    "first_name",
                    "last_name",
                    "street",
                    "city",
                    "state",
                    "postal_code",
                    "country",
                    "phone",
                    "email",
                    "organization",
                    "current_password",
                ]
            ),
            HOSTILE_TEXT,
        )
    )
    def test_profile_survives_generated_input(self, fields):
        tried("profile")
        member = UserFactory()
        client = Client()
        client.force_login(member)
        before = User.objects.values().get(pk=member.pk)
        response = client.post("/profile/", fields)
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert User.objects.values().get(pk=member.pk) == before

    @FAST
    @given(username=HOSTILE_TEXT, password=HOSTILE_TEXT)
    def test_sign_in_survives_generated_input(self, username, password):
        tried("sign in")
        response = Client().post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code in (200, 429)
