"""The ten worked examples of RULES.md, one test each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recertification.rules import Activity

from .helpers import D, counted, ihmm, ipma, namss, reasons


def test_example_1_ipma_full_and_partial_days_total_7_not_met():
    result = ipma(
        Activity(kind="ipma.pd.full_day", date=date(2024, 3, 5), quantity=2),
        Activity(kind="ipma.pd.partial_day", date=date(2024, 4, 9), quantity=1),
    )

    assert counted(result) == [6, 1]
    assert result.total == 7
    assert result.required == 50
    assert result.met is False
    assert result.shortfalls == ["43 more points are needed (7 of 50 counted)."]


@pytest.mark.parametrize(("credit_hours", "points"), [(6, 10), (4, 5), (2, 3)])
def test_example_2_ipma_college_course_scores_10_for_6_hours_5_for_4_and_3_for_2(
    credit_hours, points
):
    result = ipma(Activity(kind="ipma.pd.college", date=date(2024, 9, 1), quantity=credit_hours))

    assert result.lines[0].claimed == points
    assert result.total == points


def test_example_3_ipma_national_membership_counts_2024_to_2026_and_not_2023():
    result = ipma(
        *(Activity(kind="ipma.membership.national", year=y) for y in (2023, 2024, 2025, 2026))
    )

    assert counted(result) == [0, 2, 2, 2]
    assert reasons(result) == ["before the cycle start", "", "", ""]
    assert result.total == 6


def test_example_4_ipma_other_association_membership_is_capped_at_3_per_association():
    shrm = [
        Activity(kind="ipma.membership.other", year=y, organization="SHRM")
        for y in (2024, 2025, 2026)
    ]
    world = Activity(kind="ipma.membership.other", year=2024, organization="WorldatWork")
    fourth_shrm = Activity(kind="ipma.membership.other", year=2026, organization="SHRM")

    assert ipma(*shrm, world).total == 4
    result = ipma(*shrm, world, fourth_shrm)
    assert result.total == 4
    assert result.lines[-1].counted == 0
    assert result.lines[-1].reason == "cap of 3 points per association reached for SHRM"


def test_example_5_ipma_experiential_employment_is_capped_at_3():
    result = ipma(
        *(Activity(kind="ipma.experiential.employment", year=y) for y in (2024, 2025, 2026, 2026))
    )

    assert counted(result) == [1, 1, 1, 0]
    assert result.total == 3
    assert "cap of 3 points" in result.lines[-1].reason


def test_example_6_ipma_51_points_of_full_days_alone_meets_the_requirement():
    result = ipma(Activity(kind="ipma.pd.full_day", date=date(2025, 6, 2), quantity=17))

    assert result.total == 51
    assert result.met is True
    assert result.shortfalls == []


def test_example_7_ihmm_five_conference_days_count_20_and_the_fifth_day_0():
    days = [
        Activity(kind="ihmm.conference", date=date(2025, 4, d), group="HazMat Expo", quantity=8)
        for d in range(7, 12)
    ]

    result = ihmm(*days)

    assert counted(result) == [5, 5, 5, 5, 0]
    assert result.total == 20
    assert "5 CMPs per conference day" in result.lines[0].reason
    assert "20 CMPs per conference reached" in result.lines[4].reason


def test_example_8_ihmm_training_under_one_contact_hour_is_refused():
    with pytest.raises(ValueError, match=r"at least 1 contact hour \(got 0\.5\)"):
        ihmm(Activity(kind="ihmm.training", date=date(2025, 1, 8), quantity=Decimal("0.5")))


def test_example_9_namss_single_credential_with_10_approved_is_not_met():
    result = namss(
        Activity(kind="namss.ce", date=date(2020, 3, 1), quantity=20),
        Activity(kind="namss.ce", date=date(2021, 3, 1), quantity=10, approved=True),
    )

    assert result.total == 30
    assert result.required == 30
    assert result.met is False
    assert result.shortfalls == ["5 more NAMSS-approved credits are needed (10 of 15)."]


def test_example_10_namss_first_dual_cycle_needs_30_with_15_approved():
    result = namss(
        Activity(kind="namss.ce", date=date(2020, 3, 1), quantity=15),
        Activity(kind="namss.ce", date=date(2021, 3, 1), quantity=15, approved=True),
        credentials=("CPCS", "CPMSM"),
        first_dual_cycle=True,
    )

    assert result.total == 30
    assert result.required == D(30)
    assert result.met is True
    assert result.shortfalls == []
