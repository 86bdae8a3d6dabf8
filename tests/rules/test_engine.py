"""The engine itself: Activity checks, errors, reasons, versions by effective_from, the registry."""

from __future__ import annotations

import ast
import datetime as dt
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import recertification.rules as rules
from recertification.rules import (
    Activity,
    ActivityError,
    Cap,
    Category,
    Cycle,
    Kind,
    PerUnit,
    Program,
    Requirement,
    Rule,
    check_activity,
    date_field,
    evaluate,
    format_decimal,
    get_program,
    next_cycle_start,
    organization_field,
    programs,
    quantity_field,
    register,
    unregister,
    whole,
    year_field,
)

from .helpers import counted, ihmm, ipma

RULES_DIR = Path(rules.__file__).parent

# --- Activity ---------------------------------------------------------------------------------


def test_an_int_quantity_is_stored_as_decimal():
    activity = Activity(kind="ipma.pd.full_day", date=date(2024, 1, 2), quantity=2)

    assert activity.quantity == Decimal(2)
    assert isinstance(activity.quantity, Decimal)


def test_a_float_quantity_is_refused_with_the_decimal_to_use():
    with pytest.raises(ValueError, match=r"not float \(got 0\.5\); use Decimal\('0\.5'\)"):
        Activity(kind="ihmm.training", date=date(2024, 1, 2), quantity=0.5)


@pytest.mark.parametrize("quantity", [True, "2", None, Decimal("NaN"), Decimal("Infinity")])
def test_other_quantities_that_are_not_numbers_are_refused(quantity):
    with pytest.raises(ValueError, match=r"quantity must be"):
        Activity(kind="ihmm.training", date=date(2024, 1, 2), quantity=quantity)


def test_a_datetime_is_refused_as_a_date():
    with pytest.raises(ValueError, match=r"datetime\.date, not datetime"):
        Activity(kind="ihmm.training", date=dt.datetime(2024, 1, 2, 9, 0), quantity=1)


@pytest.mark.parametrize("year", [True, "2024", 0, 10000])
def test_a_year_must_be_a_four_digit_int(year):
    with pytest.raises(ValueError, match=r"four-digit int"):
        Activity(kind="ipma.leadership.ipma", year=year)


@pytest.mark.parametrize("kind", ["", "   ", None])
def test_an_activity_needs_a_kind(kind):
    with pytest.raises(ValueError, match=r"kind must be a non-empty string"):
        Activity(kind=kind)


def test_activities_are_frozen():
    activity = Activity(kind="ipma.leadership.ipma", year=2024)

    with pytest.raises(AttributeError):
        activity.year = 2025


# --- errors -----------------------------------------------------------------------------------


def test_an_unknown_kind_names_the_close_match_and_the_known_kinds():
    with pytest.raises(
        ValueError,
        match=r"Unknown activity kind 'ipma.pd.fullday' for IPMA-HR\. "
        r"Did you mean 'ipma.pd.full_day'\? Known kinds: ipma.pd.full_day",
    ):
        ipma(Activity(kind="ipma.pd.fullday", date=date(2024, 1, 2)))


def test_a_kind_of_another_program_is_unknown():
    with pytest.raises(ValueError, match=r"Unknown activity kind 'namss.ce' for IHMM"):
        ihmm(Activity(kind="namss.ce", date=date(2024, 1, 2)))


def test_an_activity_error_says_which_activity_it_is():
    good = Activity(kind="ipma.leadership.ipma", year=2024)
    bad = Activity(kind="ipma.pd.full_day", date=date(2024, 1, 2), quantity=0)

    with pytest.raises(ActivityError) as caught:
        ipma(good, good, bad)

    assert caught.value.index == 2
    assert caught.value.activity is bad
    assert caught.value.field == "quantity"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("activity", "field"),
    [
        (Activity(kind="ipma.nope", year=2024), "kind"),
        (Activity(kind="ipma.pd.full_day"), "date"),
        (Activity(kind="ipma.pd.full_day", date=date(2024, 1, 2), year=2024), "year"),
        (Activity(kind="ipma.leadership.ipma"), "year"),
        (Activity(kind="ipma.membership.other", year=2024), "organization"),
        (Activity(kind="ipma.pd.college", date=date(2024, 1, 2), quantity=0), "quantity"),
    ],
)
def test_an_activity_error_names_the_field_a_form_should_mark(activity, field):
    with pytest.raises(ActivityError) as caught:
        check_activity("ipma-hr", activity)

    assert caught.value.field == field


def test_an_unknown_program_is_refused():
    with pytest.raises(ValueError, match=r"Unknown program 'ipma'"):
        get_program("ipma")


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ("IPMA-SCP", r"credentials must be a list of codes"),
        ([], r"Name the credential being recertified"),
        (["CPCS", "CPCS"], r"Credential listed twice"),
    ],
)
def test_credentials_must_be_a_list_of_known_distinct_codes(credentials, message):
    program = "ipma-hr" if credentials == "IPMA-SCP" or credentials == [] else "namss"
    with pytest.raises(ValueError, match=message):
        evaluate(
            program=program,
            credentials=credentials,
            cycle_start=date(2024, 1, 1),
            cycle_end=date(2026, 12, 31),
            activities=[],
        )


def test_a_cycle_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match=r"cycle_end 2023-12-31 is before cycle_start 2024-01-01"):
        ipma(start=date(2024, 1, 1), end=date(2023, 12, 31))


def test_something_that_is_not_an_activity_is_refused():
    with pytest.raises(ValueError, match=r"Expected an Activity, got dict"):
        ipma({"kind": "ipma.leadership.ipma", "year": 2024})


# --- results ----------------------------------------------------------------------------------


def test_lines_follow_the_activities_in_order_with_kind_and_category():
    activities = [
        Activity(kind="ipma.leadership.ipma", year=2024),
        Activity(kind="ipma.pd.partial_day", date=date(2024, 2, 2), quantity=2),
    ]

    result = ipma(*activities)

    assert [line.activity for line in result.lines] == activities
    assert [(line.kind, line.category) for line in result.lines] == [
        ("ipma.leadership.ipma", "leadership"),
        ("ipma.pd.partial_day", "pd"),
    ]
    assert all(line.in_full for line in result.lines)
    assert result.lines[0].effective_from == rules.ALWAYS


def test_by_category_lists_every_category_and_adds_up_to_the_total():
    result = ipma(
        Activity(kind="ipma.leadership.ipma", year=2024),
        Activity(kind="ipma.pd.partial_day", date=date(2024, 2, 2), quantity=2),
    )

    assert list(result.by_category) == [c.code for c in get_program("ipma-hr").categories]
    assert sum(result.by_category.values()) == result.total == 5


def test_an_empty_report_needs_every_point():
    result = ipma()

    assert (result.total, result.met, result.remaining) == (0, False, 50)
    assert result.shortfalls == ["50 more points are needed (0 of 50 counted)."]


def test_one_missing_point_reads_in_the_singular():
    result = ipma(
        Activity(kind="ipma.pd.full_day", date=date(2024, 2, 2), quantity=16),
        Activity(kind="ipma.pd.partial_day", date=date(2024, 2, 2)),
    )

    assert result.shortfalls == ["1 more point is needed (49 of 50 counted)."]


def test_results_are_frozen():
    result = ipma()

    with pytest.raises(AttributeError):
        result.total = Decimal(50)


def test_check_activity_returns_the_points_an_entry_claims():
    assert (
        check_activity(
            "ipma-hr", Activity(kind="ipma.pd.college", date=date(2024, 1, 2), quantity=7)
        )
        == 10
    )
    with pytest.raises(ValueError, match=r"at least 1 contact hour"):
        check_activity(
            "ihmm", Activity(kind="ihmm.training", date=date(2024, 1, 2), quantity=Decimal("0.75"))
        )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("5.00"), "5"),
        (Decimal("50"), "50"),
        (Decimal("5E+1"), "50"),
        (Decimal("0.25"), "0.25"),
        (Decimal("0.250"), "0.25"),
        (Decimal("-0"), "0"),
        (Decimal("0.00"), "0"),
        (Decimal("1234.5"), "1234.5"),
        (7, "7"),
    ],
)
def test_decimals_are_formatted_as_people_write_them(value, text):
    assert format_decimal(value) == text


def test_the_next_cycle_starts_the_day_after_the_old_one_ends():
    assert next_cycle_start(date(2026, 12, 31)) == date(2027, 1, 1)


def test_evaluation_ignores_the_callers_decimal_context():
    import decimal

    with decimal.localcontext() as context:
        context.prec = 2
        result = ihmm(
            Activity(kind="ihmm.training", date=date(2024, 2, 2), quantity=Decimal("10.25")),
            Activity(kind="ihmm.training", date=date(2024, 2, 3), quantity=Decimal("10.25")),
        )

    assert result.total == Decimal("20.50")


# --- versions by effective_from ---------------------------------------------------------------

CHANGE = date(2025, 7, 1)
_OLD = Rule(score=PerUnit(2), quantity=whole(), caps=(Cap(10),))
_WORKSHOP = Kind(
    code="syn.workshop",
    label="Workshop",
    category="main",
    unit="day",
    period="dated",
    # The synthetic rule change: 2 points a day with a cap of 10, then 3 a day with a cap of 12.
    rules=(_OLD, _OLD.then(CHANGE, score=PerUnit(3), caps=(Cap(12),))),
    fields=(date_field("Date"), quantity_field("Days")),
)
_BOARD = Kind(
    code="syn.board",
    label="Board service",
    category="main",
    unit="year",
    period="yearly",
    rules=(
        Rule(score=PerUnit(1), effective_from=date(2024, 1, 1)),
        Rule(score=PerUnit(4), effective_from=date(2026, 1, 1)),
    ),
    fields=(year_field("Year"),),
)
SYNTHETIC = Program(
    code="synthetic",
    name="Synthetic",
    long_name="A program whose rules change on 1 July 2025",
    credentials={"SYN": "Synthetic"},
    cycle=Cycle(years=3),
    categories=(Category("main", "Main"),),
    kinds=(_WORKSHOP, _BOARD),
    requirements=(Requirement(20),),
)


def synthetic(*activities: Activity):
    return evaluate(
        program=SYNTHETIC,
        credentials=["SYN"],
        cycle_start=date(2023, 1, 1),
        cycle_end=date(2027, 12, 31),
        activities=list(activities),
    )


def test_activities_on_each_side_of_a_rule_change_use_their_own_version():
    result = synthetic(
        Activity(kind="syn.workshop", date=date(2025, 6, 30), quantity=2),
        Activity(kind="syn.workshop", date=CHANGE, quantity=2),
    )

    assert counted(result) == [4, 6]
    assert [line.effective_from for line in result.lines] == [rules.ALWAYS, CHANGE]


def test_a_changed_cap_is_shared_by_both_versions_with_each_line_held_to_its_own_limit():
    result = synthetic(
        Activity(kind="syn.workshop", date=date(2024, 3, 1), quantity=4),  # 8 under the old cap 10
        Activity(kind="syn.workshop", date=date(2024, 3, 9), quantity=2),  # 4, 2 fit under 10
        Activity(kind="syn.workshop", date=date(2026, 3, 1), quantity=1),  # 3, 2 fit under 12
    )

    assert counted(result) == [8, 2, 2]
    assert result.lines[1].reason == "cap of 10 points for Workshop reached"
    assert result.lines[2].reason == "cap of 12 points for Workshop reached"


def test_yearly_activities_use_the_version_in_force_on_1_january():
    result = synthetic(
        Activity(kind="syn.board", year=2025),
        Activity(kind="syn.board", year=2026),
    )

    assert counted(result) == [1, 4]


def test_an_activity_before_the_first_version_counts_nothing_and_says_why():
    result = synthetic(Activity(kind="syn.board", year=2023))

    assert result.lines[0].counted == 0
    assert result.lines[0].reason == "Board service counts only from 2024-01-01"


def test_kinds_describe_their_newest_version():
    assert _WORKSHOP.points == "3 points per day"
    assert _WORKSHOP.cap_descriptions == ("Maximum 12 points per cycle",)
    assert _WORKSHOP.rule_on(date(2025, 6, 30)).score == PerUnit(2)
    assert _WORKSHOP.rule_on(CHANGE).score == PerUnit(3)


def test_versions_must_be_in_date_order():
    with pytest.raises(ValueError, match=r"increasing effective_from order"):
        Kind(
            code="bad",
            label="Bad",
            category="main",
            unit="day",
            period="dated",
            rules=(_OLD.then(CHANGE), _OLD),
            fields=(date_field("Date"), quantity_field("Days")),
        )


# --- declarations fail early ------------------------------------------------------------------


def _kind(**changes) -> Kind:
    spec = {
        "code": "t.kind",
        "label": "Kind",
        "category": "main",
        "unit": "day",
        "period": "dated",
        "rules": (Rule(score=PerUnit(1), quantity=whole()),),
        "fields": (date_field("Date"), quantity_field("Days")),
    }
    spec.update(changes)
    return Kind(**spec)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"period": "monthly"}, r"period must be one of"),
        ({"rules": ()}, r"needs at least one Rule"),
        ({"fields": (date_field("Date"),)}, r"declare a quantity_field"),
        ({"fields": (quantity_field("Days"),)}, r"needs a required 'date' field"),
        (
            {"rules": (Rule(score=PerUnit(1)),)},
            r"quantity is fixed, so the form must not ask for it",
        ),
        (
            {
                "rules": (
                    Rule(score=PerUnit(1), quantity=whole(), caps=(Cap(3, per=("organization",)),)),
                )
            },
            r"needs those fields in `requires`",
        ),
        ({"requires": ("organization",)}, r"needs a required 'organization' field"),
        ({"requires": ("approved",)}, r"requires may name organization and group only"),
        (
            {"period": "yearly", "fields": (date_field("Date"), quantity_field("Days"))},
            r"declare a 'year' field, not 'date'",
        ),
    ],
)
def test_a_badly_declared_kind_fails_when_it_is_built(changes, message):
    with pytest.raises(ValueError, match=message):
        _kind(**changes)


def test_a_kind_with_an_organization_cap_declares_the_organization():
    kind = _kind(
        requires=("organization",),
        rules=(Rule(score=PerUnit(1), quantity=whole(), caps=(Cap(3, per=("organization",)),)),),
        fields=(organization_field(), date_field("Date"), quantity_field("Days")),
    )

    assert kind.needs == ("date", "organization")
    assert kind.latest.caps[0].key == "t.kind:organization"


def _program(**changes) -> Program:
    spec = {
        "code": "t",
        "name": "T",
        "long_name": "T",
        "credentials": {"T": "T"},
        "cycle": Cycle(years=1),
        "categories": (Category("main", "Main"),),
        "kinds": (_kind(),),
        "requirements": (Requirement(1),),
    }
    spec.update(changes)
    return Program(**spec)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kinds": (_kind(), _kind())}, r"duplicate kind codes \['t.kind'\]"),
        ({"kinds": (_kind(category="other"),)}, r"unknown category 'other'"),
        ({"requirements": ()}, r"needs at least one Requirement"),
        ({"credentials": {}}, r"needs at least one credential"),
        (
            {"requirements": (Requirement(1, (rules.Minimum(1, "x", categories=("nope",)),)),)},
            r"a minimum names unknown codes \['nope'\]",
        ),
    ],
)
def test_a_badly_declared_program_fails_when_it_is_built(changes, message):
    with pytest.raises(ValueError, match=message):
        _program(**changes)


def test_float_numbers_are_refused_in_declarations_too():
    with pytest.raises(ValueError, match=r"not float"):
        PerUnit(0.5)
    with pytest.raises(ValueError, match=r"not float"):
        Cap(2.5)


# --- the registry -----------------------------------------------------------------------------


def test_the_three_programs_are_registered_with_ipma_hr_first():
    assert [p.code for p in programs()] == ["ipma-hr", "namss", "ihmm"]
    assert rules.DEFAULT_PROGRAM == "ipma-hr"


def test_a_program_can_be_registered_and_removed():
    program = _program(code="t-registry")
    try:
        assert register(program) is program
        assert get_program("t-registry") is program
        assert register(program) is program  # registering the same object again is harmless
        with pytest.raises(ValueError, match=r"already registered"):
            register(_program(code="t-registry"))
    finally:
        unregister("t-registry")
    assert "t-registry" not in [p.code for p in programs()]


def test_get_program_returns_a_program_object_as_is():
    assert get_program(SYNTHETIC) is SYNTHETIC


# --- purity -----------------------------------------------------------------------------------


def _sources() -> list[Path]:
    return sorted(RULES_DIR.glob("*.py"))


def test_the_rules_package_imports_nothing_from_django_or_io_modules():
    banned = {"django", "os", "io", "pathlib", "open", "requests", "sqlite3", "socket"}
    for path in _sources():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not names & banned, f"{path.name} imports {names & banned}"


def test_the_rules_package_never_makes_a_float():
    for path in _sources():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant):
                assert not isinstance(node.value, float), f"float literal in {path.name}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "float", f"float() call in {path.name}"


@pytest.mark.parametrize(
    ("activity", "position"),
    [
        (Activity(kind="x", date=date(2023, 12, 31)), rules.BEFORE_CYCLE),
        (Activity(kind="x", date=date(2024, 1, 1)), ""),
        (Activity(kind="x", date=date(2027, 1, 1)), rules.AFTER_CYCLE),
        (Activity(kind="x", year=2023), rules.BEFORE_CYCLE),
        (Activity(kind="x", year=2026), ""),
        (Activity(kind="x", year=2027), rules.AFTER_CYCLE),
    ],
)
def test_outside_cycle_tells_a_form_which_side_of_the_cycle_an_entry_falls(activity, position):
    assert rules.outside_cycle(activity, date(2024, 1, 1), date(2026, 12, 31)) == position
