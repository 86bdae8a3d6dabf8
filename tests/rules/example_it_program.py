"""A test-only program shaped like the large IT security certifications (not shipped).

120 credits per 3 years, at least 90 in Group A and at most 30 in Group B, beside per-kind caps.
It is the worked answer to docs/rules.md "How to add a program": one declarative module.
"""

from __future__ import annotations

from decimal import Decimal

from recertification.rules import (
    Cap,
    Category,
    Cycle,
    Fee,
    Kind,
    PerUnit,
    Program,
    Requirement,
    Rule,
    date_field,
    group_field,
    multiples_of,
    quantity_field,
    text_field,
    whole,
)

CODE = "example-it"

_HOURS = multiples_of("0.25")


def _hours_fields() -> tuple:
    return (
        text_field("title", "Activity title"),
        text_field("provider", "Provider", required=False),
        date_field("Date completed"),
        quantity_field("Hours"),
    )


PROGRAM = Program(
    code=CODE,
    name="Example IT",
    long_name="Example IT Security Certification Consortium",
    credentials={"EX-SEC": "Example Security Professional"},
    cycle=Cycle(years=3),
    categories=(
        Category(
            "group_a",
            "Group A (domain-related)",
            summary=("At least 90 credits in the certification's domains.",),
            kind_label="Group A activity",
            minimum=Decimal(90),
        ),
        Category(
            "group_b",
            "Group B (professional development)",
            summary=("At most 30 credits count from general professional development.",),
            kind_label="Group B activity",
            maximum=Decimal(30),
        ),
    ),
    kinds=(
        Kind(
            code="it.a.course",
            label="Domain course or webinar",
            category="group_a",
            unit="hour",
            period="dated",
            rules=(Rule(score=PerUnit(1), quantity=_HOURS),),
            fields=_hours_fields(),
        ),
        Kind(
            code="it.a.conference",
            label="Security conference",
            category="group_a",
            unit="hour",
            period="dated",
            requires=("group",),
            rules=(Rule(score=PerUnit(1), quantity=_HOURS, caps=(Cap(8, per=("group", "date")),)),),
            fields=(group_field("Conference"), date_field("Day"), quantity_field("Hours")),
        ),
        Kind(
            code="it.a.article",
            label="Published security article",
            category="group_a",
            unit="article",
            period="dated",
            rules=(Rule(score=PerUnit(10), caps=(Cap(40),)),),
            fields=(text_field("title", "Title"), date_field("Published on")),
        ),
        Kind(
            code="it.b.volunteer",
            label="Volunteer work for a professional body",
            category="group_b",
            unit="hour",
            period="dated",
            rules=(Rule(score=PerUnit(1), quantity=whole(), caps=(Cap(10, per=("year",)),)),),
            fields=_hours_fields(),
        ),
        Kind(
            code="it.b.soft_skills",
            label="Management or soft-skills course",
            category="group_b",
            unit="hour",
            period="dated",
            rules=(Rule(score=PerUnit(1), quantity=_HOURS),),
            fields=_hours_fields(),
        ),
    ),
    requirements=(Requirement(120, label="EX-SEC"),),
    point_names=("credit", "credits"),
    fees=(Fee("maintenance", "Annual maintenance fee", Decimal("125.00"), stated=False),),
)
