"""IPMA-HR: every kind, every cap, the college rule, windows, credentials and the declarations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recertification.rules import (
    Activity,
    cycle_end,
    deadlines,
    default_fees,
    evaluate,
    get_program,
)

from .helpers import counted, ipma, reasons

PROGRAM = get_program("ipma-hr")

# kind, quantity, expected points for one entry (dated kinds on 2024-05-01, yearly ones in 2024)
POINTS = [
    ("ipma.pd.full_day", 1, 3),
    ("ipma.pd.full_day", 4, 12),
    ("ipma.pd.partial_day", 1, 1),
    ("ipma.pd.partial_day", 3, 3),
    ("ipma.pd.college", 3, 5),
    ("ipma.membership.national", 1, 2),
    ("ipma.membership.chapter", 1, 1),
    ("ipma.membership.agency", 1, 2),
    ("ipma.membership.other", 1, 1),
    ("ipma.leadership.ipma", 1, 3),
    ("ipma.leadership.board", 1, 3),
    ("ipma.leadership.committee_chair", 1, 2),
    ("ipma.leadership.committee_member", 1, 1),
    ("ipma.leadership.proctor", 1, 1),
    ("ipma.leadership.exam_tester", 1, 5),
    ("ipma.presentation.speech", 1, 2),
    ("ipma.presentation.instruction", 1, 5),
    ("ipma.publication.journal", 1, 5),
    ("ipma.publication.newsletter", 1, 2),
    ("ipma.experiential.employment", 1, 1),
    ("ipma.innovation", 1, 5),
    ("ipma.policy", 1, 1),
]


def entry(kind: str, quantity: int | Decimal = 1, **extra) -> Activity:
    found = PROGRAM.kind(kind)
    if found.period == "dated":
        extra.setdefault("date", date(2024, 5, 1))
    else:
        extra.setdefault("year", 2024)
    if "organization" in found.requires:
        extra.setdefault("organization", "SHRM")
    return Activity(kind=kind, quantity=quantity, **extra)


@pytest.mark.parametrize(("kind", "quantity", "points"), POINTS)
def test_each_kind_scores_its_points(kind, quantity, points):
    result = ipma(entry(kind, quantity))

    assert result.lines[0].claimed == points
    assert result.lines[0].counted == points
    assert result.lines[0].reason == ""
    assert result.by_category[PROGRAM.kind(kind).category] == points


def test_the_points_table_covers_every_ipma_kind():
    assert {k for k, _, _ in POINTS} == {k.code for k in PROGRAM.kinds}


@pytest.mark.parametrize(
    ("credit_hours", "points"),
    [("0.5", 3), ("2", 3), ("2.5", 3), ("3", 5), ("4", 5), ("5.5", 5), ("6", 10), ("9", 15)],
)
def test_college_courses_score_5_per_full_3_credit_hours_and_3_under_3(credit_hours, points):
    result = ipma(entry("ipma.pd.college", Decimal(credit_hours)))

    assert result.total == points


def test_college_credit_hours_must_be_in_half_hours():
    with pytest.raises(ValueError, match=r"Credit hours must be in multiples of 0\.5 \(got 1\.3\)"):
        ipma(entry("ipma.pd.college", Decimal("1.3")))


@pytest.mark.parametrize("kind", ["ipma.pd.full_day", "ipma.pd.partial_day"])
def test_professional_development_days_must_be_whole(kind):
    with pytest.raises(
        ValueError, match=r"Number of Professional Development Days must be a whole number"
    ):
        ipma(entry(kind, Decimal("1.5")))


@pytest.mark.parametrize("quantity", [0, -2])
def test_zero_or_negative_days_are_refused(quantity):
    with pytest.raises(ValueError, match=r"must be more than 0"):
        ipma(entry("ipma.pd.full_day", quantity))


@pytest.mark.parametrize("kind", [k.code for k in PROGRAM.kinds if k.fixed_quantity is not None])
def test_one_entry_kinds_refuse_a_quantity_other_than_1(kind):
    with pytest.raises(ValueError, match=r"quantity must be 1 \(got 2\); make a separate entry"):
        ipma(entry(kind, 2))


@pytest.mark.parametrize(
    ("kind", "cap", "per_year"),
    [
        ("ipma.membership.national", 6, 2),
        ("ipma.membership.chapter", 3, 1),
        ("ipma.membership.agency", 6, 2),
    ],
)
def test_membership_caps_per_cycle_name_the_cap(kind, cap, per_year):
    result = ipma(*(entry(kind, year=y) for y in (2024, 2025, 2026, 2026)))

    assert counted(result) == [per_year, per_year, per_year, 0]
    assert result.total == cap
    label = PROGRAM.kind(kind).label
    assert result.lines[-1].reason == f"cap of {cap} points for {label} reached"


def test_the_national_membership_reason_reads_as_in_the_brief():
    years = (2024, 2025, 2026, 2026)
    result = ipma(*(entry("ipma.membership.national", year=y) for y in years))

    assert result.lines[-1].reason == "cap of 6 points for IPMA-HR National Membership reached"


def test_national_and_agency_membership_have_separate_caps():
    national = [entry("ipma.membership.national", year=y) for y in (2024, 2025, 2026)]
    agency = [entry("ipma.membership.agency", year=y) for y in (2024, 2025, 2026)]

    assert ipma(*national, *agency).total == 12


def test_other_association_cap_ignores_case_and_spaces_in_the_name():
    result = ipma(
        entry("ipma.membership.other", year=2024, organization="SHRM"),
        entry("ipma.membership.other", year=2025, organization=" shrm "),
        entry("ipma.membership.other", year=2026, organization="S H R M"),
        entry("ipma.membership.other", year=2026, organization="Shrm"),
    )

    assert counted(result) == [1, 1, 1, 0]
    assert result.lines[-1].reason == "cap of 3 points per association reached for Shrm"


def test_other_association_membership_needs_an_organization():
    with pytest.raises(ValueError, match=r"needs an organization"):
        ipma(Activity(kind="ipma.membership.other", year=2024, organization="  "))


def test_experiential_cap_fills_in_the_order_given():
    result = ipma(
        entry("ipma.experiential.employment", year=2026),
        entry("ipma.experiential.employment", year=2025),
        entry("ipma.experiential.employment", year=2024),
        entry("ipma.experiential.employment", year=2024),
    )

    assert counted(result) == [1, 1, 1, 0]
    assert result.lines[3].reason == "cap of 3 points for Continuous HR employment reached"


def test_uncapped_kinds_keep_counting():
    result = ipma(*(entry("ipma.leadership.ipma", year=y) for y in (2024, 2025, 2026, 2026)))

    assert result.total == 12


@pytest.mark.parametrize(
    ("day", "counted_points", "reason"),
    [
        (date(2023, 12, 31), 0, "before the cycle start"),
        (date(2024, 1, 1), 3, ""),
        (date(2026, 12, 31), 3, ""),
        (date(2027, 1, 1), 0, "after the cycle end"),
    ],
)
def test_dated_entries_count_only_inside_the_cycle(day, counted_points, reason):
    result = ipma(entry("ipma.pd.full_day", date=day))

    assert result.lines[0].claimed == 3
    assert result.lines[0].counted == counted_points
    assert result.lines[0].reason == reason


@pytest.mark.parametrize(
    ("year", "counted_points", "reason"),
    [
        (2023, 0, "before the cycle start"),
        (2024, 3, ""),
        (2027, 3, ""),
        (2028, 0, "after the cycle end"),
    ],
)
def test_yearly_entries_count_when_their_year_overlaps_a_mid_year_cycle(
    year, counted_points, reason
):
    result = ipma(
        entry("ipma.leadership.board", year=year), start=date(2024, 7, 1), end=date(2027, 6, 30)
    )

    assert result.lines[0].counted == counted_points
    assert result.lines[0].reason == reason


def test_entries_outside_the_cycle_do_not_use_up_a_cap():
    years = (2022, 2023, 2024, 2025, 2026)
    result = ipma(*(entry("ipma.membership.national", year=y) for y in years))

    assert counted(result) == [0, 0, 2, 2, 2]
    assert reasons(result)[:2] == ["before the cycle start", "before the cycle start"]


def test_dated_kinds_refuse_a_year_and_yearly_kinds_refuse_a_date():
    with pytest.raises(ValueError, match=r"is dated: give its date, not a year"):
        ipma(Activity(kind="ipma.pd.full_day", date=date(2024, 1, 5), year=2024))
    with pytest.raises(ValueError, match=r"is counted by year: give its year, not a date"):
        ipma(Activity(kind="ipma.leadership.ipma", year=2024, date=date(2024, 1, 5)))


def test_missing_date_or_year_names_the_form_field():
    with pytest.raises(
        ValueError, match=r"needs a date: fill in .First Day of Professional Development"
    ):
        ipma(Activity(kind="ipma.pd.full_day"))
    with pytest.raises(ValueError, match=r"needs a year: fill in .Year of Membership"):
        ipma(Activity(kind="ipma.membership.agency", organization="City of Springfield"))


def test_two_designations_in_one_report_are_refused():
    with pytest.raises(ValueError, match=r"recertified separately.*IPMA-SCP and IPMA-CP"):
        ipma(credentials=("IPMA-SCP", "IPMA-CP"))


@pytest.mark.parametrize("code", ["IPMA-SCP", "IPMA-CP", "IPMA-CS"])
def test_each_designation_needs_50_points(code):
    result = ipma(entry("ipma.pd.full_day", 17), credentials=(code,))

    assert result.required == 50
    assert result.met


def test_an_unknown_designation_is_refused_with_a_suggestion():
    with pytest.raises(ValueError, match=r"Unknown credential 'IPMA-SPC'.*Did you mean"):
        ipma(credentials=("IPMA-SPC",))


def test_first_dual_cycle_is_refused_for_ipma():
    with pytest.raises(ValueError, match=r"first_dual_cycle"):
        evaluate(
            program="ipma-hr",
            credentials=["IPMA-CP"],
            cycle_start=date(2024, 1, 1),
            cycle_end=date(2026, 12, 31),
            activities=[],
            first_dual_cycle=True,
        )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 1, 1), date(2026, 12, 31)),
        (date(2024, 3, 15), date(2027, 3, 14)),
        (date(2024, 2, 29), date(2027, 2, 28)),
    ],
)
def test_cycle_ends_the_day_before_the_same_date_three_years_later(start, end):
    assert cycle_end("ipma-hr", start) == end
    assert PROGRAM.cycle_years == 3


def test_the_recertification_fee_defaults_to_150_usd():
    fee = default_fees("ipma-hr")["recertification"]

    assert fee.amount == Decimal("150.00")
    assert fee.currency == "USD"
    assert fee.display == "150.00 USD"
    assert fee.stated


def test_the_invoice_is_payable_from_15_february_of_the_recertification_year():
    assert deadlines("ipma-hr", 2026) == {"invoice_payable_from": date(2026, 2, 15)}


# --- declarations the portal builds its pages from ------------------------------------------


def test_categories_are_listed_with_the_seed_labels_in_order():
    assert [c.label for c in PROGRAM.categories] == [
        "Professional Development",
        "Membership",
        "Service in a Leadership Capacity",
        "Human Resource Innovation",
        "Policy/Program/RFP/Successful Practice",
        "Presentations and Instructions",
        "Publications",
        "Experiential Learning",
    ]
    assert all(c.summary for c in PROGRAM.categories)


def test_kind_labels_are_the_seed_drop_down_texts():
    assert PROGRAM.kind("ipma.pd.full_day").label == (
        "Participation in human resource professional development programs of at least one day "
        "in length (6 or more Hours)"
    )
    assert PROGRAM.kind("ipma.pd.partial_day").label.endswith("(Less than 6 Hours)")
    assert PROGRAM.kind("ipma.membership.national").label == "IPMA-HR National Membership"


def test_auto_populated_kinds_are_membership_and_ipma_committees():
    auto = {k.code for k in PROGRAM.kinds if k.auto_populated}

    assert auto == {
        "ipma.membership.national",
        "ipma.membership.chapter",
        "ipma.leadership.committee_chair",
        "ipma.leadership.committee_member",
    }
    # Members still enter committees of other associations, never IPMA-HR membership.
    entry_codes = {k.code for k in PROGRAM.entry_kinds("membership")}
    assert entry_codes == {"ipma.membership.agency", "ipma.membership.other"}
    assert PROGRAM.kind("ipma.leadership.committee_chair").member_entry


def test_innovations_and_policies_take_up_to_5_files_and_nothing_else_does():
    with_files = {k.code: k.uploads.max_files for k in PROGRAM.kinds if k.uploads.max_files}

    assert with_files == {"ipma.innovation": 5, "ipma.policy": 5}


def test_the_professional_development_form_asks_for_the_seed_fields():
    fields = PROGRAM.form_fields("ipma.pd.full_day")

    assert [(f.name, f.label, f.required) for f in fields] == [
        ("kind", "Professional Development Category", True),
        ("title", "Title", False),
        ("sponsor", "Sponsor", True),
        ("date", "First Day of Professional Development", True),
        ("quantity", "Number of Professional Development Days", True),
    ]
    quantity = fields[-1]
    assert (quantity.type, quantity.min_value, quantity.step) == ("integer", 1, 1)
    assert [code for code, _ in fields[0].choices] == [
        "ipma.pd.full_day",
        "ipma.pd.partial_day",
        "ipma.pd.college",
    ]


def test_the_college_form_asks_for_credit_hours_in_halves():
    quantity = PROGRAM.form_fields("ipma.pd.college")[-1]

    assert (quantity.label, quantity.type, quantity.step) == (
        "Credit hours",
        "decimal",
        Decimal("0.5"),
    )


@pytest.mark.parametrize(
    ("kind", "labels"),
    [
        ("ipma.membership.other", ["Category", "Organization", "Year of Membership"]),
        (
            "ipma.leadership.board",
            [
                "Service in Leadership Category",
                "Office or Position Held",
                "Year of Service (YYYY)",
                "Organization",
                "Other",
            ],
        ),
        (
            "ipma.presentation.speech",
            [
                "Presentations Category",
                "Program Name",
                "Sponsor",
                "Presentation Topic",
                "Number of Instructional Days",
                "Year Presentation Occurred",
            ],
        ),
        (
            "ipma.publication.journal",
            ["Publications Category", "Article Title", "Publication", "Publication Link", "Date"],
        ),
        ("ipma.experiential.employment", ["Category", "Indicate Employment by Year"]),
        ("ipma.innovation", ["Innovations Category", "Short Description", "Date Implemented"]),
        (
            "ipma.policy",
            [
                "Policy Category",
                "Website for Policy, Program or Successful Practice",
                "Date Submitted",
            ],
        ),
    ],
)
def test_each_form_uses_the_seed_labels(kind, labels):
    assert [f.label for f in PROGRAM.form_fields(kind)] == labels


def test_free_text_is_limited_to_150_characters():
    texts = [f for k in PROGRAM.kinds for f in k.fields if f.type == "text"]

    assert texts
    assert {f.max_length for f in texts} == {150}


def test_points_and_caps_are_described_for_the_public_list():
    assert PROGRAM.kind("ipma.pd.full_day").points == "3 points per day"
    assert PROGRAM.kind("ipma.leadership.proctor").points == "1 point per examination proctorship"
    assert PROGRAM.kind("ipma.membership.national").cap_descriptions == (
        "Maximum 6 points per cycle",
    )
    assert PROGRAM.kind("ipma.membership.other").cap_descriptions == (
        "Maximum 3 points per association",
    )
    assert PROGRAM.kind("ipma.pd.college").points.startswith("5 points per full 3 credit hours")


def test_credentials_map_codes_to_names():
    assert dict(PROGRAM.credentials) == {
        "IPMA-SCP": "Senior Certified Professional",
        "IPMA-CP": "Certified Professional",
        "IPMA-CS": "Certified Specialist",
    }
    assert PROGRAM.name == "IPMA-HR"
    assert PROGRAM.code == "ipma-hr"


def test_staff_forms_offer_the_auto_populated_kinds_too():
    member_choices = [c for c, _ in PROGRAM.form_fields("ipma.membership.agency")[0].choices]
    staff_choices = [
        c for c, _ in PROGRAM.form_fields("ipma.membership.agency", staff=True)[0].choices
    ]

    assert "ipma.membership.national" not in member_choices
    assert staff_choices == [k.code for k in PROGRAM.kinds_in("membership")]
    national_form = PROGRAM.form_fields("ipma.membership.national")
    assert "ipma.membership.national" in [c for c, _ in national_form[0].choices]


def test_the_same_membership_year_for_the_same_association_has_the_same_duplicate_key():
    from recertification.rules import duplicate_key

    first = entry("ipma.membership.other", year=2024, organization="SHRM")
    again = entry("ipma.membership.other", year=2024, organization=" shrm")
    other_year = entry("ipma.membership.other", year=2025, organization="SHRM")
    other_association = entry("ipma.membership.other", year=2024, organization="NPELRA")

    assert duplicate_key("ipma-hr", first) == duplicate_key("ipma-hr", again)
    assert duplicate_key("ipma-hr", first) != duplicate_key("ipma-hr", other_year)
    assert duplicate_key("ipma-hr", first) != duplicate_key("ipma-hr", other_association)


def test_employment_years_are_unique_and_examinations_and_courses_may_repeat():
    from recertification.rules import duplicate_key

    employment = entry("ipma.experiential.employment", year=2024)
    assert duplicate_key("ipma-hr", employment) == ("ipma.experiential.employment", 2024)
    assert duplicate_key("ipma-hr", entry("ipma.leadership.proctor")) is None
    assert duplicate_key("ipma-hr", entry("ipma.pd.full_day")) is None
    unique = {k.code for k in PROGRAM.kinds if k.unique_per}
    assert unique == {
        "ipma.membership.national",
        "ipma.membership.chapter",
        "ipma.membership.agency",
        "ipma.membership.other",
        "ipma.leadership.ipma",
        "ipma.leadership.board",
        "ipma.leadership.committee_chair",
        "ipma.leadership.committee_member",
        "ipma.experiential.employment",
    }
