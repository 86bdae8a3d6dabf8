"""`load_demo` adds a CE provider with a login and reported attendance, so a newcomer sees
pending credits at once; running it again duplicates nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from members.models import User
from providers.models import Completion, Provider

pytestmark = pytest.mark.django_db


def test_the_demo_provider_reports_attendance_for_every_demo_member(capsys):
    call_command("load_demo")
    call_command("load_demo")
    output = capsys.readouterr().out
    assert "provider" in output and "CE provider" in output
    provider = Provider.objects.get()
    user = User.objects.get(username="provider")
    assert user.provider_link.provider == provider
    assert user.check_password("demo-portal")
    assert sorted(provider.program_codes()) == ["ihmm", "ipma-hr", "namss"]
    pending = Completion.objects.filter(status=Completion.Status.PENDING)
    assert sorted(pending.values_list("member__username", flat=True)) == [
        "ihmm.member",
        "ipma.member",
        "namss.member",
    ]
    unmatched = Completion.objects.get(status=Completion.Status.UNMATCHED)
    assert unmatched.unmatched_reason
    assert Completion.objects.count() == 4
