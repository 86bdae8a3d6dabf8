"""`progress`: a report's standing per category for the member's dashboard, from the same result
the rules engine gives every page (no second scoring)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from recertification.rules import Activity, get_program, progress

from .helpers import ipma, namss


def test_ipma_hr_shows_each_category_with_points_and_the_capped_membership_kind():
    result = ipma(
        *(
            Activity(kind="ipma.membership.national", year=y, quantity=1)
            for y in (2024, 2025, 2026)
        ),
        Activity(kind="ipma.pd.full_day", date=date(2025, 3, 1), quantity=Decimal(4)),
    )
    rows = progress("ipma-hr", result)
    labels = [(r.label, r.counted, r.maximum, r.level) for r in rows]
    program = get_program("ipma-hr")
    membership = next(c for c in program.categories if c.code == "membership")
    national = program.kind("ipma.membership.national")
    assert (membership.label, Decimal(6), None, 0) in labels
    assert (national.label, Decimal(6), Decimal(6), 1) in labels
    assert next(r for r in rows if r.label == national.label).at_cap
    # A category with nothing counted and no limit of its own is left out.
    publications = next(c for c in program.categories if c.code == "publication")
    assert publications.label not in [r.label for r in rows]
    # The rows' categories add up to the report's total.
    assert sum(r.counted for r in rows if r.level == 0) == result.total


def test_namss_shows_the_approved_credits_minimum_and_what_is_still_needed():
    result = namss(
        Activity(kind="namss.ce", date=date(2021, 5, 1), quantity=Decimal(10), approved=True),
        Activity(kind="namss.ce", date=date(2021, 6, 1), quantity=Decimal("7.5")),
    )
    rows = progress("namss", result)
    minimum = next(r for r in rows if r.minimum is not None)
    assert minimum.counted == Decimal(10) and minimum.minimum == Decimal(15)
    assert minimum.still_needed == Decimal(5)


def test_an_empty_report_has_no_rows_but_its_minimums():
    assert [r.label for r in progress("ipma-hr", ipma())] == []
    assert all(r.counted == 0 for r in progress("namss", namss()))


def test_a_category_of_one_capped_kind_is_one_row_with_the_cap():
    from recertification.rules import evaluate

    from .helpers import IHMM_START

    result = evaluate(
        program="ihmm",
        credentials=["CHMM"],
        cycle_start=IHMM_START,
        cycle_end=date(2028, 12, 31),
        activities=[Activity(kind="ihmm.item_writing", date=date(2025, 2, 1), quantity=Decimal(3))],
    )
    rows = progress("ihmm", result)
    assert len(rows) == 1
    assert rows[0].level == 0 and rows[0].maximum is not None and rows[0].counted > 0
