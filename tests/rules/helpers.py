"""Shortcuts for the rules tests: one evaluate call per program with a standard cycle."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from recertification.rules import Activity, Result, evaluate

IPMA_START, IPMA_END = date(2024, 1, 1), date(2026, 12, 31)
NAMSS_START, NAMSS_END = date(2019, 12, 2), date(2022, 12, 1)
IHMM_START, IHMM_END = date(2024, 1, 1), date(2028, 12, 31)


def D(value: str | int) -> Decimal:
    return Decimal(value)


def ipma(
    *activities: Activity, credentials=("IPMA-SCP",), start=IPMA_START, end=IPMA_END
) -> Result:
    return evaluate(
        program="ipma-hr",
        credentials=list(credentials),
        cycle_start=start,
        cycle_end=end,
        activities=list(activities),
    )


def namss(
    *activities: Activity,
    credentials=("CPCS",),
    first_dual_cycle=False,
    start=NAMSS_START,
    end=NAMSS_END,
) -> Result:
    return evaluate(
        program="namss",
        credentials=list(credentials),
        cycle_start=start,
        cycle_end=end,
        activities=list(activities),
        first_dual_cycle=first_dual_cycle,
    )


def ihmm(*activities: Activity, start=IHMM_START, end=IHMM_END) -> Result:
    return evaluate(
        program="ihmm",
        credentials=["CHMM"],
        cycle_start=start,
        cycle_end=end,
        activities=list(activities),
    )


def counted(result: Result) -> list[Decimal]:
    return [line.counted for line in result.lines]


def reasons(result: Result) -> list[str]:
    return [line.reason for line in result.lines]
