"""Carry-over declared in the rules: how much, earned when, from which categories (pure, no Django).

The programs here exist only in this file, shaped like the outside programs that carry credits
(PMI: up to 20 PDUs earned in the last year of a cycle; SHRM: up to 20).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recertification.rules import (
    ONE,
    Activity,
    Cap,
    CarryOver,
    Category,
    Cycle,
    Kind,
    PerUnit,
    Program,
    Quantity,
    Requirement,
    Rule,
    carried_over,
    date_field,
    evaluate,
    multiples_of,
    next_cycle_start,
    quantity_field,
    text_field,
    whole,
    year_field,
)
from recertification.rules.model import months_before

from .helpers import D, ipma

CODE = "example-carry"
START, END = date(2024, 1, 1), date(2026, 12, 31)

COURSE = Kind(
    code="carry.course",
    label="Course",
    category="education",
    unit="hour",
    period="dated",
    rules=(Rule(score=PerUnit(1), quantity=multiples_of("0.25", maximum=100)),),
    fields=(text_field("title", "Title"), date_field("Date"), quantity_field("Hours")),
)
CAPPED = Kind(
    code="carry.webinar",
    label="Webinar",
    category="education",
    unit="hour",
    period="dated",
    rules=(Rule(score=PerUnit(1), quantity=whole(maximum=50), caps=(Cap(10),)),),
    fields=(date_field("Date"), quantity_field("Hours")),
)
VOLUNTEER = Kind(
    code="carry.volunteer",
    label="Volunteering",
    category="service",
    unit="year",
    period="yearly",
    rules=(Rule(score=PerUnit(5)),),
    fields=(year_field("Year"),),
)


def carried_kind(
    *,
    period: str = "dated",
    member_entry: bool = False,
    rule: Rule | None = None,
) -> Kind:
    """The kind carried points become; the defaults make a valid one."""
    fields = (date_field("Date") if period == "dated" else year_field("Year"),)
    rule = rule or Rule(score=PerUnit(1), quantity=Quantity(step=D("0.25"), minimum=D("0.25")))
    if rule.quantity.fixed is None:
        fields += (quantity_field("Points"),)
    return Kind(
        code="carry.carried",
        label="Carried over from the last cycle",
        category="carried",
        unit="point",
        period=period,
        rules=(rule,),
        fields=fields,
        member_entry=member_entry,
    )


def program(carry: CarryOver | None, *, carried: Kind | None = None) -> Program:
    """60 points per 3 years in education and service, carrying as `carry` declares."""
    return Program(
        code=CODE,
        name="Example Carry",
        long_name="Example Board that carries excess points",
        credentials={"EX-C": "Example Carrying Credential"},
        cycle=Cycle(years=3),
        categories=(
            Category("education", "Education"),
            Category("service", "Giving back"),
            Category("carried", "Carried over"),
        ),
        kinds=(COURSE, CAPPED, VOLUNTEER, carried or carried_kind()),
        requirements=(Requirement(60),),
        carry_over=carry,
    )


LAST_YEAR = program(
    CarryOver(20, "carry.carried", earned_in_last_months=12, categories=("education",))
)
WHOLE_CYCLE = program(CarryOver(D("20"), "carry.carried"))


def course(day: date, hours: str) -> Activity:
    return Activity(kind="carry.course", date=day, quantity=D(hours))


def score(prog: Program, *activities: Activity, start: date = START, end: date = END):
    return evaluate(
        program=prog, credentials=["EX-C"], cycle_start=start, cycle_end=end,
        activities=list(activities),
    )  # fmt: skip


# --- the declaration -----------------------------------------------------------------------------


def test_a_declaration_keeps_its_limit_as_a_decimal_and_its_categories_as_a_tuple():
    carry = CarryOver("12.5", "carry.carried", categories=["education"])
    assert carry.limit == Decimal("12.5") and isinstance(carry.limit, Decimal)
    assert carry.categories == ("education",)
    assert LAST_YEAR.carry_over.earned_in_last_months == 12
    assert program(None).carry_over is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit must be more than 0"),
        ({"limit": -5}, "limit must be more than 0"),
        ({"limit": 20.0}, "must be an int, Decimal or string, not float"),
        ({"limit": "lots"}, "must be a number"),
        ({"kind": ""}, "must be a kind's code"),
        ({"earned_in_last_months": 0}, "at least 1"),
        ({"earned_in_last_months": True}, "whole number of months"),
        ({"earned_in_last_months": "12"}, "whole number of months"),
        ({"categories": "education"}, "not a string"),
        ({"categories": ("education", "education")}, "lists a category twice"),
    ],
)
def test_a_carry_over_refuses_a_bad_value(kwargs, message):
    values = {"limit": 20, "kind": "carry.carried", **kwargs}
    with pytest.raises(ValueError, match=message):
        CarryOver(**values)


@pytest.mark.parametrize(
    ("carry", "kind", "message"),
    [
        (
            CarryOver(20, "carry.carryed"),
            None,
            r"unknown kind 'carry.carryed'\. Did you mean 'carry.carried'\?",
        ),
        (CarryOver(20, "carry.carried"), carried_kind(period="yearly"), "must be dated"),
        (CarryOver(20, "carry.carried"), carried_kind(member_entry=True), "member_entry=False"),
        (
            CarryOver(20, "carry.carried"),
            carried_kind(rule=Rule(score=PerUnit(2), quantity=whole(maximum=50))),
            r"scored PerUnit\(1\)",
        ),
        (
            CarryOver(20, "carry.carried"),
            carried_kind(rule=Rule(score=PerUnit(1), quantity=ONE)),
            "varying quantity",
        ),
        (
            CarryOver(20, "carry.carried"),
            carried_kind(rule=Rule(score=PerUnit(1), quantity=whole(maximum=10))),
            "at most 10 on one entry, less than the carry-over limit 20",
        ),
        (
            CarryOver(20, "carry.carried"),
            carried_kind(rule=Rule(score=PerUnit(1), quantity=whole(), caps=(Cap(5),))),
            "no caps",
        ),
        (
            CarryOver(20, "carry.carried", categories=("educaton",)),
            None,
            r"unknown categories \['educaton'\]\. Did you mean 'education'\?",
        ),
    ],
)
def test_a_program_refuses_a_carry_over_it_cannot_apply(carry, kind, message):
    with pytest.raises(ValueError, match=message) as raised:
        program(carry, carried=kind)
    assert f"Program '{CODE}'" in str(raised.value)


def test_the_carried_kind_is_one_a_member_cannot_enter():
    assert LAST_YEAR.entry_kinds("carried") == ()


# --- how much is carried -------------------------------------------------------------------------


def test_a_program_without_carry_over_carries_nothing():
    result = ipma(
        Activity(kind="ipma.pd.full_day", date=date(2026, 3, 5), quantity=30),
        credentials=["IPMA-SCP"],
    )
    assert result.total == 90 and result.required == 50
    assert carried_over("ipma-hr", result) == 0


def test_the_limit_bounds_what_is_carried():
    result = score(WHOLE_CYCLE, course(date(2025, 5, 1), "100"))
    assert result.total - result.required == 40
    assert carried_over(WHOLE_CYCLE, result) == D("20")


def test_only_the_excess_is_carried():
    result = score(WHOLE_CYCLE, course(date(2025, 5, 1), "60"), course(date(2026, 6, 1), "5.75"))
    assert carried_over(WHOLE_CYCLE, result) == D("5.75")


@pytest.mark.parametrize("hours", ["60", "59.75"])
def test_a_report_exactly_met_or_short_carries_nothing(hours):
    assert carried_over(WHOLE_CYCLE, score(WHOLE_CYCLE, course(date(2026, 6, 1), hours))) == 0


def test_only_points_earned_in_the_last_months_are_carried():
    result = score(
        LAST_YEAR,
        course(date(2024, 2, 1), "60"),
        course(date(2025, 12, 31), "8"),  # the day before the last 12 months
        course(date(2026, 1, 1), "3.5"),  # their first day
        course(date(2026, 12, 31), "4"),  # the cycle's last day
    )
    assert result.total == D("75.5")
    assert carried_over(LAST_YEAR, result) == D("7.5")


def test_a_yearly_activity_counts_as_earned_at_its_years_end():
    carry = program(CarryOver(20, "carry.carried", earned_in_last_months=6))
    volunteering = [Activity(kind="carry.volunteer", year=y) for y in (2025, 2026)]
    result = score(carry, course(date(2024, 2, 1), "60"), *volunteering)
    assert result.total == 70
    assert carried_over(carry, result) == 5  # 2026's year; 2025 ended before the last 6 months


def test_only_points_counted_in_the_declared_categories_are_carried():
    activities = [
        course(date(2026, 2, 1), "2.25"),
        *[Activity(kind="carry.volunteer", year=2026)] * 3,
        course(date(2024, 2, 1), "60"),
    ]
    result = score(LAST_YEAR, *activities)
    assert result.by_category == {"education": D("62.25"), "service": 15, "carried": 0}
    assert carried_over(LAST_YEAR, result) == D("2.25")
    assert carried_over(WHOLE_CYCLE, score(WHOLE_CYCLE, *activities)) == D("17.25")


def test_what_counted_is_carried_not_what_was_claimed():
    result = score(
        LAST_YEAR,
        course(date(2024, 2, 1), "60"),
        *[Activity(kind="carry.volunteer", year=2024)] * 3,
        Activity(kind="carry.webinar", date=date(2026, 2, 1), quantity=30),
    )
    assert [line.counted for line in result.lines][-1] == 10  # the webinars' cap of 10
    assert result.total - result.required == 25
    assert carried_over(LAST_YEAR, result) == 10


def test_points_carried_in_are_not_carried_again():
    carry = program(CarryOver(20, "carry.carried", categories=("service", "carried")))
    result = score(
        carry,
        Activity(kind="carry.carried", date=START, quantity=D("20")),
        course(date(2025, 3, 1), "45"),
        *[Activity(kind="carry.volunteer", year=2025)] * 2,
    )
    assert (result.total, result.by_category["carried"]) == (75, 20)
    # 15 over the requirement, but only the 10 points of service earned in this cycle go on.
    assert carried_over(carry, result) == 10


def test_the_carried_points_fit_the_carried_kinds_step():
    halves = program(
        CarryOver(20, "carry.carried"),
        carried=carried_kind(rule=Rule(score=PerUnit(1), quantity=multiples_of("0.5"))),
    )
    result = score(halves, course(date(2025, 3, 1), "67.75"))
    assert carried_over(halves, result) == D("7.5")
    assert carried_over(halves, score(halves, course(date(2025, 3, 1), "60.25"))) == 0


def test_results_are_exact_decimals():
    result = score(
        WHOLE_CYCLE, *[course(date(2025, 3, 1), "0.25")] * 3, course(date(2025, 4, 1), "60")
    )
    carried = carried_over(WHOLE_CYCLE, result)
    assert carried == D("0.75") and isinstance(carried, Decimal)
    assert str(carried) == "0.75"


def test_the_caller_may_give_the_excess_but_never_carry_more_than_it():
    result = score(WHOLE_CYCLE, course(date(2025, 3, 1), "75"))
    assert carried_over(WHOLE_CYCLE, result, excess=D("3.5")) == D("3.5")
    assert carried_over(WHOLE_CYCLE, result, excess=-4) == 0
    # A lower requirement (the one submitted under) leaves more excess, still within the limit.
    assert carried_over(WHOLE_CYCLE, result, excess=45) == 20
    with pytest.raises(ValueError, match="excess must be an int or Decimal"):
        carried_over(WHOLE_CYCLE, result, excess=3.5)


def test_a_result_of_another_program_is_refused():
    result = ipma(Activity(kind="ipma.pd.full_day", date=date(2026, 3, 5), quantity=30))
    with pytest.raises(ValueError, match="scores a 'ipma-hr' report"):
        carried_over(WHOLE_CYCLE, result)


def test_the_carried_entry_counts_in_full_on_the_next_cycles_first_day():
    result = score(LAST_YEAR, course(date(2026, 9, 1), "80"))
    carried = carried_over(LAST_YEAR, result)
    start = next_cycle_start(END)
    following = score(
        LAST_YEAR,
        Activity(kind="carry.carried", date=start, quantity=carried),
        start=start,
        end=LAST_YEAR.cycle_end(start),
    )
    assert (carried, following.total, following.lines[0].reason) == (20, 20, "")


# --- the window ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cycle_end", "months", "first_day"),
    [
        (date(2026, 12, 31), 12, date(2026, 1, 1)),  # an anniversary cycle
        (date(2025, 12, 1), 12, date(2024, 12, 2)),  # 2 December to 1 December
        (date(2026, 5, 30), 3, date(2026, 3, 1)),  # 31 February does not exist: 1 March
        (date(2028, 3, 28), 1, date(2028, 2, 29)),  # a leap year's 29 February exists
        (date(2026, 1, 31), 14, date(2024, 12, 1)),
    ],
)
def test_the_last_months_start_that_many_months_before_the_day_after_the_cycle(
    cycle_end, months, first_day
):
    carry = CarryOver(20, "carry.carried", earned_in_last_months=months)
    assert carry.earned_from(cycle_end) == first_day
    assert CarryOver(20, "carry.carried").earned_from(cycle_end) is None


def test_months_before_moves_a_missing_day_to_the_first_of_the_next_month():
    assert months_before(date(2027, 3, 31), 1) == date(2027, 3, 1)
    assert months_before(date(2026, 1, 15), 1) == date(2025, 12, 15)
    assert months_before(date(2025, 3, 29), 13) == date(2024, 2, 29)
