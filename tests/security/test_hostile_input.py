"""Generated hostile input posted to every member form: never a server error, nothing half-written."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from members.models import User
from recertification.models import AuditLog, Entry, Report
from tests.factories import CredentialFactory, UserFactory
from tests.recertification.helpers import all_groups

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(min_size=140, max_size=400),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\r\n",
            "<script>alert(1)</script>",
            "'; DROP TABLE entries; --",
            "=cmd|' /C calc'!A0",
            "../../etc/passwd",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓ ünïcödé 中文",
            "\u202e\u200b",
            "9" * 400,
            "-1",
            "0",
            "1e309",
            "NaN",
            "Infinity",
            "-0.0001",
            "2024-02-30",
            "0000-00-00",
            "9999-12-31",
            "12/31/2024",
            "2024",
            "99999999999999999999",
            "yes",
            "on",
        ]
    ),
)
FAST = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


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
    @given(data=st.data())
    def test_every_entry_form_survives_generated_input(self, data):
        _program, group = data.draw(st.sampled_from(all_groups()), label="form")
        post = {"form": group.key}
        names = ["kind", *(spec.name for spec in group.fields)]
        for name in names:
            if data.draw(st.booleans(), label=f"send {name}"):
                post[f"{group.key}-{name}"] = data.draw(HOSTILE_TEXT, label=name)
        before = snapshot()
        response = self.client.post("/recertification/", post)
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:
            assert snapshot() == before, "an invalid post changed the database"
        else:
            entries, reports, logs = snapshot()
            assert entries == before[0] + 1 and logs == before[2] + 1

    @FAST
    @given(agreement=HOSTILE_TEXT, report=HOSTILE_TEXT, date_agreed=HOSTILE_TEXT)
    def test_the_submission_form_survives_generated_input(self, agreement, report, date_agreed):
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
        response = Client().post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code in (200, 429)
