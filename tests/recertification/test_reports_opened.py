"""A credential's report opens when the credential changes (recertification/opening.py), so that
a member's pages only read: opened after the commit of the transaction that saved the credential
(credentials renewed together share one report), caught up by the lifecycle's `open_reports` job
for writes that send no signal, and still opened by a page, with a warning, as a safety net."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice import review
from core.models import AuditLog
from lifecycle import jobs
from members.models import Credential
from recertification import fees, opening, services
from recertification.models import Report, ReportCredential
from tests.factories import CredentialFactory, ReportFactory, UserFactory
from tests.staff.conftest import fill, submit
from tests.staff_personas import administrator, administrator_client, reviewer  # noqa: F401

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 6, 15, 12, 0)
IPMA = {"program": "ipma-hr", "designation": "IPMA-SCP", "certified_since": dt.date(2024, 1, 1),
        "cycle_start": dt.date(2024, 1, 1), "cycle_end": dt.date(2026, 12, 31)}  # fmt: skip
NAMSS = {"program": "namss", "certified_since": dt.date(2023, 12, 2),
         "cycle_start": dt.date(2023, 12, 2), "cycle_end": dt.date(2026, 12, 1)}  # fmt: skip
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def _day():
    with time_machine.travel(DAY, tick=False):
        yield


def reports_of(credential: Credential) -> list[Report]:
    return [
        link.report
        for link in ReportCredential.objects.filter(
            credential=credential, cycle_start=credential.cycle_start
        ).select_related("report")
    ]


def writes_of(client, url: str) -> list[str]:
    """The INSERT, UPDATE and DELETE statements a GET of `url` runs."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith(WRITES)]


def bulk_credentials(*rows: dict) -> list[Credential]:
    """Credentials written as an import would write them: no post_save, so no report."""
    return Credential.objects.bulk_create(
        [Credential(status=Credential.Status.RENEW, **row) for row in rows]
    )


# --- opened when the credential is saved ----------------------------------------------------


def test_a_new_credential_has_its_report_after_commit_and_the_pages_only_read(
    client, member, pages_rendered_afresh, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ipma = CredentialFactory(holder=member, **IPMA)
        namss = CredentialFactory(holder=member, designation="CPCS", **NAMSS)
    assert [len(reports_of(c)) for c in (ipma, namss)] == [1, 1]

    client.force_login(member)  # the sign-in writes (session, last login); the pages must not
    # The extension terms read the fees through fees.program_fees, which writes a program's
    # settings row on its first use anywhere: not this member's first page, not a report.
    fees.program_fees("namss")
    for url in ("/recertification/", "/recertification/submit/", "/", "/profile/extension/"):
        assert writes_of(client, url) == [], url
    assert Report.objects.filter(member=member).count() == 2


def test_the_report_opens_at_commit_not_at_the_save(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credential = CredentialFactory(holder=member, **IPMA)
        assert reports_of(credential) == []
    assert len(reports_of(credential)) == 1


def test_credentials_saved_in_one_transaction_open_once_and_share_their_report(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        cpcs = CredentialFactory(holder=member, designation="CPCS", **NAMSS)
        cpmsm = CredentialFactory(holder=member, designation="CPMSM", **NAMSS)
    opens = [c for c in callbacks if isinstance(c, opening._OpenAfterCommit)]
    assert len(opens) == 1
    opens[0]()
    [report] = reports_of(cpcs)
    assert reports_of(cpmsm) == [report]
    assert report.designations == "CPCS + CPMSM"


@pytest.mark.django_db(transaction=True)
def test_a_credential_added_later_joins_its_programs_report_of_the_same_cycle(member):
    """Staff add a dual certificant's CPCS, then (another request) the CPMSM: one report."""
    with transaction.atomic():
        cpcs = CredentialFactory(holder=member, designation="CPCS", **NAMSS)
    with transaction.atomic():
        cpmsm = CredentialFactory(holder=member, designation="CPMSM", **NAMSS)
    [report] = reports_of(cpcs)
    assert reports_of(cpmsm) == [report]
    assert report.designations == "CPCS + CPMSM"
    added = AuditLog.objects.get(
        object_type="recertification.report", object_id=str(report.pk), action="credential added"
    )
    assert added.after == {"credentials": ["CPMSM"]}


@pytest.mark.django_db(transaction=True)
def test_a_credential_added_after_the_report_was_submitted_gets_its_own(member):
    with transaction.atomic():
        cpcs = CredentialFactory(holder=member, designation="CPCS", **NAMSS)
    [submitted] = reports_of(cpcs)
    Report.objects.filter(pk=submitted.pk).update(
        status=Report.Status.SUBMITTED, submitted_at=timezone.now(), agreed_on=DAY.date()
    )
    with transaction.atomic():
        cpmsm = CredentialFactory(holder=member, designation="CPMSM", **NAMSS)
    [own] = reports_of(cpmsm)
    assert own != submitted
    assert own.designations == "CPMSM"


def test_an_ipma_hr_credential_never_joins_another_credentials_report(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = CredentialFactory(holder=member, **IPMA)
    with django_capture_on_commit_callbacks(execute=True):
        second = CredentialFactory(holder=member, **{**IPMA, "designation": "IPMA-CP"})
    assert reports_of(first) != reports_of(second)


@pytest.mark.django_db(transaction=True)
def test_a_credential_an_administrator_adds_has_its_report_when_the_member_first_comes(
    administrator_client,  # noqa: F811
):
    member = UserFactory()
    response = administrator_client.post(
        "/admin/members/credential/add/",
        {"holder": member.pk, "status": "new", "renewed_on": "", "first_dual_cycle": "",
         "change_reason": "Certified on 1 January 2024", **{k: str(v) for k, v in IPMA.items()}},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-2000:]
    credential = Credential.objects.get(holder=member)
    [report] = reports_of(credential)
    assert (report.member, report.cycle_start) == (member, dt.date(2024, 1, 1))


@pytest.mark.parametrize("status", [Credential.Status.LAPSED, Credential.Status.TERMINATED])
def test_a_credential_that_is_not_open_gets_no_report(
    member, status, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        credential = CredentialFactory(holder=member, status=status, **IPMA)
    assert not [c for c in callbacks if isinstance(c, opening._OpenAfterCommit)]
    assert reports_of(credential) == []
    assert opening.reports_open_missing() == 0


def test_a_failure_to_open_is_logged_and_the_save_stands(
    member, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(*, member):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "reports_ensure_open", broken)
    with (
        caplog.at_level(logging.ERROR, logger="recertification.opening"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        credential = CredentialFactory(holder=member, **IPMA)
    assert Credential.objects.filter(pk=credential.pk).exists()
    assert f"opening the reports of member {member.pk} failed" in caplog.text


# --- a dual certificant renewed by staff ----------------------------------------------------


def test_a_dual_certificant_renewed_by_approval_shares_one_report_for_the_new_cycle(
    reviewer,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    member = UserFactory()
    dual = {"holder": member, "first_dual_cycle": True, **NAMSS}  # fill() enters 30 credits
    cpcs = CredentialFactory(designation="CPCS", **dual)
    cpmsm = CredentialFactory(designation="CPMSM", **dual)
    report = ReportFactory(member=member, program="namss", credentials=[cpcs, cpmsm])
    with time_machine.travel(dt.datetime(2026, 11, 20, 15, 0), tick=False):
        fill(report)
        review.report_waive_fee(report=submit(report), actor=reviewer, reason="Board member")
        with django_capture_on_commit_callbacks(execute=True):
            review.report_approve(report=report, actor=reviewer)
    for credential in (cpcs, cpmsm):
        credential.refresh_from_db()
        assert credential.cycle_start == dt.date(2026, 12, 2)
    [new] = Report.objects.filter(member=member, cycle_start=dt.date(2026, 12, 2))
    assert reports_of(cpcs) == reports_of(cpmsm) == [new]
    assert new.designations == "CPCS + CPMSM"


# --- writes that send no signal: the lifecycle's job ----------------------------------------


def test_the_job_opens_the_reports_of_bulk_written_credentials_once():
    dual, single, lapsed = UserFactory(), UserFactory(), UserFactory()
    bulk_credentials(
        {"holder": dual, "designation": "CPCS", **NAMSS},
        {"holder": dual, "designation": "CPMSM", **NAMSS},
        {"holder": single, **IPMA},
    )
    Credential.objects.bulk_create(
        [Credential(holder=lapsed, status=Credential.Status.LAPSED, **IPMA)]
    )
    assert not ReportCredential.objects.exists()

    assert jobs.run_reports(today=DAY.date()) == 2
    [shared] = Report.objects.filter(member=dual)
    assert shared.credentials.count() == 2
    assert Report.objects.filter(member=single).count() == 1
    assert not Report.objects.filter(member=lapsed).exists()
    assert jobs.run_reports(today=DAY.date()) == 0


def test_the_job_runs_with_the_others_and_as_its_own_command():
    member = UserFactory()
    bulk_credentials({"holder": member, **IPMA})
    assert ("reports", jobs.run_reports) in jobs.JOBS
    out = StringIO()
    call_command("open_reports", "--today", "2026-06-15", stdout=out)
    assert out.getvalue().strip() == "2026-06-15: 1 members given reports"
    assert Report.objects.filter(member=member).count() == 1
    assert jobs.run_all(today=DAY.date())["reports"] == 0


def test_reports_can_be_opened_for_some_members_only():
    chosen, other = UserFactory(), UserFactory()
    bulk_credentials({"holder": chosen, **IPMA}, {"holder": other, **IPMA})
    assert opening.reports_open_missing(holders=[chosen.pk]) == 1
    assert Report.objects.filter(member=chosen).exists()
    assert not Report.objects.filter(member=other).exists()
    assert opening.reports_open_missing(batch=1) == 1


# --- the page's safety net ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/recertification/", "/recertification/submit/"])
def test_a_credential_written_without_its_report_still_gets_it_on_the_first_page(
    client, member, caplog, pages_rendered_afresh, url
):
    [credential] = bulk_credentials({"holder": member, **IPMA})
    client.force_login(member)
    with caplog.at_level(logging.WARNING, logger="recertification.opening"):
        assert client.get(url).status_code == 200
    assert len(reports_of(credential)) == 1
    assert f"reports for member {member.pk} opened on a page view" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="recertification.opening"):
        assert writes_of(client, url) == []
    assert "opened on a page view" not in caplog.text


def test_the_extension_page_opens_what_is_missing_with_a_warning(client, member, caplog):
    [credential] = bulk_credentials({"holder": member, "designation": "CPCS", **NAMSS})
    client.force_login(member)
    with caplog.at_level(logging.WARNING, logger="recertification.opening"):
        assert client.get("/profile/extension/").status_code == 200
    assert len(reports_of(credential)) == 1
    assert "opened on a page view" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_credential_saved_outside_a_transaction_is_left_to_the_job():
    """Each statement commits alone there: a dual certificant's second credential would come
    after the first had a report of its own."""
    member = UserFactory()
    cpcs = CredentialFactory(holder=member, designation="CPCS", **NAMSS)
    cpmsm = CredentialFactory(holder=member, designation="CPMSM", **NAMSS)
    assert reports_of(cpcs) == reports_of(cpmsm) == []
    assert opening.reports_open_missing() == 1
    [report] = reports_of(cpcs)
    assert reports_of(cpmsm) == [report]
