"""A fourth program that exists only in the test suite: its whole policy in one declaration.

Twenty hours of continuing professional development per two-year cycle, a calendar with a late
period, its own fees, reminder days and grace period. The portal, payments and the lifecycle must
serve it with no change anywhere else (tests/fourth_program/test_end_to_end.py).
"""

from __future__ import annotations

from decimal import Decimal

from recertification.rules import (
    Category,
    Cycle,
    Deadline,
    Fee,
    Kind,
    PerUnit,
    Program,
    Requirement,
    Rule,
    date_field,
    multiples_of,
    quantity_field,
    text_field,
)

CODE = "example-cpd"

PROGRAM = Program(
    code=CODE,
    name="Example CPD Board",
    long_name="Example Board of Continuing Professional Development",
    credentials={"EX-CPD": "Example Certified Practitioner"},
    cycle=Cycle(years=2),
    categories=(
        Category(
            "learning",
            "Structured learning",
            summary=("Courses, webinars and workshops, by the hour.",),
            kind_label="Learning activity",
        ),
    ),
    kinds=(
        Kind(
            code="cpd.course",
            label="Course or workshop",
            category="learning",
            unit="hour",
            period="dated",
            rules=(Rule(score=PerUnit(1), quantity=multiples_of("0.5")),),
            fields=(
                text_field("title", "Course title"),
                date_field("Date completed"),
                quantity_field("Hours"),
            ),
        ),
    ),
    requirements=(Requirement(20, label="EX-CPD"),),
    point_names=("hour", "hours"),
    fees=(
        Fee("recertification", "Renewal fee", Decimal("80.00")),
        Fee("late", "Late fee", Decimal("25.00")),
    ),
    deadlines=(
        Deadline("on_time_until", "Renew by", 12, 31),
        Deadline("late_until", "Last day to renew, with the late fee", 1, 31, years_after=1),
        Deadline("lapses_on", "Unrenewed credentials lapse", 2, 1, years_after=1),
    ),
    reminder_days=(60, 7),
    grace_months=3,
)
