"""A certificate carries the name it was issued in: renaming oneself afterwards changes neither
the PDF, the Open Badge nor /verify/; name changes are audited, and staff confirm a change of
legal name onto a certificate (audited, the old name kept in the history)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditLog
from lifecycle import certificates
from tests.members.test_profile import profile_data
from tests.staff_personas import staff_in

from .conftest import on
from .test_certificates import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(credential_in, member):
    credential = credential_in("namss")
    with on(dt.date(2026, 6, 1)):
        return certificates.certificate_issue(credential=credential)


def _rename(client, member, first: str, last: str):
    response = client.post(
        reverse("members:profile"), profile_data(member, first_name=first, last_name=last)
    )
    assert response.status_code == 302


def test_a_renamed_member_s_certificate_keeps_the_issued_name(member_client, member, certificate):
    issued = member.get_full_name()
    assert certificate.holder_name == issued
    _rename(member_client, member, "Mallory", "Borrowed")

    pdf = member_client.get(reverse("lifecycle:certificate_pdf", args=[certificate.pk])).content
    assert issued in pdf_text(pdf) and "Borrowed" not in pdf_text(pdf)
    badge = member_client.get(reverse("lifecycle:certificate_badge", args=[certificate.pk]))
    assert "Borrowed" not in badge.content.decode() and issued in badge.content.decode()
    public = Client().get(f"/verify/{certificate.code}/").content.decode()
    assert issued in public and "Borrowed" not in public


def test_a_name_change_is_audited(member_client, member):
    before = member.first_name
    _rename(member_client, member, "Patricia", "Member")
    record = AuditLog.objects.filter(action="name changed", object_id=str(member.pk)).get()
    assert before in json.dumps(record.before) and "Patricia" in json.dumps(record.after)


def test_the_member_is_told_the_certificate_keeps_its_name(member_client, member, certificate):
    response = member_client.post(
        reverse("members:profile"),
        profile_data(member, first_name="Patricia"),
        follow=True,
    )
    assert "staff confirm" in response.content.decode()


def test_staff_confirm_the_new_name_onto_the_certificate(client, member, certificate):
    member.first_name = "Patricia"
    member.save()
    admin = staff_in("Administrator", username="ada.names")
    client.force_login(admin)
    listing = client.get("/admin/lifecycle/certificate/?name=differs").content.decode()
    assert certificate.display_code in listing
    response = client.post(
        "/admin/lifecycle/certificate/",
        {"action": "use_current_name", "_selected_action": [certificate.pk]},
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.holder_name == member.get_full_name()
    record = AuditLog.objects.filter(action="name on certificate changed").get()
    assert record.actor == admin
