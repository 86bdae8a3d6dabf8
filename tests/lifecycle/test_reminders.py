"""Reminders before the deadline while the report is not submitted, and for unpaid invoices."""

import datetime as dt

import pytest
from django.core import mail

from lifecycle import reminders
from members.models import Notification
from payments.models import Invoice
from recertification.models import Report
from tests.factories import EntryFactory, report_for

from .conftest import namss_credits, submitted

pytestmark = pytest.mark.django_db

REMIND = "send_cycle_reminders"
INVOICES = "send_invoice_reminders"


@pytest.mark.parametrize(
    ("days", "due"),
    [(180, dt.date(2026, 7, 4)), (90, dt.date(2026, 10, 2)), (30, dt.date(2026, 12, 1))],
)
def test_ipma_hr_reminders_go_out_on_the_day_and_not_before(run, credential_in, days, due):
    credential = credential_in("ipma-hr")
    report_for(credential)
    before = run(REMIND, due - dt.timedelta(days=1))  # may be the previous reminder, never this one
    assert all(f"({days} days left)" not in m.subject for m in before)
    sent = run(REMIND, due)
    assert len(sent) == 1
    assert f"({days} days left)" in sent[0].subject
    assert run(REMIND, due) == []  # twice the same day: one email
    assert Notification.objects.filter(key__endswith=f":{days}").count() == 1


def test_every_reminder_is_sent_once_over_the_whole_cycle(run, credential_in):
    credential = credential_in("ipma-hr")
    report_for(credential)
    sent = []
    day = dt.date(2026, 6, 1)
    while day <= dt.date(2027, 1, 5):
        sent += run(REMIND, day)
        day += dt.timedelta(days=1)
    assert [m.subject.split("(")[1] for m in sent] == [
        "180 days left)",
        "90 days left)",
        "30 days left)",
    ]


def test_a_missed_reminder_is_not_sent_late_only_the_latest(run, credential_in):
    credential_in("ipma-hr")
    sent = run(REMIND, dt.date(2026, 12, 10))  # 21 days left: the 30-day reminder only
    assert len(sent) == 1 and "21 days left" in sent[0].subject
    assert run(REMIND, dt.date(2026, 12, 11)) == []


def test_the_reminder_carries_the_members_numbers(run, credential_in):
    credential = credential_in("ipma-hr")
    report = report_for(credential)
    EntryFactory(member=credential.holder, kind="ipma.pd.full_day", quantity=4, reports=[report])
    message = run(REMIND, dt.date(2026, 10, 2))[0]
    assert "Points counted: 12" in message.body
    assert "Points required: 50" in message.body
    assert "Deadline: 12/31/2026" in message.body
    assert "38 more points" in message.body
    html = message.alternatives[0][0]
    assert "12/31/2026" in html and ">12<" in html and ">50<" in html


def test_no_reminder_once_the_report_is_submitted(run, credential_in):
    credential = credential_in("ipma-hr")
    submitted(credential, dt.date(2026, 9, 1), status=Report.Status.PAYMENT_DUE)
    assert run(REMIND, dt.date(2026, 10, 2)) == []


def test_a_returned_report_is_reminded_again(run, credential_in):
    credential = credential_in("ipma-hr")
    submitted(credential, dt.date(2026, 9, 1), status=Report.Status.RETURNED)
    assert len(run(REMIND, dt.date(2026, 10, 2))) == 1


def test_namss_counts_down_to_1_december_and_says_when_the_application_opens(run, credential_in):
    credential = credential_in("namss")
    report = report_for(credential)
    namss_credits(report, credits="12")
    message = run(REMIND, dt.date(2026, 6, 4))[0]  # 180 days before 1 December
    assert "due 12/01/2026" in message.subject
    assert "Credits counted: 12" in message.body
    assert "opens on 08/01/2026" in message.body
    assert "until 12/31/2026, with a late fee" in message.body


def test_a_dual_namss_certificant_gets_one_reminder_for_the_shared_report(run, credential_in):
    cpcs = credential_in("namss")
    cpmsm = credential_in("namss", designation="CPMSM")
    report_for(cpcs).report_credentials.create(credential=cpmsm, cycle_start=cpmsm.cycle_start)
    sent = run(REMIND, dt.date(2026, 10, 2))
    assert len(sent) == 1
    assert "CPCS + CPMSM" in sent[0].subject
    assert "Credits required: 45" in sent[0].body


def test_reminder_days_are_configurable_per_program(run, credential_in, settings):
    settings.REMINDER_DAYS = {"ipma-hr": [60, 7], "default": [30]}
    credential_in("ipma-hr")
    credential_in("namss")
    assert run(REMIND, dt.date(2026, 10, 2)) == []  # 90 days before: not configured
    sent = run(REMIND, dt.date(2026, 11, 1))  # 60 before 31 December, 30 before 1 December
    assert sorted(m.subject.split(" ")[0] for m in sent) == ["CPCS:", "IPMA-SCP:"]
    assert all("(60 days left)" in m.subject for m in sent if "IPMA" in m.subject)
    assert all("(30 days left)" in m.subject for m in sent if "CPCS" in m.subject)
    assert len(run(REMIND, dt.date(2026, 12, 24))) == 1  # IPMA-HR, 7 days before


def test_reminder_days_accept_an_environment_style_string(settings):
    settings.REMINDER_DAYS = "120, 60,7"
    assert reminders.reminder_days("ihmm") == (120, 60, 7)


def test_bad_reminder_days_are_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.REMINDER_DAYS = ["soon"]
    with pytest.raises(ImproperlyConfigured):
        reminders.reminder_days("ihmm")


# --- unpaid invoices ----------------------------------------------------------------------------


@pytest.fixture
def invoice(at, credential_in):
    from payments.invoices import invoice_issue

    credential = credential_in("ipma-hr")
    report = submitted(credential, dt.date(2026, 6, 1), status=Report.Status.SUBMITTED)
    report.points_counted, report.points_required = 51, 50
    report.save()
    invoice = at(dt.date(2026, 6, 1), invoice_issue, report=report)
    assert invoice.due_on == dt.date(2026, 7, 1)
    return invoice


def test_unpaid_invoice_reminders_14_days_before_and_on_the_due_date(run, invoice):
    assert run(INVOICES, dt.date(2026, 6, 16)) == []
    first = run(INVOICES, dt.date(2026, 6, 17))
    assert run(INVOICES, dt.date(2026, 6, 17)) == []
    assert run(INVOICES, dt.date(2026, 6, 30)) == []
    second = run(INVOICES, dt.date(2026, 7, 1))
    assert run(INVOICES, dt.date(2026, 7, 2)) == []
    assert len(first) == 1 and len(second) == 1
    assert invoice.number in first[0].subject
    assert "150.00 USD" in first[0].body
    assert "07/01/2026" in first[0].body
    assert "51 of 50" in first[0].body
    assert "due today" in second[0].subject


def test_a_paid_invoice_gets_no_reminder(run, invoice):
    Invoice.objects.filter(pk=invoice.pk).update(status="paid", paid_at=invoice.created_at)
    assert run(INVOICES, dt.date(2026, 6, 17)) == []
    assert run(INVOICES, dt.date(2026, 7, 1)) == []


def test_an_invoice_not_yet_payable_is_not_reminded(run, at, credential_in):
    from payments.invoices import invoice_issue

    credential = credential_in("ipma-hr")
    report = submitted(credential, dt.date(2026, 1, 10), status=Report.Status.SUBMITTED)
    invoice = at(dt.date(2026, 1, 10), invoice_issue, report=report)
    assert invoice.payable_from == dt.date(2026, 2, 15)
    assert run(INVOICES, dt.date(2026, 2, 14)) == []
    assert len(run(INVOICES, dt.date(2026, 3, 3))) == 1  # 14 days before 17 March


def test_emails_are_plain_text_and_html(run, credential_in):
    credential_in("ipma-hr")
    message = run(REMIND, dt.date(2026, 12, 1))[0]
    assert message.alternatives[0][1] == "text/html"
    assert message.reply_to
    assert mail.outbox[-1] is message
