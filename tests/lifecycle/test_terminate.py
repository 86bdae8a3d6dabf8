"""Terminations: NAMSS after the six-month grace period, IHMM six months after expiry."""

import datetime as dt

import pytest

from core.models import AuditLog
from members.models import Credential
from recertification.models import Report

from .conftest import status_of, submitted

pytestmark = pytest.mark.django_db

TERMINATE = "terminate_credentials"


@pytest.mark.parametrize(
    ("program", "last_grace_day", "terminated_on"),
    [
        ("namss", dt.date(2027, 6, 30), dt.date(2027, 7, 1)),
        # IHMM: cycle ends 28 February 2027, lapses 1 March, decertified six months later.
        ("ihmm", dt.date(2027, 8, 31), dt.date(2027, 9, 1)),
    ],
)
def test_a_lapsed_credential_is_terminated_when_the_grace_period_ends(
    run, credential_in, program, last_grace_day, terminated_on
):
    credential = credential_in(program, status=Credential.Status.LAPSED)
    assert run(TERMINATE, last_grace_day) == []
    assert status_of(credential) == Credential.Status.LAPSED
    sent = run(TERMINATE, terminated_on)
    assert status_of(credential) == Credential.Status.TERMINATED
    assert len(sent) == 1
    assert "terminated" in sent[0].subject
    assert "apply as a new candidate and pass the examination" in sent[0].body
    assert run(TERMINATE, terminated_on) == []
    assert AuditLog.objects.filter(object_id=str(credential.pk), action="terminated").count() == 1


def test_ipma_hr_lapsed_credentials_are_never_terminated(run, credential_in):
    credential = credential_in("ipma-hr", status=Credential.Status.LAPSED)
    run(TERMINATE, dt.date(2030, 1, 1))
    assert status_of(credential) == Credential.Status.LAPSED


def test_a_report_submitted_within_the_grace_period_waits_for_staff(run, credential_in):
    credential = credential_in("ihmm", status=Credential.Status.LAPSED)
    submitted(credential, dt.date(2027, 5, 1), status=Report.Status.IN_REVIEW, is_paper=True)
    run(TERMINATE, dt.date(2027, 9, 1))
    assert status_of(credential) == Credential.Status.LAPSED


def test_an_open_credential_is_not_terminated(run, credential_in):
    credential = credential_in("namss")
    run(TERMINATE, dt.date(2027, 7, 1))
    assert status_of(credential) == Credential.Status.RENEW


def test_lapse_then_terminate_over_a_year_of_hourly_runs(run, credential_in):
    """run_lifecycle every day from the deadline to the end of the grace period: two emails in all."""
    credential = credential_in("namss")
    emails = []
    day = dt.date(2026, 12, 1)
    while day <= dt.date(2027, 7, 2):
        emails += run("run_lifecycle", day)
        day += dt.timedelta(days=1)
    assert status_of(credential) == Credential.Status.TERMINATED
    kinds = [m.subject for m in emails]
    assert sum("lapsed" in s for s in kinds) == 1
    assert sum("terminated" in s for s in kinds) == 1
