"""Scoring: `evaluate` turns a list of activities into counted points, reasons and shortfalls.

One pass over the activities in the order given. Each activity is validated, scored by the rule
version in force on its date, checked against the cycle window, then trimmed by its caps (the
kind's caps in declaration order, then its category's maximum). Caps keep running totals in a
dict keyed by (cap key, organization/group/date/year values), so the cost is linear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from decimal import localcontext as _localcontext
from typing import cast

from .formatting import count, format_decimal, plural
from .model import (
    ZERO,
    Activity,
    CarryOver,
    Category,
    Fee,
    Kind,
    Minimum,
    Program,
    Requirement,
    Rule,
    normalize_key,
    suggest,
)

BEFORE_CYCLE = "before the cycle start"
AFTER_CYCLE = "after the cycle end"

# Every evaluation runs in this context whatever the caller's decimal settings are; an invalid
# operation raises instead of producing NaN.
_CONTEXT = Context(
    prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)


class ActivityError(ValueError):
    """A ValueError about one activity, with the Activity `field` at fault ("kind", "date",
    "year", "quantity", "organization", "group"; "" when none) and, from evaluate, its `index`.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str = "",
        index: int | None = None,
        activity: object = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.index = index
        self.activity = activity


@dataclass(frozen=True, slots=True)
class Line:
    """The outcome for one activity: what was claimed, what counted, and why not all of it."""

    activity: Activity
    kind: str
    category: str
    claimed: Decimal
    counted: Decimal
    reason: str = ""
    effective_from: dt.date | None = None

    @property
    def in_full(self) -> bool:
        """True when everything claimed counted."""
        return self.counted == self.claimed


@dataclass(frozen=True)
class MinimumResult:
    """How far one minimum (e.g. NAMSS-approved credits, a category minimum) is met."""

    label: str
    required: Decimal
    counted: Decimal

    @property
    def met(self) -> bool:
        """True when at least `required` counted."""
        return self.counted >= self.required


@dataclass(frozen=True)
class Result:
    """What a report page shows: totals, requirement, shortfall sentences, a line per activity."""

    program: str
    credentials: tuple[str, ...]
    cycle_start: dt.date
    cycle_end: dt.date
    total: Decimal
    required: Decimal
    met: bool
    shortfalls: list[str]
    lines: list[Line]
    by_category: dict[str, Decimal]
    minimums: list[MinimumResult] = field(default_factory=list)
    requirement: Requirement | None = None

    @property
    def remaining(self) -> Decimal:
        """Points still needed toward the total (0 once reached)."""
        return max(self.required - self.total, ZERO)


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

_REGISTRY: dict[str, Program] = {}


def register(program: Program, *, replace: bool = False) -> Program:
    """Make a program available by its code to `get_program`, `programs` and `evaluate`."""
    if not isinstance(program, Program):
        raise ValueError(f"register() needs a Program, not {type(program).__name__}")
    if program.code in _REGISTRY and not replace and _REGISTRY[program.code] is not program:
        raise ValueError(f"A program with code {program.code!r} is already registered")
    _REGISTRY[program.code] = program
    return program


def unregister(code: str) -> None:
    """Remove a registered program (tests register throw-away programs)."""
    _REGISTRY.pop(code, None)


def programs() -> list[Program]:
    """Registered programs in registration order (IPMA-HR first, the default)."""
    return list(_REGISTRY.values())


def get_program(code: str | Program) -> Program:
    """The program with this code (a Program is returned as is); ValueError when unknown."""
    if isinstance(code, Program):
        return code
    found = _REGISTRY.get(code)
    if found is None:
        raise ValueError(
            f"Unknown program {code!r}.{suggest(str(code), _REGISTRY)} "
            f"Known programs: {', '.join(_REGISTRY) or 'none registered'}."
        )
    return found


# --------------------------------------------------------------------------------------------
# Pure helpers the portal uses besides evaluate
# --------------------------------------------------------------------------------------------


def cycle_end(program: str | Program, cycle_start: dt.date) -> dt.date:
    """The last day of the cycle that starts on `cycle_start` (see each program's Cycle)."""
    return get_program(program).cycle_end(cycle_start)


def next_cycle_start(cycle_end: dt.date) -> dt.date:
    """A renewed credential's next cycle starts the day after the old one ends."""
    return cycle_end + dt.timedelta(days=1)


def default_fees(program: str | Program) -> dict[str, Fee]:
    """The program's default fees by code (Decimal amount and currency); staff may change them."""
    return get_program(program).default_fees()


def deadlines(program: str | Program, renewal_year: int) -> dict[str, dt.date]:
    """The program's calendar for a renewal year (the year the cycle ends): code -> date."""
    return get_program(program).deadlines_for(renewal_year)


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def _score(
    program: Program, activity: Activity, *, stored: bool = False
) -> tuple[Kind, Rule | None, Decimal, Decimal]:
    """Validate one activity and return its kind, rule version, claimed points and the points
    it may count (before window and caps).

    A new activity above its kind's maximum quantity is refused. A `stored` one (`evaluate`: an
    entry saved before the maximum was declared, or lowered) is kept and counts up to the
    maximum's points, so one old entry never stops a whole report from being scored."""
    if not isinstance(activity, Activity):
        raise ActivityError(f"Expected an Activity, got {type(activity).__name__}")
    try:
        kind = program.kind(activity.kind)
    except ValueError as exc:
        raise ActivityError(str(exc), field="kind") from None
    if kind.period == "dated":
        if activity.date is None:
            message = f"{kind.short} needs a date: {_fill_in(kind, 'date')}."
            raise ActivityError(message, field="date")
        if activity.year is not None:
            message = f"{kind.short} is dated: give its date, not a year."
            raise ActivityError(message, field="year")
    else:
        if activity.year is None:
            message = f"{kind.short} needs a year: {_fill_in(kind, 'year')}."
            raise ActivityError(message, field="year")
        if activity.date is not None:
            message = f"{kind.short} is counted by year: give its year, not a date."
            raise ActivityError(message, field="date")
    for name in kind.requires:
        if not getattr(activity, name).strip():
            message = f"{kind.short} needs {_what(name)}: {_fill_in(kind, name)}."
            raise ActivityError(message, field=name)
    rule = kind.rule_on(_on(activity))
    quantity = cast(Decimal, activity.quantity)  # Activity.__post_init__ made it a Decimal
    # Before the first version there is nothing to score by, but the quantity is still checked.
    accepted = (rule or kind.rules[0]).quantity
    over = stored and accepted.maximum is not None and quantity > accepted.maximum
    try:
        accepted.check(cast(Decimal, accepted.maximum) if over else quantity, kind)
    except ValueError as exc:
        raise ActivityError(str(exc), field="quantity") from None
    claimed = rule.score.score(quantity) if rule else ZERO
    countable = rule.score.score(cast(Decimal, accepted.maximum)) if rule and over else claimed
    return kind, rule, claimed, countable


def _over_maximum_reason(kind: Kind, maximum: Decimal) -> str:
    return f"at most {count(maximum, kind.unit, kind.unit_plural)} count on one entry"


def _on(activity: Activity) -> dt.date:
    """The activity's date, or 1 January of its year (validation ensured one is given)."""
    if activity.date is not None:
        return activity.date
    return dt.date(_year(activity), 1, 1)


def _year(activity: Activity) -> int:
    """The activity's year, or its date's year."""
    if activity.year is not None:
        return activity.year
    if activity.date is None:
        raise ValueError("The activity has neither a date nor a year.")
    return activity.date.year


def outside_cycle(activity: Activity, cycle_start: dt.date, cycle_end: dt.date) -> str:
    """BEFORE_CYCLE or AFTER_CYCLE when the activity falls outside the cycle, else "".

    A dated activity must fall within the cycle's days; a yearly one's year must overlap it.
    """
    if activity.date is not None:
        if activity.date < cycle_start:
            return BEFORE_CYCLE
        return AFTER_CYCLE if activity.date > cycle_end else ""
    year = _year(activity)
    if year < cycle_start.year:
        return BEFORE_CYCLE
    return AFTER_CYCLE if year > cycle_end.year else ""


def _fill_in(kind: Kind, name: str) -> str:
    for spec in kind.fields:
        if spec.name == name:
            return f"fill in {spec.label!r}"
    return f"give the activity's {name}"


def _what(name: str) -> str:
    return {"organization": "an organization", "group": "a group"}.get(name, name)


def check_activity(program: str | Program, activity: Activity) -> Decimal:
    """Validate one activity on its own and return the points it claims (before window and caps).

    Raises the same ValueError evaluate would, so a form can report it against the entry.
    """
    with _localcontext(_CONTEXT):
        return _score(get_program(program), activity)[2]


def duplicate_key(program: str | Program, activity: Activity) -> tuple[object, ...] | None:
    """What two entries of the activity's kind may not share, or None when repeats are allowed.

    IPMA-HR refuses the same membership, leadership or employment year twice for the same
    organization: the portal compares this key with the member's existing entries.
    """
    kind = get_program(program).kind(activity.kind)
    if not kind.unique_per:
        return None
    return (kind.code, *_cap_values(kind.unique_per, activity))


def _cap_values(per: tuple[str, ...], activity: Activity) -> tuple[object, ...]:
    values: list[object] = []
    for dimension in per:
        if dimension == "organization":
            values.append(normalize_key(activity.organization))
        elif dimension == "group":
            values.append(normalize_key(activity.group))
        elif dimension == "date":
            values.append(activity.date)
        else:  # year: of a yearly activity, or of a dated one's date
            values.append(_year(activity))
    return tuple(values)


def _cap_reason(
    template: str,
    limit: Decimal | int,
    kind: Kind,
    activity: Activity,
    per_label: str,
    per: tuple[str, ...],
) -> str:
    raw = {
        "organization": activity.organization.strip(),
        "group": activity.group.strip(),
        "date": activity.date.isoformat() if activity.date else "",
        "year": str(_year(activity)),
    }
    return template.format(
        limit=format_decimal(limit),
        points=plural(limit, *kind.point_names),
        kind=kind.short,
        per_label=per_label,
        values=", ".join(raw[d] for d in per),
        **raw,
    )


def _category_cap_reason(category: Category) -> str:
    maximum = category.maximum or ZERO
    return f"cap of {count(maximum, *category.point_names)} for {category.label} reached"


def _shortfall(missing: Decimal, noun_singular: str, noun: str, tail: str) -> str:
    verb = "is" if missing == 1 else "are"
    noun = plural(missing, noun_singular, noun)
    return f"{format_decimal(missing)} more {noun} {verb} needed ({tail})."


def evaluate(
    *,
    program: str | Program,
    credentials: Iterable[str],
    cycle_start: dt.date,
    cycle_end: dt.date,
    activities: Iterable[Activity],
    first_dual_cycle: bool = False,
) -> Result:
    """Score `activities` for a report on `credentials` over the cycle; see docs/rules.md."""
    with _localcontext(_CONTEXT):
        return _evaluate(program, credentials, cycle_start, cycle_end, activities, first_dual_cycle)


def _evaluate(
    program_ref: str | Program,
    credentials: Iterable[str],
    start: dt.date,
    end: dt.date,
    activities: Iterable[Activity],
    first_dual_cycle: bool,
) -> Result:
    """The body of `evaluate`, run in `_CONTEXT`: check the cycle, score and count each
    activity in order, then compare the totals with the requirement.
    """
    program = get_program(program_ref)
    codes = program.check_credentials(credentials)
    requirement = program.requirement_for(codes, first_dual_cycle)
    _check_cycle(start, end)
    minimums = _all_minimums(program, requirement)
    tally = _Tally.starting(program, minimums)
    for index, activity in enumerate(activities):
        kind, rule, claimed, countable = _score_at(program, index, activity)
        outside = outside_cycle(activity, start, end)
        if outside or rule is None:
            line = _uncounted_line(activity, kind, rule, claimed, outside)
        else:
            line = tally.count(activity, kind, rule, countable)
            if countable != claimed:  # a stored entry above its kind's maximum quantity
                maximum = cast(Decimal, rule.quantity.maximum)
                reasons = [_over_maximum_reason(kind, maximum), line.reason]
                line = replace(line, claimed=claimed, reason="; ".join(r for r in reasons if r))
        tally.lines.append(line)

    required = Decimal(requirement.total)
    shortfalls, minimum_results = _shortfalls(program, required, tally)
    return Result(
        program=program.code,
        credentials=codes,
        cycle_start=start,
        cycle_end=end,
        total=tally.total,
        required=required,
        met=not shortfalls,
        shortfalls=shortfalls,
        lines=tally.lines,
        by_category=tally.by_category,
        minimums=minimum_results,
        requirement=requirement,
    )


def _check_cycle(start: dt.date, end: dt.date) -> None:
    """Refuse cycle bounds that are not plain dates, or that end before they start."""
    for name, value in (("cycle_start", start), ("cycle_end", end)):
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise ValueError(f"{name} must be a datetime.date (got {value!r})")
    if end < start:
        raise ValueError(f"cycle_end {end} is before cycle_start {start}")


def _all_minimums(program: Program, requirement: Requirement) -> list[Minimum]:
    """The requirement's minimums, then one per category that declares a minimum."""
    minimums: list[Minimum] = list(requirement.minimums)
    for category in program.categories:
        if category.minimum is not None:
            minimums.append(
                Minimum(
                    category.minimum,
                    noun=f"{category.point_names[1]} in {category.label}",
                    noun_singular=f"{category.point_names[0]} in {category.label}",
                    categories=(category.code,),
                )
            )
    return minimums


def _category_caps(program: Program) -> dict[str, tuple[Decimal | int, str]]:
    """Category code -> (maximum, reason when reached), for categories that declare a maximum."""
    return {
        c.code: (c.maximum, _category_cap_reason(c))
        for c in program.categories
        if c.maximum is not None
    }


def _score_at(
    program: Program, index: int, activity: Activity
) -> tuple[Kind, Rule | None, Decimal, Decimal]:
    """`_score` of a stored activity, with its position and the activity added to its error."""
    try:
        return _score(program, activity, stored=True)
    except ActivityError as exc:
        raise ActivityError(str(exc), field=exc.field, index=index, activity=activity) from None


def _uncounted_line(
    activity: Activity, kind: Kind, rule: Rule | None, claimed: Decimal, outside: str
) -> Line:
    """The line of an activity that counts nothing: it falls `outside` the cycle, or (with
    no `rule`) before the kind's first rule version.
    """
    if outside:
        return Line(
            activity,
            kind.code,
            kind.category,
            claimed,
            ZERO,
            outside,
            rule.effective_from if rule else None,
        )
    reason = f"{kind.short} counts only from {kind.rules[0].effective_from.isoformat()}"
    return Line(activity, kind.code, kind.category, ZERO, ZERO, reason, None)


_CapKey = tuple[object, ...]
"""A cap's running-total key: the cap key, then its organization/group/date/year values."""


@dataclass
class _Tally:
    """The running state of one evaluation: what each cap has used so far, and what counted
    in total, per category and toward each minimum.
    """

    minimums: list[Minimum]
    category_caps: dict[str, tuple[Decimal | int, str]]
    by_category: dict[str, Decimal]
    toward_minimum: list[Decimal]
    used: dict[_CapKey, Decimal] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    total: Decimal = ZERO

    @classmethod
    def starting(cls, program: Program, minimums: list[Minimum]) -> _Tally:
        """Nothing counted yet, in any of the program's categories or toward any minimum."""
        return cls(
            minimums,
            _category_caps(program),
            {c.code: ZERO for c in program.categories},
            [ZERO] * len(minimums),
        )

    def count(self, activity: Activity, kind: Kind, rule: Rule, claimed: Decimal) -> Line:
        """Count what the caps leave of `claimed` and return the activity's line."""
        amount, reasons = _apply_caps(
            self.used, rule, kind, activity, claimed, self.category_caps.get(kind.category)
        )
        self.total += amount
        self.by_category[kind.category] += amount
        for position, minimum in enumerate(self.minimums):
            if minimum.matches(activity, kind.category):
                self.toward_minimum[position] += amount
        return Line(
            activity,
            kind.code,
            kind.category,
            claimed,
            amount,
            "; ".join(reasons),
            rule.effective_from,
        )


def _apply_caps(
    used: dict[_CapKey, Decimal],
    rule: Rule,
    kind: Kind,
    activity: Activity,
    claimed: Decimal,
    category_cap: tuple[Decimal | int, str] | None,
) -> tuple[Decimal, list[str]]:
    """Trim `claimed` by the rule's caps, then by the category maximum; return what counts
    and why not all of it. Every cap involved is charged with what counts.
    """
    amount, reasons, keys = _apply_kind_caps(used, rule, kind, activity, claimed)
    if category_cap is not None:
        key: _CapKey = ("category", kind.category)
        amount, reached = _trim(used, key, category_cap[0], amount)
        if reached:
            reasons.append(category_cap[1])
        keys.append(key)
    # Every cap records what finally counted, so a later, tighter cap never leaves an
    # earlier one charged for points that did not count.
    for key in keys:
        used[key] = used.get(key, ZERO) + amount
    return amount, reasons


def _apply_kind_caps(
    used: dict[_CapKey, Decimal],
    rule: Rule,
    kind: Kind,
    activity: Activity,
    amount: Decimal,
) -> tuple[Decimal, list[str], list[_CapKey]]:
    """Trim `amount` by the rule's caps in declaration order; return it, the reasons of the
    caps reached and the keys of all the rule's caps (not charged yet).
    """
    reasons: list[str] = []
    keys: list[_CapKey] = []
    for cap in rule.caps:
        key = (cap.key, *_cap_values(cap.per, activity)) if cap.per else (cap.key,)
        amount, reached = _trim(used, key, cap.limit, amount)
        if reached:
            reasons.append(
                _cap_reason(
                    cap.reason_template(), cap.limit, kind, activity, cap.per_label, cap.per
                )
            )
        keys.append(key)
    return amount, reasons, keys


def _trim(
    used: dict[_CapKey, Decimal], key: _CapKey, limit: Decimal | int, amount: Decimal
) -> tuple[Decimal, bool]:
    """`amount` cut down to the room left under `limit` (never below 0), and whether it was."""
    room = limit - used.get(key, ZERO)
    if amount > room:
        return (room if room > 0 else ZERO), True
    return amount, False


def _shortfalls(
    program: Program, required: Decimal, tally: _Tally
) -> tuple[list[str], list[MinimumResult]]:
    """A sentence per unmet requirement (the total first, then each minimum in order), and
    how far each minimum is met.
    """
    shortfalls: list[str] = []
    if tally.total < required:
        shortfalls.append(
            _shortfall(
                required - tally.total,
                *program.point_names,
                f"{format_decimal(tally.total)} of {format_decimal(required)} counted",
            )
        )
    minimum_results = []
    for minimum, counted in zip(tally.minimums, tally.toward_minimum, strict=True):
        minimum_results.append(MinimumResult(minimum.noun, Decimal(minimum.amount), counted))
        if counted < minimum.amount:
            shortfalls.append(
                _shortfall(
                    minimum.amount - counted,
                    minimum.noun_singular,
                    minimum.noun,
                    f"{format_decimal(counted)} of {format_decimal(minimum.amount)}",
                )
            )
    return shortfalls, minimum_results


# --------------------------------------------------------------------------------------------
# Progress: where a report stands per category, for the member's dashboard
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """One row of a report's progress: what counted under a label, against its cap or minimum.

    `level` 0 is a category (or a program minimum such as approved credits), 1 a kind inside
    its category with a cap over the whole cycle ("IPMA-HR National Membership 6 of max 6").
    """

    label: str
    counted: Decimal
    maximum: Decimal | None = None
    minimum: Decimal | None = None
    level: int = 0

    @property
    def still_needed(self) -> Decimal:
        """How much more the minimum asks for (0 without one, or once met)."""
        if self.minimum is None:
            return Decimal(0)
        return max(self.minimum - self.counted, Decimal(0))

    @property
    def at_cap(self) -> bool:
        """True when the cap is reached: more of this counts nothing."""
        return self.maximum is not None and self.counted >= self.maximum


def progress(program: str | Program, result: Result) -> list[Progress]:
    """The report's progress per category, in the program's order: each category with points or
    with a cap or minimum of its own, the kinds under it that have a whole-cycle cap and count
    something, then the program's other minimums (e.g. NAMSS-approved credits)."""
    program = get_program(program)
    by_kind: dict[str, Decimal] = {}
    for line in result.lines:
        by_kind[line.kind] = by_kind.get(line.kind, Decimal(0)) + line.counted
    rows: list[Progress] = []
    category_minimum_labels = set()
    for category in program.categories:
        counted = result.by_category.get(category.code, Decimal(0))
        kinds = []
        for kind in program.kinds_in(category.code):
            whole_cycle = [cap.limit for cap in kind.rules[-1].caps if not cap.per]
            if whole_cycle and by_kind.get(kind.code, Decimal(0)) > 0:
                kinds.append(
                    Progress(kind.label, by_kind[kind.code], maximum=min(whole_cycle), level=1)
                )
        if counted == 0 and category.maximum is None and category.minimum is None:
            continue
        maximum = category.maximum
        if len(program.kinds_in(category.code)) == 1 and kinds:
            # The category is that one kind: its cap is the category's, on one row.
            maximum, kinds = kinds[0].maximum if maximum is None else maximum, []
        rows.append(Progress(category.label, counted, maximum, category.minimum))
        rows.extend(kinds)
        if category.minimum is not None:
            category_minimum_labels.add(category.label)
    for minimum in result.minimums:
        if not any(minimum.label.startswith(label) for label in category_minimum_labels):
            rows.append(Progress(minimum.label, minimum.counted, minimum=minimum.required))
    return rows


# --------------------------------------------------------------------------------------------
# Carry-over: excess points an approved report takes into the member's next cycle
# --------------------------------------------------------------------------------------------


def carried_over(
    program: str | Program, result: Result, *, excess: Decimal | int | None = None
) -> Decimal:
    """The points a scored report carries into the next cycle under its program's `CarryOver`
    (0 when the program declares none): the least of the declared limit, the excess over the
    requirement and the points counted on eligible lines (in the declared categories, earned in
    the declared last months; points carried in are not carried again), cut to what one entry
    of the carry-over kind accepts on the next cycle's first day (its step and maximum).

    `excess` is the points over the requirement when the caller knows them better than `result`
    (staff's adjustment of the total, the requirement the report was submitted under); None:
    `result.total - result.required`. What is carried is never more than the excess.
    """
    program = get_program(program)
    carry = program.carry_over
    if carry is None:
        return ZERO
    if result.program != program.code:
        raise ValueError(
            f"The result scores a {result.program!r} report, not one of {program.code!r}"
        )
    if excess is not None and (isinstance(excess, bool) or not isinstance(excess, int | Decimal)):
        raise ValueError(f"excess must be an int or Decimal (got {excess!r})")
    with _localcontext(_CONTEXT):
        over = result.total - result.required if excess is None else Decimal(excess)
        earned_from = carry.earned_from(result.cycle_end)
        eligible = sum(
            (line.counted for line in result.lines if _carries(line, carry, earned_from)), ZERO
        )
        amount = min(carry.limit, max(over, ZERO), eligible)
        return _fit_carried(program.kind(carry.kind), amount, next_cycle_start(result.cycle_end))


def _carries(line: Line, carry: CarryOver, earned_from: dt.date | None) -> bool:
    """True when what `line` counted may be carried: not itself carried in, in one of the
    declared categories, earned on or after `earned_from` (a yearly line at its year's end)."""
    if line.counted <= 0 or line.kind == carry.kind:
        return False
    if carry.categories and line.category not in carry.categories:
        return False
    if earned_from is None:
        return True
    activity = line.activity
    earned_on = activity.date if activity.date is not None else dt.date(_year(activity), 12, 31)
    return earned_on >= earned_from


def _fit_carried(kind: Kind, amount: Decimal, on: dt.date) -> Decimal:
    """`amount` cut to a quantity one entry of `kind` accepts on `on` (0 when none fits)."""
    rule = kind.rule_on(on)
    if rule is None or amount <= 0:
        return ZERO
    accepted = rule.quantity
    if accepted.maximum is not None:
        amount = min(amount, accepted.maximum)
    if accepted.step is not None:
        amount = (amount // accepted.step) * accepted.step
    if amount <= 0 or (accepted.minimum is not None and amount < accepted.minimum):
        return ZERO
    return amount
