"""A program's whole policy is declared with it: reminder days, grace period, extensions,
automatic points, and which fees a submission owes by its calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from recertification.rules import ihmm, ipma_hr, namss

from .example_it_program import PROGRAM as EXAMPLE


def test_each_shipped_program_declares_its_lifecycle():
    assert [p.offers_extensions for p in (ipma_hr.PROGRAM, namss.PROGRAM, ihmm.PROGRAM)] == [
        False,
        True,
        False,
    ]
    assert [p.offers_reinstatement for p in (ipma_hr.PROGRAM, namss.PROGRAM, ihmm.PROGRAM)] == [
        False,
        True,
        False,
    ]
    assert [p.terminates_lapsed for p in (ipma_hr.PROGRAM, namss.PROGRAM, ihmm.PROGRAM)] == [
        False,
        True,
        True,
    ]
    assert ihmm.PROGRAM.grace_months == 6
    assert all(
        p.reminder_days == (180, 90, 30) for p in (ipma_hr.PROGRAM, namss.PROGRAM, ihmm.PROGRAM)
    )


def test_reminder_days_are_kept_largest_first_and_must_make_sense():
    assert replace(EXAMPLE, reminder_days=(7, 60, 7)).reminder_days == (60, 7)
    with pytest.raises(ValueError, match="reminder_days"):
        replace(EXAMPLE, reminder_days=())
    with pytest.raises(ValueError, match="reminder_days"):
        replace(EXAMPLE, reminder_days=(30, -1))


def test_grace_and_extension_share_are_checked():
    with pytest.raises(ValueError, match="grace_months"):
        replace(EXAMPLE, grace_months=0)
    with pytest.raises(ValueError, match="extension_share"):
        replace(EXAMPLE, extension_share=Decimal("1.5"))
    with pytest.raises(ValueError, match="no extensions"):
        EXAMPLE.extension_credits_needed(["EX-SEC"])
    # A share without the calendar's extension dates offers no extension.
    assert replace(EXAMPLE, extension_share=Decimal("0.5")).offers_extensions is False


def test_automatic_points_name_the_staff_record_they_come_from():
    assert ipma_hr.PROGRAM.auto_kind("membership", "national").code == "ipma.membership.national"
    assert ipma_hr.PROGRAM.auto_kind("membership", "chapter").code == "ipma.membership.chapter"
    assert ipma_hr.PROGRAM.auto_kind("committee", "chair").code == "ipma.leadership.committee_chair"
    assert ipma_hr.PROGRAM.auto_kind("membership", "agency") is None
    assert namss.PROGRAM.auto_kind("membership", "national") is None
    kind = ipma_hr.PROGRAM.kind("ipma.membership.national")
    with pytest.raises(ValueError, match="auto_from"):
        replace(kind, auto_populated=False)
    with pytest.raises(ValueError, match="auto_from"):
        replace(kind, auto_from="national")


@pytest.mark.parametrize(
    ("on", "lapsed", "fees"),
    [
        (date(2026, 12, 31), False, ["recertification"]),
        (date(2027, 3, 1), False, ["recertification"]),  # no calendar: never late
        (date(2027, 3, 1), True, ["recertification", "reinstatement"]),
    ],
)
def test_a_program_without_a_calendar_bills_the_recertification_fee(on, lapsed, fees):
    assert ipma_hr.PROGRAM.fees_due(2026, on, lapsed=lapsed) == fees


def test_an_extension_moves_the_late_fee_to_the_extended_deadline():
    assert namss.PROGRAM.fees_due(2026, date(2026, 12, 2)) == ["recertification", "late"]
    assert namss.PROGRAM.fees_due(2026, date(2026, 12, 2), extension_granted=True) == [
        "recertification"
    ]
