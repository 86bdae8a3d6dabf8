"""A program added by one declarative module: category minimum and maximum beside per-kind caps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recertification.rules import Activity, evaluate, get_program, programs, register, unregister

from .example_it_program import CODE, PROGRAM
from .helpers import counted, reasons

START, END = date(2024, 1, 1), date(2026, 12, 31)


def run(*activities: Activity, program=PROGRAM):
    return evaluate(
        program=program,
        credentials=["EX-SEC"],
        cycle_start=START,
        cycle_end=END,
        activities=list(activities),
    )


def course(hours, day=date(2024, 5, 1)) -> Activity:
    return Activity(kind="it.a.course", date=day, quantity=Decimal(str(hours)))


def soft(hours, day=date(2024, 5, 1)) -> Activity:
    return Activity(kind="it.b.soft_skills", date=day, quantity=Decimal(str(hours)))


def volunteer(hours, day) -> Activity:
    return Activity(kind="it.b.volunteer", date=day, quantity=hours)


def test_90_in_group_a_and_30_in_group_b_meet_the_requirement():
    result = run(course(90), soft(30))

    assert (result.total, result.required, result.met) == (120, 120, True)
    assert result.by_category == {"group_a": 90, "group_b": 30}


def test_group_b_counts_at_most_30_and_the_line_that_crosses_shows_the_part_counted():
    result = run(soft(20), soft(15), soft(5), course(100))

    assert counted(result) == [20, 10, 0, 100]
    assert reasons(result)[1] == "cap of 30 credits for Group B (professional development) reached"
    assert result.total == 130
    assert result.met


def test_group_a_shortfall_and_total_shortfall_are_both_named():
    result = run(course(60), soft(60))

    assert result.total == 90
    assert result.shortfalls == [
        "30 more credits are needed (90 of 120 counted).",
        "30 more credits in Group A (domain-related) are needed (60 of 90).",
    ]
    assert [(m.label, m.required, m.counted, m.met) for m in result.minimums] == [
        ("credits in Group A (domain-related)", 90, 60, False)
    ]


def test_a_per_kind_cap_inside_a_capped_category_applies_first():
    result = run(
        volunteer(12, date(2024, 3, 1)),  # 10: the volunteer cap of 10 per year
        volunteer(12, date(2025, 3, 1)),  # 10
        volunteer(12, date(2026, 3, 1)),  # 10, the category reaches 30
        soft(5),  # 0: Group B is full
    )

    assert counted(result) == [10, 10, 10, 0]
    assert reasons(result) == [
        "cap of 10 credits per year reached for 2024",
        "cap of 10 credits per year reached for 2025",
        "cap of 10 credits per year reached for 2026",
        "cap of 30 credits for Group B (professional development) reached",
    ]


def test_both_caps_are_named_when_both_trim_a_line():
    result = run(soft(25), volunteer(12, date(2024, 3, 1)))

    assert counted(result) == [25, 5]
    assert reasons(result)[1] == (
        "cap of 10 credits per year reached for 2024; "
        "cap of 30 credits for Group B (professional development) reached"
    )


def test_per_kind_caps_work_in_the_uncapped_category():
    articles = [Activity(kind="it.a.article", date=date(2024, m, 1)) for m in (1, 2, 3, 4, 5)]

    result = run(*articles)

    assert counted(result) == [10, 10, 10, 10, 0]


def test_the_conference_day_cap_is_per_conference_and_day():
    result = run(
        Activity(kind="it.a.conference", date=date(2024, 6, 3), group="DEF CON", quantity=10),
        Activity(kind="it.a.conference", date=date(2024, 6, 4), group="DEF CON", quantity=10),
    )

    assert counted(result) == [8, 8]


def test_the_program_describes_its_category_limits():
    assert [c.limit_descriptions for c in PROGRAM.categories] == [
        ("At least 90 credits in Group A (domain-related)",),
        ("At most 30 credits in Group B (professional development)",),
    ]


def test_the_program_can_be_registered_and_evaluated_by_its_code():
    register(PROGRAM)
    try:
        assert get_program(CODE) is PROGRAM
        assert CODE in [p.code for p in programs()]
        assert run(course(90), soft(30), program=CODE).met
    finally:
        unregister(CODE)
    with pytest.raises(ValueError, match=r"Unknown program 'example-it'"):
        run(program=CODE)
