"""Two-step sign-in: staff cannot open the admin without it in production settings; members may
turn it on, and then every sign-in asks for the code; recovery codes work once each."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditLog
from tests.staff_personas import staff_in

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def code_for(device: TOTPDevice, *, later: bool = False) -> str:
    """The app's code now, or (later) the next one: a code is accepted once, so a second sign-in
    within the same 30 seconds gives the next code, as the app would show it by then."""
    value = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=int(later)
    )
    return f"{value:06d}"


def sign_in(client, user) -> None:
    user.set_password(PASSWORD)
    user.save()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def set_up(client, user) -> list[str]:
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert "<svg" in page  # the QR code, drawn inline
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert done.status_code == 200
    return re.findall(r"<li>([0-9a-z]{8})</li>", done.content.decode())


@pytest.fixture
def production_two_factor(settings):
    settings.STAFF_TWO_FACTOR = True


def test_production_settings_require_it_for_staff():
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org",
           "SITE_URL": "https://example.org", "DJANGO_SETTINGS_MODULE": "recert_portal.settings"}  # fmt: skip
    env.pop("STAFF_TWO_FACTOR", None)
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.STAFF_TWO_FACTOR)"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "True"


def test_staff_without_it_are_sent_to_set_it_up_before_any_admin_page(production_two_factor):
    client = Client()
    staff = staff_in("Reviewer", username="rita.twostep")
    sign_in(client, staff)
    response = client.get("/admin/recertification/report/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor"))
    follow = client.get(response.url)
    assert follow.status_code == 302 and follow.url.startswith(reverse("two_factor_setup"))
    codes = set_up(client, staff)
    assert len(codes) == 10
    assert client.get("/admin/recertification/report/").status_code == 200
    assert AuditLog.objects.filter(action="two-step sign-in set up").exists()


def test_staff_with_it_give_the_code_at_every_sign_in(production_two_factor):
    staff = staff_in("Finance", username="fran.twostep")
    first = Client()
    sign_in(first, staff)
    set_up(first, staff)
    second = Client()
    sign_in(second, staff)
    assert second.get("/admin/").url.startswith(reverse("two_factor"))
    wrong = second.post(reverse("two_factor"), {"code": "000000"})
    assert "not right" in wrong.content.decode()
    assert second.get("/admin/").status_code == 302
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    # A wrong code slows the next try down (django-otp's throttling): half a minute later, the
    # app's new code is accepted.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=31), tick=False):
        second.post(reverse("two_factor"), {"code": code_for(device), "next": "/admin/"})
        assert second.get("/admin/").status_code == 200


def test_a_recovery_code_works_once(production_two_factor):
    staff = staff_in("Reviewer", username="rory.recovery")
    setup_client = Client()
    sign_in(setup_client, staff)
    codes = set_up(setup_client, staff)
    one = Client()
    sign_in(one, staff)
    one.post(reverse("two_factor"), {"code": codes[0]})
    assert one.get("/admin/").status_code == 200
    two = Client()
    sign_in(two, staff)
    refused = two.post(reverse("two_factor"), {"code": codes[0]})
    assert "not right" in refused.content.decode()


def test_a_member_who_turned_it_on_is_asked_for_the_code(member):
    # Time stands still: a code made just before a 30-second step ends and checked just after it
    # moves the device's drift, and the next code would no longer be the one expected.
    with time_machine.travel(dt.datetime(2026, 11, 2, 12, 0, 5, tzinfo=dt.UTC), tick=False):
        asked_for_the_code(member)


def asked_for_the_code(member) -> None:
    client = Client()
    sign_in(client, member)
    assert client.get("/recertification/").status_code == 200  # optional for members
    set_up(client, member)
    again = Client()
    sign_in(again, member)
    response = again.get("/recertification/")
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor"))
    device = TOTPDevice.objects.get(user=member, confirmed=True)
    again.post(reverse("two_factor"), {"code": code_for(device, later=True)})
    assert again.get("/recertification/").status_code == 200


def test_a_next_address_off_the_site_is_not_followed(member):
    client = Client()
    sign_in(client, member)
    set_up(client, member)
    again = Client()
    sign_in(again, member)
    device = TOTPDevice.objects.get(user=member, confirmed=True)
    response = again.post(
        reverse("two_factor"),
        {"code": code_for(device, later=True), "next": "https://evil.example/"},
    )
    assert response.url == reverse("home")


def test_a_member_turns_it_off_with_their_password(member):
    client = Client()
    sign_in(client, member)
    set_up(client, member)
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert "Turn off two-step sign-in" in page
    wrong = client.post(reverse("two_factor_off"), {"password": "nope"}, follow=True)
    assert "not right" in wrong.content.decode()
    assert TOTPDevice.objects.filter(user=member, confirmed=True).exists()
    client.post(reverse("two_factor_off"), {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=member, confirmed=True).exists()
    again = Client()
    sign_in(again, member)
    assert again.get("/recertification/").status_code == 200  # the password alone again


def test_staff_cannot_turn_it_off_where_it_is_required(production_two_factor):
    staff = staff_in("Reviewer", username="rosa.off")
    client = Client()
    sign_in(client, staff)
    set_up(client, staff)
    assert (
        "Turn off two-step sign-in" not in client.get(reverse("two_factor_setup")).content.decode()
    )
    client.post(reverse("two_factor_off"), {"password": PASSWORD})
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
