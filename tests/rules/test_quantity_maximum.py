"""The most one entry of a kind may claim: declared per kind, enforced by the engine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recertification.rules import (
    Activity,
    ActivityError,
    Quantity,
    check_activity,
    evaluate,
    get_program,
    ihmm,
    ipma_hr,
    multiples_of,
    namss,
    whole,
)

SHIPPED = (ipma_hr.PROGRAM, namss.PROGRAM, ihmm.PROGRAM)
QUANTITY_KINDS = [
    (program, kind)
    for program in SHIPPED
    for kind in program.kinds
    if any(rule.quantity.fixed is None for rule in kind.rules)
]
IDS = [kind.code for _program, kind in QUANTITY_KINDS]

# What each shipped kind declares; docs/rules.md gives the reasoning.
DECLARED = {
    "ipma.pd.full_day": Decimal(60),
    "ipma.pd.partial_day": Decimal(60),
    "ipma.pd.college": Decimal(21),
    "namss.ce": Decimal(45),
    "ihmm.training": Decimal(120),
    "ihmm.conference": Decimal(12),
    "ihmm.item_writing": Decimal(100),
}


def activity(kind, quantity: Decimal) -> Activity:
    on = date(2024, 3, 5)
    dated = kind.period == "dated"
    return Activity(
        kind=kind.code,
        date=on if dated else None,
        year=None if dated else on.year,
        quantity=quantity,
        organization="Org" if "organization" in kind.requires else "",
        group="Conference" if "group" in kind.requires else "",
    )


@pytest.mark.parametrize(("program", "kind"), QUANTITY_KINDS, ids=IDS)
def test_every_quantity_kind_of_every_program_declares_a_maximum(program, kind):
    for rule in kind.rules:
        assert rule.quantity.maximum is not None, kind.code
    assert kind.latest.quantity.maximum == DECLARED[kind.code]


def test_the_list_of_declared_maxima_is_complete():
    assert sorted(DECLARED) == sorted(IDS)


@pytest.mark.parametrize(("program", "kind"), QUANTITY_KINDS, ids=IDS)
def test_the_engine_accepts_the_maximum(program, kind):
    maximum = kind.latest.quantity.maximum
    assert check_activity(program, activity(kind, maximum)) >= 0


@pytest.mark.parametrize(("program", "kind"), QUANTITY_KINDS, ids=IDS)
def test_the_engine_refuses_one_step_above_the_maximum(program, kind):
    rule = kind.latest.quantity
    above = rule.maximum + (rule.step or 1)
    with pytest.raises(ActivityError) as raised:
        check_activity(program, activity(kind, above))
    assert raised.value.field == "quantity"
    message = str(raised.value)
    assert f"at most {rule.maximum.normalize():f} {kind.unit_plural}" in message.lower()
    assert kind.short in message


@pytest.mark.parametrize(("program", "kind"), QUANTITY_KINDS, ids=IDS)
def test_a_typo_like_99999_is_refused(program, kind):
    with pytest.raises(ActivityError, match="(?i)at most"):
        check_activity(program, activity(kind, Decimal(99_999)))


def test_the_message_groups_thousands():
    kind = get_program("namss").kind("namss.ce")
    with pytest.raises(ActivityError, match=r"\(got 99,999\)"):
        check_activity("namss", activity(kind, Decimal(99_999)))


def test_the_maximum_of_the_version_in_force_applies():
    program = get_program("ihmm")
    kind = program.kind("ihmm.conference")
    assert check_activity(program, activity(kind, Decimal(12))) == 12
    with pytest.raises(ActivityError, match="conference day"):
        check_activity(program, activity(kind, Decimal("12.25")))


def test_a_maximum_below_the_minimum_is_refused():
    with pytest.raises(ValueError, match="maximum"):
        Quantity(step=Decimal(1), minimum=Decimal(5), maximum=Decimal(3))
    with pytest.raises(ValueError, match="maximum"):
        whole(5, maximum=5)
    with pytest.raises(ValueError, match="maximum"):
        multiples_of("0.25", minimum=1, maximum="0.5")


def test_a_maximum_off_the_step_is_refused():
    with pytest.raises(ValueError, match="multiple of 0.5"):
        multiples_of("0.5", maximum="10.25")


def test_a_fixed_quantity_has_no_maximum():
    with pytest.raises(ValueError, match="fixed"):
        Quantity(fixed=Decimal(1), maximum=Decimal(3))


def test_a_maximum_must_be_positive():
    with pytest.raises(ValueError, match="more than 0"):
        Quantity(step=Decimal(1), maximum=Decimal(0))


def test_a_declaration_without_a_maximum_is_still_allowed():
    assert whole().maximum is None
    assert multiples_of("0.25", maximum=40).maximum == Decimal(40)


def test_a_stored_entry_above_the_maximum_counts_up_to_it_and_never_stops_the_report():
    """An entry saved before its kind declared a maximum (or before it was lowered) is still
    scored: it counts the maximum's points and says why; the report's other entries count as
    before. Only new entries are refused (check_activity, above)."""
    college = get_program("ipma-hr").kind("ipma.pd.college")

    def scored(*quantities):
        return evaluate(
            program="ipma-hr",
            credentials=["IPMA-CP"],
            cycle_start=date(2024, 1, 1),
            cycle_end=date(2026, 12, 31),
            activities=[activity(college, Decimal(q)) for q in quantities],
        )

    over, at = scored(3, 30), scored(3, 21)
    assert [line.counted for line in over.lines] == [line.counted for line in at.lines]
    assert over.total == at.total
    line = over.lines[1]
    assert line.claimed > line.counted
    assert line.reason.startswith("at most 21 credit hours count on one entry")
    assert over.lines[0].reason == ""
