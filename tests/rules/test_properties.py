"""Properties of every evaluation, over random reports for each program (hypothesis).

Activities are generated from the programs' own declarations (kinds, quantity rules, periods),
so a new program gets the same checks by being added to PROGRAMS.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from recertification.rules import (
    AFTER_CYCLE,
    BEFORE_CYCLE,
    Activity,
    Program,
    Result,
    evaluate,
    get_program,
)

from .example_it_program import PROGRAM as EXAMPLE_IT

# program, credentials, cycle start, cycle end
PROGRAMS = [
    (get_program("ipma-hr"), ["IPMA-CP"], date(2024, 3, 15), date(2027, 3, 14)),
    (get_program("namss"), ["CPCS", "CPMSM"], date(2019, 12, 2), date(2022, 12, 1)),
    (get_program("ihmm"), ["CHMM"], date(2024, 1, 1), date(2028, 12, 31)),
    (EXAMPLE_IT, ["EX-SEC"], date(2024, 1, 1), date(2026, 12, 31)),
]
ORGANIZATIONS = ["SHRM", "shrm", " S H R M ", "WorldatWork", "World at Work", "NPELRA"]
GROUPS = ["Expo", " expo", "Summit"]
PROPERTY_SETTINGS = settings(max_examples=120, deadline=None)


def normalize(text: str) -> str:
    return "".join(text.split()).casefold()


@st.composite
def activities_for(draw, program: Program, start: date, end: date, kinds=None) -> Activity:
    kind = draw(st.sampled_from(kinds or program.kinds))
    quantity_rule = kind.latest.quantity
    if quantity_rule.fixed is not None:
        quantity = quantity_rule.fixed
    else:
        step = quantity_rule.step
        lowest = int(-(-(quantity_rule.minimum or step) // step))
        quantity = step * draw(st.integers(lowest, lowest + 40))
    # A few busy days make same-day and same-conference caps bite often.
    busy = [
        start,
        start + timedelta(days=1),
        end,
        start - timedelta(days=1),
        end + timedelta(days=1),
    ]
    when = draw(
        st.one_of(
            st.sampled_from(busy),
            st.dates(start, end),
            st.dates(start - timedelta(days=500), end + timedelta(days=500)),
        )
    )
    extra = {"date": when} if kind.period == "dated" else {"year": when.year}
    return Activity(
        kind=kind.code,
        quantity=quantity,
        organization=draw(st.sampled_from(ORGANIZATIONS)),
        group=draw(st.sampled_from(GROUPS)),
        approved=draw(st.booleans()),
        **extra,
    )


@st.composite
def reports(draw):
    program, credentials, start, end = draw(st.sampled_from(PROGRAMS))
    # A handful of kinds per report, so that each kind recurs and its caps fill up.
    kinds = draw(st.lists(st.sampled_from(program.kinds), min_size=1, max_size=4, unique=True))
    activities = draw(st.lists(activities_for(program, start, end, kinds), max_size=60))
    return program, credentials, start, end, activities


def run(program, credentials, start, end, activities) -> Result:
    return evaluate(
        program=program,
        credentials=credentials,
        cycle_start=start,
        cycle_end=end,
        activities=activities,
    )


def inside(activity: Activity, start: date, end: date) -> bool:
    if activity.date is not None:
        return start <= activity.date <= end
    return start.year <= activity.year <= end.year


@PROPERTY_SETTINGS
@given(reports())
def test_counted_never_exceeds_claimed_and_is_never_negative(report):
    result = run(*report)

    for line in result.lines:
        assert Decimal(0) <= line.counted <= line.claimed
        assert (line.reason == "") == (line.counted == line.claimed)


@PROPERTY_SETTINGS
@given(reports())
def test_the_total_is_the_sum_of_the_lines_and_of_the_categories(report):
    result = run(*report)

    assert result.total == sum((line.counted for line in result.lines), Decimal(0))
    assert result.total == sum(result.by_category.values(), Decimal(0))
    for code, amount in result.by_category.items():
        assert amount == sum((ln.counted for ln in result.lines if ln.category == code), Decimal(0))


@PROPERTY_SETTINGS
@given(reports())
def test_no_cap_is_ever_exceeded(report):
    program = report[0]
    result = run(*report)

    sums: dict[tuple, Decimal] = defaultdict(Decimal)
    limits: dict[tuple, Decimal] = {}
    for line in result.lines:
        activity = line.activity
        kind = program.kind(line.kind)
        for cap in kind.rule_on(activity.on).caps:
            values = {
                "organization": normalize(activity.organization),
                "group": normalize(activity.group),
                "date": activity.date,
                "year": activity.on.year,
            }
            key = (cap.key, *(values[d] for d in cap.per))
            sums[key] += line.counted
            limits[key] = cap.limit
        category = program.category(line.category)
        if category.maximum is not None:
            sums[("category", category.code)] += line.counted
            limits[("category", category.code)] = category.maximum
    for key, total in sums.items():
        assert total <= limits[key], key


@PROPERTY_SETTINGS
@given(reports(), st.randoms(use_true_random=False))
def test_the_total_does_not_depend_on_the_order_of_activities(report, random):
    program, credentials, start, end, activities = report
    shuffled = list(activities)
    random.shuffle(shuffled)

    first = run(program, credentials, start, end, activities)
    second = run(program, credentials, start, end, shuffled)

    assert first.total == second.total
    assert first.by_category == second.by_category
    assert first.met == second.met
    assert [m.counted for m in first.minimums] == [m.counted for m in second.minimums]


@PROPERTY_SETTINGS
@given(reports())
def test_activities_outside_the_cycle_count_zero_and_say_which_side(report):
    _, _, start, end, activities = report
    result = run(*report)

    for line in result.lines:
        activity = line.activity
        if inside(activity, start, end):
            assert line.reason not in (BEFORE_CYCLE, AFTER_CYCLE)
            continue
        assert line.counted == 0
        on = activity.date or date(activity.year, 12, 31)
        assert line.reason == (BEFORE_CYCLE if on < start else AFTER_CYCLE)


@PROPERTY_SETTINGS
@given(reports(), st.data())
def test_adding_an_activity_never_lowers_the_total(report, data):
    program, credentials, start, end, activities = report
    extra = data.draw(activities_for(program, start, end))

    before = run(program, credentials, start, end, activities)
    after = run(program, credentials, start, end, [*activities, extra])

    assert after.total >= before.total
    assert after.lines[:-1] == before.lines


@PROPERTY_SETTINGS
@given(reports())
def test_met_means_the_total_and_every_minimum_are_reached(report):
    result = run(*report)

    expected = result.total >= result.required and all(m.met for m in result.minimums)
    assert result.met == expected
    assert (result.shortfalls == []) == result.met
