"""The first cycle as a dual certificant: derived from the credentials' dates, or set by staff.

A program may declare a requirement for the first cycle in which a member recertifies two
credentials together (`Requirement(..., first_dual_cycle=True)`; NAMSS, seed 002: 30 credits, 15
approved, instead of 45 and 25). A report is in that cycle when

- its credentials' dates say so: one was held before the shared cycle started and another was earned
  since the last renewal (certified on or after the cycle start); or
- staff set it on a credential (`Credential.first_dual_cycle`, changed with a reason in the admin and
  cleared when the credential is renewed).

A program that declares no such requirement for that many credentials is never in it. Every reader
asks here: the scoring (`selectors.score`), the extension terms, the portal's explanation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from core.formatting import format_date

from . import rules

if TYPE_CHECKING:
    from .selectors import ScoredReport


class Held(Protocol):
    """What the derivation reads of a credential (members.models.Credential)."""

    designation: str
    certified_since: dt.date
    first_dual_cycle: bool


def offers_first_dual_cycle(program: rules.Program | str, credentials: int) -> bool:
    """True when the program declares a first-dual-cycle requirement for this many credentials."""
    declared = rules.get_program(program)
    return any(
        r.first_dual_cycle is True and r.applies(credentials, True) for r in declared.requirements
    )


def earned_this_cycle(credentials: Sequence[Held], cycle_start: dt.date) -> Held | None:
    """The designation earned since the last renewal while another was held before (None: none).

    With more than one earned since, the latest (the one that made the member a dual certificant).
    """
    if len(credentials) < 2 or not any(c.certified_since < cycle_start for c in credentials):
        return None
    earned = [c for c in credentials if c.certified_since >= cycle_start]
    return max(earned, key=lambda c: (c.certified_since, c.designation), default=None)


def is_first_dual_cycle(
    program: rules.Program | str, credentials: Sequence[Held], cycle_start: dt.date
) -> bool:
    """The report on `credentials` for the cycle starting `cycle_start` is in the first cycle as a
    dual certificant: derived from the dates, or set by staff."""
    if not offers_first_dual_cycle(program, len(credentials)):
        return False
    return earned_this_cycle(credentials, cycle_start) is not None or any(
        c.first_dual_cycle for c in credentials
    )


def first_dual_reason(scored: ScoredReport) -> str:
    """Why the first-dual-cycle requirement applies to a scored report, "" when it does not.

    E.g. "Dual certification, first cycle as a dual certificant: CPMSM certified on 12/02/2023, so
    30 credits, of which at least 15 NAMSS-approved credits, apply" (from the requirement's label).
    """
    requirement = scored.result.requirement
    if requirement.first_dual_cycle is not True:
        return ""
    label = requirement.label or "First cycle as a dual certificant"
    earned = earned_this_cycle(scored.credentials, scored.report.cycle_start)
    if earned is not None:
        why = f"{earned.designation} certified on {format_date(earned.certified_since)}"
    else:
        why = "set by staff"
    needed = requirement.describe(scored.program.point_names)
    if requirement.minimums:
        needed += ","  # "30 credits, of which at least 15 NAMSS-approved credits, apply"
    return f"{label}: {why}, so {needed} apply"
