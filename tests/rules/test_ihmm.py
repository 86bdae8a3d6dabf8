"""IHMM: contact hours, the conference caps per day and per conference, item writing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recertification.rules import Activity, cycle_end, get_program

from .helpers import counted, ihmm, reasons

PROGRAM = get_program("ihmm")


def training(hours, day=date(2025, 3, 3)) -> Activity:
    return Activity(kind="ihmm.training", date=day, quantity=Decimal(str(hours)))


def conference(hours, day, group="HazMat Expo") -> Activity:
    return Activity(kind="ihmm.conference", date=day, group=group, quantity=Decimal(str(hours)))


def items(count, day=date(2025, 3, 3)) -> Activity:
    return Activity(kind="ihmm.item_writing", date=day, quantity=count)


@pytest.mark.parametrize("hours", ["1", "1.25", "7.5", "40"])
def test_training_scores_1_cmp_per_contact_hour_in_quarters(hours):
    assert ihmm(training(hours)).total == Decimal(hours)


def test_training_hours_must_be_in_quarter_hours():
    with pytest.raises(
        ValueError, match=r"Contact hours must be in multiples of 0\.25 \(got 1\.1\)"
    ):
        ihmm(training("1.1"))


@pytest.mark.parametrize("hours", ["0.25", "0.75"])
def test_training_under_one_hour_is_refused(hours):
    with pytest.raises(
        ValueError, match=rf"IHMM training claims need at least 1 contact hour \(got {hours}\)"
    ):
        ihmm(training(hours))


def test_zero_training_hours_are_refused():
    with pytest.raises(ValueError, match=r"Contact hours must be more than 0 \(got 0\)"):
        ihmm(training("0"))


def test_a_conference_day_counts_at_most_5_cmps():
    result = ihmm(conference(8, date(2025, 4, 7)))

    assert (result.lines[0].claimed, result.lines[0].counted) == (8, 5)
    assert result.lines[0].reason == "5 CMPs per conference day"


def test_two_claims_on_one_conference_day_share_the_day_cap():
    result = ihmm(conference(3, date(2025, 4, 7)), conference(3, date(2025, 4, 7)))

    assert counted(result) == [3, 2]
    assert reasons(result) == ["", "5 CMPs per conference day"]


def test_the_conference_cap_shows_the_part_that_counted():
    days = [conference(5, date(2025, 4, d)) for d in (7, 8, 9)] + [conference(8, date(2025, 4, 10))]
    days.append(conference("2.5", date(2025, 4, 11)))

    result = ihmm(*days)

    assert counted(result) == [5, 5, 5, 5, 0]
    assert result.lines[3].reason == "5 CMPs per conference day"
    assert result.lines[4].reason == "20 CMPs per conference reached"


def test_the_conference_cap_is_keyed_by_conference_ignoring_case_and_spaces():
    days = [conference(5, date(2025, 4, d), group="HazMat Expo") for d in (7, 8)]
    days += [conference(5, date(2025, 4, d), group="hazmat  expo ") for d in (9, 10, 11)]
    days += [conference(5, date(2025, 9, d), group="Safety Summit") for d in (1, 2)]

    result = ihmm(*days)

    assert counted(result) == [5, 5, 5, 5, 0, 5, 5]
    assert result.total == 30


def test_the_same_day_at_two_conferences_has_two_day_caps():
    result = ihmm(
        conference(5, date(2025, 4, 7), group="Expo"),
        conference(5, date(2025, 4, 7), group="Summit"),
    )

    assert result.total == 10


def test_a_conference_day_needs_the_conference_name():
    with pytest.raises(
        ValueError, match=r"IHMM conference day needs a group: fill in .Conference name"
    ):
        ihmm(Activity(kind="ihmm.conference", date=date(2025, 4, 7), quantity=5))


def test_a_conference_day_claim_needs_at_least_one_contact_hour():
    with pytest.raises(ValueError, match=r"at least 1 contact hour"):
        ihmm(conference("0.5", date(2025, 4, 7)))


def test_pre_and_post_conference_sessions_are_training_outside_the_conference_caps():
    days = [conference(8, date(2025, 4, d)) for d in (7, 8, 9, 10, 11)]
    pre = training(8, day=date(2025, 4, 6))
    post = training(4, day=date(2025, 4, 11))

    result = ihmm(pre, *days, post)

    assert result.total == 8 + 20 + 4
    assert result.by_category == {"training": 12, "conference": 20, "item_writing": 0}


def test_item_writing_is_capped_at_20_per_cycle_with_the_partial_line_shown():
    result = ihmm(items(15), items(10, day=date(2026, 1, 1)), items(3, day=date(2027, 1, 1)))

    assert counted(result) == [15, 5, 0]
    assert reasons(result) == [
        "",
        "cap of 20 CMPs for Examination item writing reached",
        "cap of 20 CMPs for Examination item writing reached",
    ]


def test_items_are_whole_numbers():
    with pytest.raises(ValueError, match=r"Number of items must be a whole number \(got 2\.5\)"):
        ihmm(items(Decimal("2.5")))


def test_the_requirement_is_100_cmps():
    result = ihmm(training(60))

    assert result.required == 100
    assert result.shortfalls == ["40 more CMPs are needed (60 of 100 counted)."]


def test_only_chmm_is_a_credential():
    assert dict(PROGRAM.credentials) == {"CHMM": "Certified Hazardous Materials Manager"}
    with pytest.raises(ValueError, match=r"Unknown credential 'CSHM'"):
        ihmm_with_credentials(["CSHM"])


def ihmm_with_credentials(credentials):
    from recertification.rules import evaluate

    return evaluate(
        program="ihmm",
        credentials=credentials,
        cycle_start=date(2024, 1, 1),
        cycle_end=date(2028, 12, 31),
        activities=[],
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2024, 1, 1), date(2028, 12, 31)), (date(2023, 7, 15), date(2028, 7, 14))],
)
def test_a_cycle_lasts_five_years(start, end):
    assert cycle_end("ihmm", start) == end
    assert PROGRAM.cycle_years == 5


def test_caps_are_described_per_conference_day_and_per_conference():
    kind = PROGRAM.kind("ihmm.conference")

    assert kind.points == "1 CMP per contact hour"
    assert kind.cap_descriptions == (
        "Maximum 5 CMPs per conference day",
        "Maximum 20 CMPs per conference",
    )
    assert PROGRAM.kind("ihmm.item_writing").cap_descriptions == ("Maximum 20 CMPs per cycle",)


def test_the_conference_form_maps_the_conference_onto_group():
    fields = PROGRAM.form_fields("ihmm.conference")

    assert [(f.name, f.label, f.scoring) for f in fields] == [
        ("kind", "Activity claim type", False),
        ("group", "Conference name", True),
        ("date", "Conference day", True),
        ("quantity", "Contact hours", True),
    ]
    assert fields[-1].step == Decimal("0.25")
    assert fields[-1].min_value == 1
