"""NAMSS: requirement variants, the approved minimum, credit quantities, cycle and calendar."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recertification.rules import Activity, cycle_end, deadlines, default_fees, get_program, namss

from .helpers import counted
from .helpers import namss as evaluate_namss

PROGRAM = get_program("namss")


def ce(quantity, approved=False, day=date(2021, 5, 4)) -> Activity:
    return Activity(kind="namss.ce", date=day, quantity=Decimal(str(quantity)), approved=approved)


@pytest.mark.parametrize("credential", ["CPCS", "CPMSM"])
def test_one_credential_needs_30_credits_with_15_approved(credential):
    result = evaluate_namss(ce(15), ce(15, approved=True), credentials=(credential,))

    assert (result.required, result.met) == (30, True)
    assert [(m.label, m.required, m.counted) for m in result.minimums] == [
        ("NAMSS-approved credits", 15, 15)
    ]


def test_both_credentials_need_45_credits_with_25_approved():
    result = evaluate_namss(ce(20), ce(25, approved=True), credentials=("CPCS", "CPMSM"))

    assert (result.total, result.required, result.met) == (45, 45, True)


def test_both_credentials_with_30_credits_name_both_shortfalls():
    result = evaluate_namss(ce(16), ce(14, approved=True), credentials=("CPMSM", "CPCS"))

    assert result.met is False
    assert result.shortfalls == [
        "15 more credits are needed (30 of 45 counted).",
        "11 more NAMSS-approved credits are needed (14 of 25).",
    ]


def test_a_single_missing_credit_reads_in_the_singular():
    result = evaluate_namss(ce(21), ce(24, approved=True), credentials=("CPCS", "CPMSM"))

    assert result.shortfalls == ["1 more NAMSS-approved credit is needed (24 of 25)."]


def test_first_dual_cycle_needs_only_30_with_15_approved():
    result = evaluate_namss(
        ce(15), ce("14.75", approved=True), credentials=("CPCS", "CPMSM"), first_dual_cycle=True
    )

    assert result.required == 30
    assert result.shortfalls == [
        "0.25 more credits are needed (29.75 of 30 counted).",
        "0.25 more NAMSS-approved credits are needed (14.75 of 15).",
    ]


def test_first_dual_cycle_with_one_credential_is_refused():
    with pytest.raises(ValueError, match=r"first dual cycle applies only when recertifying both"):
        evaluate_namss(credentials=("CPCS",), first_dual_cycle=True)


def test_more_approved_credits_than_the_minimum_also_count_toward_the_total():
    result = evaluate_namss(ce(30, approved=True))

    assert result.total == 30
    assert result.met


def test_approved_credits_outside_the_cycle_do_not_count_toward_the_minimum():
    result = evaluate_namss(
        ce(15, approved=True, day=date(2019, 12, 1)),
        ce(15, approved=True, day=date(2022, 12, 2)),
        ce(30, day=date(2019, 12, 2)),
    )

    assert counted(result) == [0, 0, 30]
    assert [line.reason for line in result.lines][:2] == [
        "before the cycle start",
        "after the cycle end",
    ]
    assert result.shortfalls == ["15 more NAMSS-approved credits are needed (0 of 15)."]


@pytest.mark.parametrize("quantity", ["0.25", "0.5", "1.75", "12"])
def test_credits_in_quarters_are_accepted(quantity):
    assert evaluate_namss(ce(quantity)).total == Decimal(quantity)


def test_credits_must_be_in_multiples_of_a_quarter():
    with pytest.raises(ValueError, match=r"Credits must be in multiples of 0\.25 \(got 0\.3\)"):
        evaluate_namss(ce("0.3"))


def test_credits_below_a_quarter_are_refused():
    with pytest.raises(ValueError, match=r"NAMSS CE claims need at least 0\.25 credits"):
        evaluate_namss(ce("0.1"))


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_zero_or_negative_credits_are_refused(quantity):
    with pytest.raises(ValueError, match=r"Credits must be more than 0"):
        evaluate_namss(ce(quantity))


def test_ce_claims_need_a_date():
    with pytest.raises(ValueError, match=r"NAMSS CE needs a date"):
        evaluate_namss(Activity(kind="namss.ce", quantity=1))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2019, 12, 2), date(2022, 12, 1)),
        (date(2019, 6, 15), date(2022, 12, 1)),
        (date(2019, 1, 2), date(2022, 12, 1)),
        (date(2019, 12, 20), date(2022, 12, 1)),
        (date(2022, 12, 2), date(2025, 12, 1)),
    ],
)
def test_a_cycle_ends_on_1_december_three_years_after_the_start_year(start, end):
    assert cycle_end("namss", start) == end


def test_the_calendar_of_a_renewal_year():
    assert deadlines("namss", 2022) == {
        "application_opens": date(2022, 8, 1),
        "on_time_until": date(2022, 12, 1),
        "extension_request_until": date(2022, 12, 1),
        "late_until": date(2022, 12, 31),
        "lapses_on": date(2023, 1, 1),
        "extension_until": date(2023, 6, 1),
        "reinstatement_until": date(2023, 6, 30),
    }
    assert namss.GRACE_MONTHS == 6


@pytest.mark.parametrize(
    ("day", "extension", "fees"),
    [
        (date(2022, 7, 31), False, []),
        (date(2022, 8, 1), False, ["recertification"]),
        (date(2022, 12, 1), False, ["recertification"]),
        (date(2022, 12, 2), False, ["recertification", "late"]),
        (date(2022, 12, 31), False, ["recertification", "late"]),
        (date(2023, 3, 1), True, ["recertification"]),
        (date(2023, 3, 1), False, ["recertification", "reinstatement"]),
        (date(2023, 6, 2), True, ["recertification", "reinstatement"]),
        (date(2023, 7, 1), False, []),
    ],
)
def test_fees_follow_the_calendar(day, extension, fees):
    assert namss.PROGRAM.fees_due(2022, day, extension_granted=extension) == fees


def test_fees_default_to_the_faq_amounts():
    fees = default_fees("namss")

    assert {code: fee.amount for code, fee in fees.items()} == {
        "recertification": Decimal("175.00"),
        "late": Decimal("50.00"),
        "extension": Decimal("50.00"),
        "reinstatement": Decimal("100.00"),
    }
    assert fees["recertification"].stated is False
    assert all(fee.currency == "USD" for fee in fees.values())


def test_an_extension_needs_certificates_for_half_the_required_credits():
    assert namss.PROGRAM.extension_credits_needed(["CPCS"]) == 15
    assert namss.PROGRAM.extension_credits_needed(["CPCS", "CPMSM"]) == Decimal("22.5")


def test_the_ce_form_asks_for_the_faq_fields():
    fields = PROGRAM.form_fields("namss.ce")

    assert [(f.name, f.label, f.type) for f in fields] == [
        ("kind", "Activity", "choice"),
        ("title", "Activity title", "text"),
        ("provider", "Provider", "text"),
        ("date", "Date", "date"),
        ("quantity", "Credits", "decimal"),
        ("approved", "NAMSS approved", "bool"),
        ("location", "Location", "text"),
    ]
    assert "city and state" in fields[-1].help_text
    kind = PROGRAM.kind("namss.ce")
    assert (kind.uploads.max_files, kind.uploads.label) == (1, "CE certificate")
    assert kind.scoring_fields == ("date", "quantity", "approved")


def test_requirements_are_described_for_the_public_list():
    assert PROGRAM.requirement_descriptions() == [
        ("CPCS or CPMSM only", "30 credits, of which at least 15 NAMSS-approved credits"),
        ("Dual certification", "45 credits, of which at least 25 NAMSS-approved credits"),
        (
            "Dual certification, first cycle as a dual certificant",
            "30 credits, of which at least 15 NAMSS-approved credits",
        ),
    ]
