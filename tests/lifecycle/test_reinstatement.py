"""NAMSS reinstatement within the grace period: the member sees the credits, fees and last day."""

import datetime as dt

import pytest

from lifecycle import reinstatement
from members.models import Credential
from tests.factories import report_for

from .conftest import namss_credits, on

pytestmark = pytest.mark.django_db

PAGE = "/profile/reinstatement/"


@pytest.fixture
def lapsed(credential_in):
    credential = credential_in("namss", status=Credential.Status.LAPSED)
    report = report_for(credential)
    namss_credits(report, credits="20")
    namss_credits(report, credits="10", approved=False)
    return credential


def test_terms_give_the_credits_the_fees_and_the_last_day(lapsed):
    terms = reinstatement.reinstatement_terms(lapsed, today=dt.date(2027, 3, 1))
    assert terms.open
    assert terms.until == dt.date(2027, 6, 30)
    assert terms.lapsed_on == dt.date(2027, 1, 1)
    assert (terms.counted, terms.required) == ("30", "30")
    assert str(terms.reinstatement_fee) == "100.00"
    assert terms.total_fee == terms.recertification_fee + terms.reinstatement_fee


def test_the_grace_period_closes_after_30_june(lapsed):
    assert reinstatement.reinstatement_terms(lapsed, today=dt.date(2027, 6, 30)).open
    assert not reinstatement.reinstatement_terms(lapsed, today=dt.date(2027, 7, 1)).open


def test_programs_without_reinstatement_have_no_terms(credential_in):
    credential = credential_in("ipma-hr", status=Credential.Status.LAPSED)
    assert reinstatement.reinstatement_terms(credential, today=dt.date(2027, 3, 1)) is None


def test_the_page_shows_what_is_needed(client, lapsed):
    with on(dt.date(2027, 2, 1)):
        client.force_login(lapsed.holder)
        html = client.get(PAGE).content.decode()
    assert "06/30/2027" in html
    assert "The portal counts 30 from your entries" in html
    assert "100.00 USD" in html
    assert "175.00 USD" in html


def test_after_the_grace_period_the_page_says_re_take_the_exam(client, lapsed):
    with on(dt.date(2027, 7, 2)):
        client.force_login(lapsed.holder)
        html = client.get(PAGE).content.decode()
    assert "ended on 06/30/2027" in html
    assert "pass the examination" in html


def test_other_lapsed_programs_get_the_paper_report_guidance(member_client, credential_in):
    credential_in("ipma-hr", status=Credential.Status.LAPSED)
    html = member_client.get(PAGE).content.decode()
    assert "paper Recertification Report" in html


def test_staff_reinstatement_is_not_undone_by_the_jobs(run, lapsed):
    """Approval renews the lapsed credential into a new cycle; the jobs leave it alone."""
    lapsed.status = Credential.Status.RENEW
    lapsed.cycle_start, lapsed.cycle_end = dt.date(2026, 12, 2), dt.date(2029, 12, 1)
    lapsed.renewed_on = dt.date(2027, 3, 1)
    lapsed.save()
    run("run_lifecycle", dt.date(2027, 7, 1))
    lapsed.refresh_from_db()
    assert lapsed.status == Credential.Status.RENEW
