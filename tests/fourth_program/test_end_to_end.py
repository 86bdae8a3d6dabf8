"""A program declared only in the test suite works end to end: its portal page and entries, its
invoice, and the lifecycle command (reminders on its days, lapse, termination after its grace
period). Nothing outside its module names it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from demo.entries import add_entry
from members.models import Credential, Notification
from payments.models import Invoice
from recertification import rules, services
from recertification.forms import form_groups
from recertification.models import Entry, Report
from tests.factories import CredentialFactory
from tests.lifecycle.conftest import on
from tests.recertification.helpers import valid_post

from .program import CODE, PROGRAM

pytestmark = pytest.mark.django_db

CYCLE = {"cycle_start": dt.date(2025, 1, 1), "cycle_end": dt.date(2026, 12, 31)}


@pytest.fixture(autouse=True)
def fourth_program():
    rules.register(PROGRAM)
    yield PROGRAM
    rules.unregister(CODE)


@pytest.fixture
def practitioner(member):
    return CredentialFactory(
        holder=member,
        program=CODE,
        designation="EX-CPD",
        certified_since=dt.date(2023, 1, 1),
        **CYCLE,
    )


def _add_hours(member, credential, hours: str, day: dt.date, title: str) -> None:
    add_entry(
        member, [credential], "cpd.course", {"title": title}, date=day, quantity=Decimal(hours)
    )


def test_the_portal_shows_the_program_and_saves_its_entries(member_client, member, practitioner):
    with on(dt.date(2026, 6, 1)):
        page = member_client.get("/recertification/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Example CPD Board" in html and "Course or workshop" in html

        group = form_groups(PROGRAM)[0]
        data = valid_post(group, dt.date(2026, 5, 1), **{"quantity": "6.5"})
        response = member_client.post("/recertification/", data, follow=True)

    assert response.status_code == 200
    entry = Entry.objects.get(member=member)
    assert (entry.kind, entry.quantity) == ("cpd.course", Decimal("6.5"))
    assert "6.5" in response.content.decode()


def test_the_public_rules_page_lists_its_categories_and_fees(client):
    page = client.get(f"/rules/{CODE}/")
    assert page.status_code == 200
    assert "Structured learning" in page.content.decode()


@pytest.mark.parametrize(
    ("submitted_on", "lines"),
    [
        (dt.date(2026, 12, 1), ["recertification"]),
        (dt.date(2027, 1, 15), ["recertification", "late"]),
    ],
)
def test_a_submission_is_invoiced_with_the_programs_fees(member, practitioner, submitted_on, lines):
    with on(dt.date(2026, 6, 1)):
        services.reports_ensure_open(member=member)
        _add_hours(member, practitioner, "12", dt.date(2026, 3, 1), "Ethics")
        _add_hours(member, practitioner, "8", dt.date(2026, 4, 1), "Law update")
    report = Report.objects.get(member=member)
    with on(submitted_on):
        services.report_submit(report=report, member=member, agreed_on=submitted_on)

    invoice = Invoice.objects.get(report=report)
    assert [line.fee_code for line in invoice.lines.order_by("position")] == lines
    expected = Decimal("80.00") + (Decimal("25.00") if "late" in lines else 0)
    assert invoice.total == expected
    assert invoice.currency == "USD"


def test_the_lifecycle_command_reminds_lapses_and_terminates_on_its_calendar(
    run, member, practitioner
):
    # Reminders on its own days: 60 days before 12/31, then 7; none on other days.
    assert len(run("run_lifecycle", dt.date(2026, 11, 1))) == 1
    assert len(run("run_lifecycle", dt.date(2026, 11, 2))) == 0
    assert len(run("run_lifecycle", dt.date(2026, 12, 24))) == 1
    assert Notification.objects.filter(kind=Notification.Kind.CYCLE_REMINDER).count() == 2

    # Still open through the late period; lapsed on 2/1; terminated three months later.
    run("run_lifecycle", dt.date(2027, 1, 31))
    practitioner.refresh_from_db()
    assert practitioner.status in Credential.OPEN_STATUSES
    lapse = run("run_lifecycle", dt.date(2027, 2, 1))
    practitioner.refresh_from_db()
    assert practitioner.status == Credential.Status.LAPSED
    assert any("EX-CPD" in message.body for message in lapse)

    run("run_lifecycle", dt.date(2027, 4, 30))
    practitioner.refresh_from_db()
    assert practitioner.status == Credential.Status.LAPSED
    run("run_lifecycle", dt.date(2027, 5, 1))
    practitioner.refresh_from_db()
    assert practitioner.status == Credential.Status.TERMINATED
    assert mail.outbox[-1].to == [member.email]
