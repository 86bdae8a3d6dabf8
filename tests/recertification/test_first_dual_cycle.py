"""The first cycle as a dual certificant (NAMSS, seed 002: "If you are recertifying as a dual
certificant for the first time this year, you are only required to have 30 credits").

It is derived from the credentials' dates: the second designation was earned since the last renewal
(certified on or after the shared cycle's start) while the other was held before. Staff can still
set it (`Credential.first_dual_cycle`). Every reader gets the same answer: the portal's totals, the
Detailed Summary, the extension terms.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from backoffice.review import credential_renew
from lifecycle.extensions import extension_terms
from members.models import Credential, User
from recertification import rules, selectors, services
from recertification.dual import first_dual_reason, is_first_dual_cycle
from recertification.models import Report

from .helpers import shown_total

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"
SUMMARY = "/recertification/summary/"
START, END = dt.date(2023, 12, 2), dt.date(2026, 12, 1)


@pytest.fixture
def namss_credential(member):
    """A NAMSS credential of `member` in the test cycle, certified on `since`."""

    def make(designation: str, since: dt.date, **extra) -> Credential:
        return Credential.objects.create(
            holder=member,
            program="namss",
            designation=designation,
            certified_since=since,
            cycle_start=START,
            cycle_end=END,
            status=Credential.Status.RENEW,
            **extra,
        )

    return make


def _scored(member) -> selectors.ScoredReport:
    services.reports_ensure_open(member=member)
    (scored,) = selectors.current_reports(member)
    return scored


def _requirement(scored) -> tuple[str, str]:
    """(total, approved minimum) as the rules engine applied them to the report."""
    minimum = scored.result.requirement.minimums[0].amount
    return rules.format_decimal(scored.required), rules.format_decimal(minimum)


def test_second_designation_earned_this_cycle_needs_30_with_15_approved(member, namss_credential):
    namss_credential("CPCS", dt.date(2017, 6, 1))
    namss_credential("CPMSM", START)
    scored = _scored(member)
    assert scored.report.designations == "CPCS + CPMSM"
    assert _requirement(scored) == ("30", "15")
    assert scored.result.requirement.first_dual_cycle is True


def test_both_designations_held_before_the_cycle_need_45_with_25_approved(member, namss_credential):
    namss_credential("CPCS", dt.date(2017, 6, 1))
    namss_credential("CPMSM", dt.date(2020, 12, 2))
    assert _requirement(_scored(member)) == ("45", "25")


def test_a_single_certificant_needs_30_with_15_approved(member, namss_credential):
    namss_credential("CPCS", dt.date(2017, 6, 1))
    assert _requirement(_scored(member)) == ("30", "15")


def test_staff_can_still_set_the_first_dual_cycle(member, namss_credential):
    namss_credential("CPCS", dt.date(2017, 6, 1), first_dual_cycle=True)
    namss_credential("CPMSM", dt.date(2020, 12, 2))
    scored = _scored(member)
    assert _requirement(scored) == ("30", "15")
    assert "set by staff" in first_dual_reason(scored)


def test_after_renewal_the_next_cycle_is_not_the_first_dual_cycle(member, namss_credential):
    cpcs = namss_credential("CPCS", dt.date(2017, 6, 1))
    cpmsm = namss_credential("CPMSM", START)
    assert _requirement(_scored(member)) == ("30", "15")
    for credential in (cpcs, cpmsm):
        credential_renew(credential=credential, actor=None, from_cycle_start=START)
    scored = _scored(member)
    assert scored.report.cycle_start == dt.date(2026, 12, 2)
    assert _requirement(scored) == ("45", "25")
    assert first_dual_reason(scored) == ""
    # The earlier cycle's report keeps its own requirement.
    earlier = selectors.scored_report(Report.objects.get(cycle_start=START))
    assert _requirement(earlier) == ("30", "15")


def test_the_extension_asks_for_half_of_the_first_dual_requirement(member, namss_credential):
    namss_credential("CPCS", dt.date(2017, 6, 1))
    namss_credential("CPMSM", START)
    scored = _scored(member)
    terms = extension_terms(scored.report, today=dt.date(2026, 9, 1), scored=scored)
    assert terms.needed_display == "15"


def test_the_portal_and_the_summary_say_why_30_applies(client, member, namss_credential):
    namss_credential("CPCS", dt.date(2017, 6, 1))
    namss_credential("CPMSM", START)
    client.force_login(member)
    portal = client.get(PORTAL).content.decode()
    assert shown_total(portal, "CPCS + CPMSM") == "0"
    assert "of 30" in portal
    reason = (
        "Dual certification, first cycle as a dual certificant: CPMSM certified on 12/02/2023, "
        "so 30 credits, of which at least 15 NAMSS-approved credits, apply"
    )
    assert reason in portal
    assert reason in client.get(SUMMARY).content.decode()


def test_no_reason_is_shown_for_the_usual_requirement(client, member, namss_credential):
    namss_credential("CPCS", dt.date(2017, 6, 1))
    namss_credential("CPMSM", dt.date(2020, 12, 2))
    client.force_login(member)
    portal = client.get(PORTAL).content.decode()
    assert "of 45" in portal
    assert "first cycle as a dual certificant:" not in portal


def _holding(*since: dt.date, flagged: bool = False) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(designation=f"D{n}", certified_since=day, first_dual_cycle=flagged)
        for n, day in enumerate(since)
    ]


def test_a_program_without_a_first_dual_variant_is_not_affected():
    """Two credentials in one report, one earned this cycle or flagged: no first-dual requirement
    is declared, so the derivation says no (and the engine is never asked for one)."""
    namss = rules.get_program("namss")
    plain = dataclasses.replace(
        namss, requirements=tuple(r for r in namss.requirements if not r.first_dual_cycle)
    )
    earned = _holding(dt.date(2017, 6, 1), START)
    assert is_first_dual_cycle(namss, earned, START) is True
    assert is_first_dual_cycle(plain, earned, START) is False
    flagged = _holding(dt.date(2017, 6, 1), dt.date(2018, 1, 1), flagged=True)
    assert is_first_dual_cycle(namss, flagged, START) is True
    assert is_first_dual_cycle(plain, flagged, START) is False


def test_the_demo_namss_member_is_in_the_first_dual_cycle():
    call_command("load_demo", stdout=StringIO())
    member = User.objects.get(username="namss.member")
    scored = _scored(member)
    assert scored.report.designations == "CPCS + CPMSM"
    assert _requirement(scored) == ("30", "15")
    assert "CPMSM certified on" in first_dual_reason(scored)
