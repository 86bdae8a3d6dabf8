"""The declarations a program module is written in: activities, kinds, rules, caps and programs.

Everything here is a frozen dataclass checked when it is built, so a mistake in a program module
fails at import time with a message naming the kind or field, not later in a member's report.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from .formatting import count, format_decimal, format_grouped, format_money, plural

ALWAYS = dt.date.min
"""`effective_from` of a rule that has always applied."""

ZERO = Decimal(0)
ONE_UNIT = Decimal(1)

SCORING_FIELDS = ("date", "year", "quantity", "organization", "group", "approved")
"""Form fields that map onto `Activity` fields by name; every other field is a stored detail."""

FIELD_TYPES = frozenset({"text", "url", "date", "year", "decimal", "integer", "bool", "choice"})
PERIODS = ("dated", "yearly")
CAP_DIMENSIONS = ("organization", "group", "date", "year")
TEXT_MAX_LENGTH = 150
URL_MAX_LENGTH = 200

# The form field type each scoring field must have, so a form never feeds the engine a string date.
_SCORING_TYPES: dict[str, frozenset[str]] = {
    "date": frozenset({"date"}),
    "year": frozenset({"year"}),
    "quantity": frozenset({"integer", "decimal"}),
    "organization": frozenset({"text", "choice"}),
    "group": frozenset({"text", "choice"}),
    "approved": frozenset({"bool"}),
}
_PER_LABELS = {"organization": "organization", "group": "group", "date": "day", "year": "year"}

Period = Literal["dated", "yearly"]


def to_decimal(value: Decimal | int | str, what: str) -> Decimal:
    """Turn an int, Decimal or numeric string from a declaration into a finite Decimal."""
    if isinstance(value, bool | float):
        raise ValueError(f"{what} must be an int, Decimal or string, not {type(value).__name__}")
    try:
        result = Decimal(value)
    except Exception as exc:  # decimal raises several unrelated types for bad input
        raise ValueError(f"{what} must be a number (got {value!r})") from exc
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number (got {value!r})")
    return result


def normalize_key(text: str) -> str:
    """Compare names case- and space-insensitively: "SHRM", " shrm" and "S H R M" are one."""
    return "".join(text.split()).casefold()


def suggest(word: str, options: Iterable[str]) -> str:
    """A ' Did you mean ...?' hint for a mistyped code, or ''."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


# --------------------------------------------------------------------------------------------
# What a member claims
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Activity:
    """One claim: a kind, when it happened, how much, and the fields its caps are keyed on.

    `quantity` accepts int or Decimal and is stored as Decimal; a float raises ValueError
    because binary fractions (0.1 + 0.2) have no place in points.
    """

    kind: str
    date: dt.date | None = None
    year: int | None = None
    quantity: Decimal | int = 1
    organization: str = ""
    group: str = ""
    approved: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind.strip():
            raise ValueError(f"Activity kind must be a non-empty string (got {self.kind!r})")
        if self.date is not None and (
            isinstance(self.date, dt.datetime) or not isinstance(self.date, dt.date)
        ):
            raise ValueError(
                f"Activity date must be a datetime.date, not {type(self.date).__name__} "
                f"(got {self.date!r}); pass .date() of a datetime"
            )
        if self.year is not None and (
            isinstance(self.year, bool)
            or not isinstance(self.year, int)
            or not 1 <= self.year <= 9999
        ):
            raise ValueError(
                f"Activity year must be a four-digit int such as 2024 (got {self.year!r})"
            )
        quantity = self.quantity
        if isinstance(quantity, float):
            raise ValueError(
                f"Activity quantity must be an int or Decimal, not float (got {quantity!r}); "
                f"use Decimal('{quantity!r}')"
            )
        if isinstance(quantity, bool) or not isinstance(quantity, int | Decimal):
            raise ValueError(
                f"Activity quantity must be an int or Decimal (got {type(quantity).__name__} "
                f"{quantity!r})"
            )
        if isinstance(quantity, Decimal) and not quantity.is_finite():
            raise ValueError(f"Activity quantity must be a finite number (got {quantity!r})")
        if isinstance(quantity, int):
            object.__setattr__(self, "quantity", Decimal(quantity))
        for name in ("organization", "group"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"Activity {name} must be a string (got {getattr(self, name)!r})")
        if not isinstance(self.approved, bool):
            raise ValueError(f"Activity approved must be True or False (got {self.approved!r})")

    @property
    def on(self) -> dt.date | None:
        """The day the rule in force is looked up for: the date, or 1 January of the year."""
        if self.date is not None:
            return self.date
        if self.year is not None:
            return dt.date(self.year, 1, 1)
        return None


# --------------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One form field with its seed label; `name` maps onto an Activity field when it is scoring."""

    name: str
    label: str
    type: str = "text"
    required: bool = True
    max_length: int | None = None
    help_text: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    min_value: Decimal | None = None
    step: Decimal | None = None

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(
                f"Field {self.name!r} has type {self.type!r}; use one of {sorted(FIELD_TYPES)}"
            )
        allowed = _SCORING_TYPES.get(self.name)
        if allowed is not None and self.type not in allowed:
            raise ValueError(
                f"Scoring field {self.name!r} must have type {' or '.join(sorted(allowed))}, "
                f"not {self.type!r}"
            )
        if self.type == "choice" and not self.choices:
            raise ValueError(f"Choice field {self.name!r} needs choices")

    @property
    def scoring(self) -> bool:
        """True when the value is passed to the engine as the Activity field of the same name."""
        return self.name in SCORING_FIELDS


def text_field(
    name: str, label: str, *, required: bool = True, help_text: str = "", max_length: int = 0
) -> FieldSpec:
    """A free-text field, limited to 150 characters as the IPMA-HR portal is."""
    return FieldSpec(
        name, label, "text", required, max_length or TEXT_MAX_LENGTH, help_text=help_text
    )


def url_field(name: str, label: str, *, required: bool = False, help_text: str = "") -> FieldSpec:
    """A web address."""
    return FieldSpec(name, label, "url", required, URL_MAX_LENGTH, help_text=help_text)


def integer_field(
    name: str, label: str, *, required: bool = True, minimum: int = 1, help_text: str = ""
) -> FieldSpec:
    """A whole-number detail that is stored but not scored (e.g. Number of Instructional Days)."""
    return FieldSpec(
        name, label, "integer", required, help_text=help_text, min_value=Decimal(minimum),
        step=ONE_UNIT,
    )  # fmt: skip


def choice_field(
    name: str, label: str, choices: Iterable[str], *, required: bool = True, help_text: str = ""
) -> FieldSpec:
    """A drop-down whose stored values are its labels."""
    return FieldSpec(
        name, label, "choice", required, help_text=help_text, choices=tuple((c, c) for c in choices)
    )


def date_field(label: str, *, help_text: str = "") -> FieldSpec:
    """The scoring `date` of a dated kind."""
    return FieldSpec("date", label, "date", True, help_text=help_text)


def year_field(label: str, *, help_text: str = "") -> FieldSpec:
    """The scoring `year` of a yearly kind."""
    return FieldSpec("year", label, "year", True, help_text=help_text)


def quantity_field(label: str, *, help_text: str = "") -> FieldSpec:
    """The scoring `quantity`; its type, minimum and step are filled in from the kind's rule."""
    return FieldSpec("quantity", label, "decimal", True, help_text=help_text)


def organization_field(
    label: str = "Organization", *, required: bool = True, help_text: str = ""
) -> FieldSpec:
    """The scoring `organization`; per-organization caps ignore its case and spaces."""
    return FieldSpec("organization", label, "text", required, TEXT_MAX_LENGTH, help_text=help_text)


def group_field(label: str, *, help_text: str = "") -> FieldSpec:
    """The scoring `group`, e.g. the conference a conference day belongs to."""
    return FieldSpec("group", label, "text", True, TEXT_MAX_LENGTH, help_text=help_text)


def approved_field(label: str, *, help_text: str = "") -> FieldSpec:
    """The scoring `approved` yes/no (not required: unticked means no)."""
    return FieldSpec("approved", label, "bool", False, help_text=help_text)


@dataclass(frozen=True)
class Uploads:
    """Files a member may attach to an entry; max_files 0 means none."""

    max_files: int = 0
    label: str = ""
    help_text: str = ""
    required: bool = False


NO_UPLOADS = Uploads()


# --------------------------------------------------------------------------------------------
# Scoring rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerUnit:
    """`points` for every unit of quantity (3 per day, 1 per contact hour)."""

    points: Decimal | int

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", to_decimal(self.points, "PerUnit points"))

    def score(self, quantity: Decimal) -> Decimal:
        """Points for a quantity."""
        return quantity * self.points

    def describe(self, kind: Kind) -> str:
        """E.g. "3 points per day"."""
        return f"{count(self.points, *kind.point_names)} per {kind.unit}"


@dataclass(frozen=True)
class PerBlock:
    """`points` per full `size` units; a quantity under one block scores `under` instead.

    The IPMA-HR college rule: 5 points per full 3 credit hours, a course under 3 hours scores 3.
    """

    size: Decimal | int
    points: Decimal | int
    under: Decimal | int

    def __post_init__(self) -> None:
        for name in ("size", "points", "under"):
            object.__setattr__(self, name, to_decimal(getattr(self, name), f"PerBlock {name}"))
        if self.size <= 0:
            raise ValueError("PerBlock size must be more than 0")

    def score(self, quantity: Decimal) -> Decimal:
        """Points for a quantity: whole blocks only, partial blocks above the first are dropped."""
        if quantity < self.size:
            return Decimal(self.under)
        return (quantity // self.size) * self.points

    def describe(self, kind: Kind) -> str:
        """E.g. "5 points per full 3 credit hours; under 3 credit hours: 3 points"."""
        size = count(self.size, kind.unit, kind.unit_plural)
        return (
            f"{count(self.points, *kind.point_names)} per full {size}; "
            f"under {size}: {count(self.under, *kind.point_names)}"
        )


Score = PerUnit | PerBlock


@dataclass(frozen=True)
class Quantity:
    """The quantities a kind accepts: a fixed value, or multiples of `step` from `minimum` up.

    `maximum` is the most one entry may claim (the credit hours of one course, the contact hours
    of one conference day): anything above it is refused, wherever the entry comes from.
    """

    fixed: Decimal | None = None
    step: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("fixed", "step", "minimum", "maximum"):
            value = getattr(self, name)
            if value is not None:
                value = to_decimal(value, f"Quantity {name}")
                if value <= 0:
                    raise ValueError(f"Quantity {name} must be more than 0")
                object.__setattr__(self, name, value)
        maximum = self.maximum
        if maximum is None:
            return
        if self.fixed is not None:
            raise ValueError("A fixed quantity is its own maximum: declare no Quantity maximum")
        lowest = self.minimum or self.step
        if lowest is not None and maximum <= lowest:
            raise ValueError(
                f"Quantity maximum {format_decimal(maximum)} must be more than the minimum "
                f"{format_decimal(lowest)}"
            )
        if self.step is not None and maximum % self.step != 0:
            raise ValueError(
                f"Quantity maximum {format_decimal(maximum)} must be a multiple of "
                f"{format_decimal(self.step)} (the step), or no entry could claim it"
            )

    @property
    def whole(self) -> bool:
        """True when only whole numbers are allowed (the form uses an integer field)."""
        return self.fixed is not None or (
            self.step is not None
            and self.step == self.step.to_integral_value()
            and (self.minimum is None or self.minimum == self.minimum.to_integral_value())
        )

    def check(self, quantity: Decimal, kind: Kind) -> None:
        """Raise ValueError with a message a member can act on when `quantity` is not allowed."""
        shown = format_decimal(quantity)
        if self.fixed is not None:
            if quantity != self.fixed:
                raise ValueError(
                    f"Each {kind.short} entry counts "
                    f"{count(self.fixed, kind.unit, kind.unit_plural)}, so its quantity must be "
                    f"{format_decimal(self.fixed)} (got {shown}); "
                    f"make a separate entry for each {kind.unit}."
                )
            return
        label = kind.quantity_label
        if quantity <= 0:
            raise ValueError(f"{label} must be more than 0 (got {shown}).")
        if self.minimum is not None and quantity < self.minimum:
            raise ValueError(
                f"{kind.short} claims need at least "
                f"{count(self.minimum, kind.unit, kind.unit_plural)} (got {shown})."
            )
        if self.maximum is not None and quantity > self.maximum:
            raise ValueError(
                f"At most {count(self.maximum, kind.unit, kind.unit_plural)} on one {kind.short} "
                f"entry (got {format_grouped(quantity)}): check the number."
            )
        if self.step is not None and quantity % self.step != 0:
            if self.step == 1:
                raise ValueError(f"{label} must be a whole number (got {shown}).")
            raise ValueError(
                f"{label} must be in multiples of {format_decimal(self.step)} (got {shown})."
            )


ONE = Quantity(fixed=ONE_UNIT)
"""Each entry is one year, one examination, one article...: quantity must be 1."""


def whole(minimum: int = 1, *, maximum: int | None = None) -> Quantity:
    """Whole numbers from `minimum` up (days, items), at most `maximum` on one entry."""
    return Quantity(
        step=ONE_UNIT,
        minimum=Decimal(minimum),
        maximum=None if maximum is None else to_decimal(maximum, "maximum"),
    )


def multiples_of(
    step: str | Decimal,
    minimum: str | Decimal | int | None = None,
    *,
    maximum: str | Decimal | int | None = None,
) -> Quantity:
    """Multiples of `step` (e.g. quarter hours), at least `minimum` (default one step), at most
    `maximum` on one entry."""
    step = to_decimal(step, "step")
    return Quantity(
        step=step,
        minimum=step if minimum is None else to_decimal(minimum, "minimum"),
        maximum=None if maximum is None else to_decimal(maximum, "maximum"),
    )


@dataclass(frozen=True)
class Cap:
    """At most `limit` points counted over the activities that share `per` values.

    per=() caps the whole cycle; ("organization",) each organization; ("group",) each group
    (conference); ("group", "date") each day of each group. Activities sharing `key` share the
    cap; the default key is the kind and `per`, so the versions of one kind share their caps.
    `reason` and `description` are templates over {limit} {points} {kind} {organization}
    {group} {date} {year} {values}.
    """

    limit: Decimal | int
    per: tuple[str, ...] = ()
    per_label: str = ""
    reason: str = ""
    description: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "limit", to_decimal(self.limit, "Cap limit"))
        if self.limit <= 0:
            raise ValueError("Cap limit must be more than 0")
        unknown = [d for d in self.per if d not in CAP_DIMENSIONS]
        if unknown or len(set(self.per)) != len(self.per):
            raise ValueError(f"Cap per={self.per!r}: use distinct values from {CAP_DIMENSIONS}")
        if not self.per_label and self.per:
            object.__setattr__(self, "per_label", " ".join(_PER_LABELS[d] for d in self.per))

    def reason_template(self) -> str:
        """The reason shown on the line that hits this cap."""
        if self.reason:
            return self.reason
        if not self.per:
            return "cap of {limit} {points} for {kind} reached"
        return "cap of {limit} {points} per {per_label} reached for {values}"

    def describe(self, kind: Kind) -> str:
        """For the public list, e.g. "Maximum 6 points per cycle"."""
        template = self.description or (
            "Maximum {limit} {points} per {per_label}"
            if self.per
            else "Maximum {limit} {points} per cycle"
        )
        return template.format(
            limit=format_decimal(self.limit),
            points=plural(self.limit, *kind.point_names),
            per_label=self.per_label,
            kind=kind.short,
        )


@dataclass(frozen=True)
class Rule:
    """One version of a kind's scoring: points, allowed quantities and caps, from `effective_from`.

    Declare a change with `rule.then(date(2025, 1, 1), score=PerUnit(2))`.
    """

    score: Score
    quantity: Quantity = ONE
    caps: tuple[Cap, ...] = ()
    effective_from: dt.date = ALWAYS
    points_text: str = ""
    note: str = ""

    def then(self, effective_from: dt.date, **changes: Any) -> Rule:
        """The next version: this rule with `changes`, in force from `effective_from`."""
        return replace(self, effective_from=effective_from, **changes)

    def describe_points(self, kind: Kind) -> str:
        """E.g. "3 points per day"."""
        return self.points_text or self.score.describe(kind)


# --------------------------------------------------------------------------------------------
# Kinds, categories, requirements, the calendar and the program
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """How a CE provider's report of a course fills a kind's entry: the form field that takes the
    course's title and the one that takes the provider's name. Only a dated kind that declares it
    can be reported by providers; its other fields are asked for once per course.
    """

    title: str
    provider: str = ""


@dataclass(frozen=True)
class Kind:
    """A kind of activity a member can claim: its label, category, unit, rule versions and form.

    `requires` lists the scoring fields besides date/year that must not be blank (organization,
    group). `unique_per` names the fields two entries of the kind may not share (the same
    membership year for the same organization). `auto_populated` kinds are added from staff
    records: `auto_from` names which ("membership:national", "committee:chair": the record and its
    kind or role); `member_entry` False keeps them out of the member's drop-down.
    """

    code: str
    label: str
    category: str
    unit: str
    period: Period
    rules: tuple[Rule, ...]
    fields: tuple[FieldSpec, ...]
    short: str = ""
    unit_plural: str = ""
    requires: tuple[str, ...] = ()
    description: str = ""
    auto_populated: bool = False
    auto_from: str = ""
    member_entry: bool = True
    uploads: Uploads = NO_UPLOADS
    unique_per: tuple[str, ...] = ()
    point_names: tuple[str, str] = ("point", "points")
    reported: Reported | None = None

    def __post_init__(self) -> None:
        where = f"Kind {self.code!r}"
        if self.auto_from and (not self.auto_populated or self.auto_from.count(":") != 1):
            raise ValueError(
                f"{where}: auto_from names a staff record as 'record:value' on an auto_populated kind"
            )
        if any(name not in CAP_DIMENSIONS for name in self.unique_per):
            raise ValueError(f"{where}: unique_per may name only {CAP_DIMENSIONS}")
        if not self.code or not self.label or not self.unit:
            raise ValueError(f"{where}: code, label and unit are required")
        if not self.short:
            object.__setattr__(self, "short", self.label)
        if not self.unit_plural:
            object.__setattr__(self, "unit_plural", self.unit + "s")
        if self.period not in PERIODS:
            raise ValueError(f"{where}: period must be one of {PERIODS}, not {self.period!r}")
        self._check_rules(where)
        self._check_fields(where)
        self._check_reported(where)

    def _check_reported(self, where: str) -> None:
        if self.reported is None:
            return
        if self.period != "dated" or not self.member_entry:
            raise ValueError(f"{where}: only a dated kind members enter can be reported")
        by_name = {f.name: f for f in self.fields}
        for role in ("title", "provider"):
            name = getattr(self.reported, role)
            if not name and role == "provider":
                continue
            spec = by_name.get(name)
            if spec is None or spec.type != "text" or spec.scoring and name != "organization":
                raise ValueError(
                    f"{where}: reported {role} names {name!r}, which is not a text field of its form"
                )

    @property
    def course_fields(self) -> tuple[FieldSpec, ...]:
        """The fields a provider fills once per course of a reported kind: the form's own
        details, without the date, the quantity, the approval and the fields the course's title
        and the provider's name fill."""
        if self.reported is None:
            return ()
        filled = {"date", "year", "quantity", "approved", self.reported.title}
        filled.add(self.reported.provider)
        return tuple(f for f in self.fields if f.name not in filled)

    def _check_rules(self, where: str) -> None:
        if not self.rules:
            raise ValueError(f"{where} needs at least one Rule")
        starts = [r.effective_from for r in self.rules]
        if any(a >= b for a, b in zip(starts, starts[1:], strict=False)):
            raise ValueError(f"{where}: rule versions must be in increasing effective_from order")
        bad = [r for r in self.requires if r not in ("organization", "group")]
        if bad:
            raise ValueError(f"{where}: requires may name organization and group only, not {bad}")
        usable = set(self.requires) | {"year"} | ({"date"} if self.period == "dated" else set())
        rules = []
        for rule in self.rules:
            caps = []
            for cap in rule.caps:
                missing = [d for d in cap.per if d not in usable]
                if missing:
                    raise ValueError(
                        f"{where}: a cap per {missing} needs those fields in `requires` "
                        "(or a dated kind for 'date')"
                    )
                default_key = f"{self.code}:{'+'.join(cap.per) or 'cycle'}"
                caps.append(cap if cap.key else replace(cap, key=default_key))
            rules.append(replace(rule, caps=tuple(caps)))
        object.__setattr__(self, "rules", tuple(rules))

    def _check_fields(self, where: str) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: field names must be unique, got {names}")
        if "kind" in names:
            raise ValueError(f"{where}: 'kind' is added by Program.form_fields; do not declare it")
        by_name = {f.name: f for f in self.fields}
        period_field = "date" if self.period == "dated" else "year"
        other = "year" if self.period == "dated" else "date"
        if other in by_name:
            raise ValueError(
                f"{where} is {self.period}: declare a {period_field!r} field, not {other!r}"
            )
        for needed in (period_field, *self.requires):
            spec = by_name.get(needed)
            if spec is None or not spec.required:
                raise ValueError(f"{where} needs a required {needed!r} field in its form")
        latest = self.rules[-1].quantity
        variable = any(r.quantity.fixed is None for r in self.rules)
        if variable and "quantity" not in by_name:
            raise ValueError(f"{where}: its quantity varies, so declare a quantity_field")
        if not variable and "quantity" in by_name:
            raise ValueError(f"{where}: quantity is fixed, so the form must not ask for it")
        if variable:
            spec = by_name["quantity"]
            # The form renders the newest rule; older versions only matter for old entries.
            filled = replace(
                spec,
                type="integer" if latest.whole else "decimal",
                required=True,
                min_value=latest.minimum or latest.step or latest.fixed,
                step=latest.step,
            )
            fields = tuple(filled if f.name == "quantity" else f for f in self.fields)
            object.__setattr__(self, "fields", fields)

    @cached_property
    def _starts(self) -> list[dt.date]:
        return [r.effective_from for r in self.rules]

    def rule_on(self, day: dt.date) -> Rule | None:
        """The version in force on `day`, or None before the first version."""
        if len(self.rules) == 1:
            rule = self.rules[0]
            return rule if rule.effective_from <= day else None
        index = bisect.bisect_right(self._starts, day) - 1
        return self.rules[index] if index >= 0 else None

    @property
    def latest(self) -> Rule:
        """The newest version, which the forms and the public list describe."""
        return self.rules[-1]

    @property
    def needs(self) -> tuple[str, ...]:
        """Scoring fields that must be given: date or year, then any of organization and group."""
        return ("date" if self.period == "dated" else "year", *self.requires)

    @property
    def scoring_fields(self) -> tuple[str, ...]:
        """Every Activity field this kind reads (always includes quantity)."""
        names = [f.name for f in self.fields if f.scoring]
        return tuple(names if "quantity" in names else [*names, "quantity"])

    @property
    def fixed_quantity(self) -> Decimal | None:
        """The quantity every entry has (1) when the form does not ask for one."""
        return self.latest.quantity.fixed

    @property
    def quantity_label(self) -> str:
        """The label of the quantity field, e.g. "Number of Professional Development Days"."""
        for spec in self.fields:
            if spec.name == "quantity":
                return spec.label
        return "Quantity"

    @property
    def points(self) -> str:
        """What an entry is worth under the newest version, e.g. "3 points per day"."""
        return self.latest.describe_points(self)

    @property
    def cap_descriptions(self) -> tuple[str, ...]:
        """The newest version's caps in words, e.g. ("Maximum 6 points per cycle",)."""
        return tuple(cap.describe(self) for cap in self.latest.caps)


@dataclass(frozen=True)
class Category:
    """A heading of the points list and of the entry forms, optionally with its own cap or minimum.

    `kind_label` is the label of the drop-down that picks a kind in this category's form.
    """

    code: str
    label: str
    summary: tuple[str, ...] = ()
    kind_label: str = "Category"
    maximum: Decimal | int | None = None
    minimum: Decimal | int | None = None
    point_names: tuple[str, str] = ("point", "points")

    def __post_init__(self) -> None:
        for name in ("maximum", "minimum"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, to_decimal(value, f"Category {name}"))

    @property
    def limit_descriptions(self) -> tuple[str, ...]:
        """The category's own cap and minimum in words, for the public list."""
        texts = []
        if self.minimum is not None:
            texts.append(f"At least {count(self.minimum, *self.point_names)} in {self.label}")
        if self.maximum is not None:
            texts.append(f"At most {count(self.maximum, *self.point_names)} in {self.label}")
        return tuple(texts)


@dataclass(frozen=True)
class Minimum:
    """At least `amount` counted on lines matching every filter: approved, categories, kinds."""

    amount: Decimal | int
    noun: str
    noun_singular: str = ""
    approved: bool | None = None
    categories: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount, "Minimum amount"))
        if not self.noun_singular:
            object.__setattr__(self, "noun_singular", self.noun.removesuffix("s"))

    def matches(self, activity: Activity, category: str) -> bool:
        """True when a line for `activity` in `category` counts toward this minimum."""
        if self.approved is not None and activity.approved is not self.approved:
            return False
        if self.categories and category not in self.categories:
            return False
        return not self.kinds or activity.kind in self.kinds


@dataclass(frozen=True)
class Requirement:
    """The total (and minimums) needed; applies to `credentials` many credentials (None: any)."""

    total: Decimal | int
    minimums: tuple[Minimum, ...] = ()
    credentials: int | None = None
    first_dual_cycle: bool | None = None
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", to_decimal(self.total, "Requirement total"))

    def applies(self, credentials: int, first_dual_cycle: bool) -> bool:
        """True for a report on `credentials` credentials in this kind of cycle."""
        return (self.credentials is None or self.credentials == credentials) and (
            self.first_dual_cycle is None or self.first_dual_cycle == first_dual_cycle
        )

    def describe(self, point_names: tuple[str, str]) -> str:
        """E.g. "30 credits, of which at least 15 NAMSS-approved credits"."""
        text = count(self.total, *point_names)
        for minimum in self.minimums:
            text += (
                f", of which at least {count(minimum.amount, minimum.noun_singular, minimum.noun)}"
            )
        return text


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # 29 February: the anniversary in a common year is taken to be 1 March.
        return dt.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Cycle:
    """A recertification cycle of `years` years.

    Without `ends_on` it ends the day before the same date `years` later; with `ends_on`
    (month, day) it ends on that day of the year `start.year + years` (NAMSS: 1 December).
    """

    years: int
    ends_on: tuple[int, int] | None = None
    description: str = ""

    def end(self, start: dt.date) -> dt.date:
        """The last day that counts for a cycle starting on `start`."""
        if self.ends_on is not None:
            month, day = self.ends_on
            return dt.date(start.year + self.years, month, day)
        return _add_years(start, self.years) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Fee:
    """A default fee; staff can change the amount in the portal. `stated` False: our own default."""

    code: str
    label: str
    amount: Decimal | int
    currency: str = "USD"
    stated: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount, "Fee amount"))

    @property
    def display(self) -> str:
        """E.g. "150.00 USD"."""
        return format_money(Decimal(self.amount), self.currency)


@dataclass(frozen=True)
class Deadline:
    """A day of the calendar of renewal year Y: (month, day) of Y + `years_after`."""

    code: str
    label: str
    month: int
    day: int
    years_after: int = 0

    def on(self, renewal_year: int) -> dt.date:
        """The date for a renewal year."""
        return dt.date(renewal_year + self.years_after, self.month, self.day)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier; a day the month lacks (31 June, 29 February in a
    common year) moves to the first of the next month, as `_add_years` does."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    try:
        return dt.date(year, month + 1, day.day)
    except ValueError:
        year, month = divmod(index + 1, 12)
        return dt.date(year, month + 1, 1)


@dataclass(frozen=True)
class CarryOver:
    """Excess points an approved report carries into the member's next cycle.

    `limit` is the most points carried. `kind` is the code of the program's kind the carried
    points become in the next cycle: a dated kind scored one point per unit (`PerUnit(1)`), that
    members cannot enter (`member_entry=False`), so the entry's quantity is the points carried.
    `earned_in_last_months` keeps only points earned in the last N months of the cycle (a yearly
    activity counts as earned at its year's end); None: the whole cycle. `categories` keeps only
    points counted in these categories; empty: every category. Checked against the program's
    kinds and categories when the `Program` is built.
    """

    limit: Decimal | int | str
    kind: str
    earned_in_last_months: int | None = None
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        limit = to_decimal(self.limit, "CarryOver limit")
        if limit <= 0:
            raise ValueError(
                f"CarryOver limit must be more than 0 (got {self.limit!r}); "
                "a program that carries nothing declares no CarryOver"
            )
        object.__setattr__(self, "limit", limit)
        if not isinstance(self.kind, str) or not self.kind.strip():
            raise ValueError(f"CarryOver kind must be a kind's code (got {self.kind!r})")
        months = self.earned_in_last_months
        if months is not None and (isinstance(months, bool) or not isinstance(months, int)):
            raise ValueError(
                f"CarryOver earned_in_last_months must be a whole number of months or None "
                f"(got {months!r})"
            )
        if months is not None and months < 1:
            raise ValueError(
                f"CarryOver earned_in_last_months must be at least 1 (got {months}); "
                "None means the whole cycle"
            )
        if isinstance(self.categories, str):
            raise ValueError(
                f"CarryOver categories must be a tuple of codes, e.g. ({self.categories!r},), "
                "not a string"
            )
        categories = tuple(self.categories)
        if len(set(categories)) != len(categories):
            raise ValueError(f"CarryOver categories lists a category twice: {categories}")
        object.__setattr__(self, "categories", categories)

    def earned_from(self, cycle_end: dt.date) -> dt.date | None:
        """The first day of the cycle ending `cycle_end` whose points may be carried, or None
        when the whole cycle counts: `earned_in_last_months` before the day after it ends."""
        if self.earned_in_last_months is None:
            return None
        return months_before(cycle_end + dt.timedelta(days=1), self.earned_in_last_months)


@dataclass(frozen=True, eq=False)
class Program:
    """A credentialing body's whole rulebook; one module declares one of these.

    `point_names` is the singular and plural of what is counted ("point", "CMP", "credit").
    `one_credential_per_report` rejects a report on several designations at once (IPMA-HR).

    The rest of the program's policy, read by the lifecycle, payments and the pages:
    `deadlines` is its calendar (codes the portal knows: application_opens, on_time_until,
    extension_request_until, late_until, lapses_on, extension_until, reinstatement_until,
    invoice_payable_from); `fees` its default fees (staff may change the amounts);
    `reminder_days` the days before the deadline on which members are reminded;
    `grace_months` the months after a lapse before the credential is terminated, for a calendar
    without `reinstatement_until`; `extension_share` the share of the required credits whose
    certificates an extension request must include (None: no extensions).
    """

    code: str
    name: str
    long_name: str
    credentials: Mapping[str, str]
    cycle: Cycle
    categories: tuple[Category, ...]
    kinds: tuple[Kind, ...]
    requirements: tuple[Requirement, ...]
    point_names: tuple[str, str] = ("point", "points")
    fees: tuple[Fee, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    one_credential_per_report: bool = False
    summary: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    reminder_days: tuple[int, ...] = (180, 90, 30)
    grace_months: int | None = None
    extension_share: Decimal | None = None
    carry_over: CarryOver | None = None

    def __post_init__(self) -> None:
        where = f"Program {self.code!r}"
        if not self.reminder_days or any(d < 0 for d in self.reminder_days):
            raise ValueError(f"{where}: reminder_days lists at least one day, none negative")
        object.__setattr__(
            self, "reminder_days", tuple(sorted(set(self.reminder_days), reverse=True))
        )
        if self.grace_months is not None and self.grace_months < 1:
            raise ValueError(f"{where}: grace_months is a positive number of months")
        if self.extension_share is not None:
            share = to_decimal(self.extension_share, "extension_share")
            if not 0 < share <= 1:
                raise ValueError(f"{where}: extension_share is a share in (0, 1]")
            object.__setattr__(self, "extension_share", share)
        object.__setattr__(self, "credentials", MappingProxyType(dict(self.credentials)))
        if not self.credentials:
            raise ValueError(f"{where} needs at least one credential")
        # Kinds and categories word their points as the program does ("3 CMPs", "30 credits").
        object.__setattr__(
            self, "kinds", tuple(replace(k, point_names=self.point_names) for k in self.kinds)
        )
        object.__setattr__(
            self,
            "categories",
            tuple(replace(c, point_names=self.point_names) for c in self.categories),
        )
        category_codes = [c.code for c in self.categories]
        kind_codes = [k.code for k in self.kinds]
        for what, codes in (("category", category_codes), ("kind", kind_codes)):
            duplicates = sorted({c for c in codes if codes.count(c) > 1})
            if duplicates:
                raise ValueError(f"{where}: duplicate {what} codes {duplicates}")
        for kind in self.kinds:
            if kind.category not in category_codes:
                raise ValueError(
                    f"{where}: kind {kind.code!r} names unknown category {kind.category!r}"
                )
        if not self.requirements:
            raise ValueError(f"{where} needs at least one Requirement")
        for requirement in self.requirements:
            for minimum in requirement.minimums:
                unknown = [c for c in minimum.categories if c not in category_codes]
                unknown += [k for k in minimum.kinds if k not in kind_codes]
                if unknown:
                    raise ValueError(f"{where}: a minimum names unknown codes {unknown}")
        self._check_carry_over(where, category_codes)

    def _check_carry_over(self, where: str, category_codes: list[str]) -> None:
        """The carry-over's kind is one of the program's: dated, not entered by members, one
        point per unit, no caps, taking any quantity up to the limit; its categories exist."""
        carry = self.carry_over
        if carry is None:
            return
        if not isinstance(carry, CarryOver):
            raise ValueError(f"{where}: carry_over must be a CarryOver, not {type(carry).__name__}")
        kind = next((k for k in self.kinds if k.code == carry.kind), None)
        if kind is None:
            known = [k.code for k in self.kinds]
            raise ValueError(
                f"{where}: carry_over names unknown kind {carry.kind!r}."
                f"{suggest(carry.kind, known)}"
            )
        what = f"{where}: the carry-over kind {kind.code!r}"
        if kind.period != "dated":
            raise ValueError(
                f"{what} must be dated: the carried points are dated on the next cycle's first day"
            )
        if kind.member_entry:
            raise ValueError(
                f"{what} must have member_entry=False: members do not enter carried points"
            )
        for rule in kind.rules:
            if not isinstance(rule.score, PerUnit) or rule.score.points != 1:
                raise ValueError(
                    f"{what} must be scored PerUnit(1), one point per unit, so that its "
                    "quantity is the points carried"
                )
            if rule.quantity.fixed is not None:
                raise ValueError(f"{what} must take a varying quantity (the points carried)")
            if rule.quantity.maximum is not None and rule.quantity.maximum < carry.limit:
                raise ValueError(
                    f"{what} accepts at most {format_decimal(rule.quantity.maximum)} on one "
                    f"entry, less than the carry-over limit {format_decimal(carry.limit)}"
                )
            if rule.caps:
                raise ValueError(f"{what} must have no caps: carried points count in full")
        unknown = [c for c in carry.categories if c not in category_codes]
        if unknown:
            raise ValueError(
                f"{where}: carry_over names unknown categories {unknown}."
                f"{suggest(unknown[0], category_codes)}"
            )

    def __repr__(self) -> str:
        return f"<Program {self.code}>"

    @cached_property
    def _kinds(self) -> dict[str, Kind]:
        return {k.code: k for k in self.kinds}

    @cached_property
    def _categories(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}

    @property
    def cycle_years(self) -> int:
        """Length of a cycle in years."""
        return self.cycle.years

    def kind(self, code: str) -> Kind:
        """The kind with this code; ValueError naming the known codes otherwise."""
        found = self._kinds.get(code)
        if found is None:
            raise ValueError(
                f"Unknown activity kind {code!r} for {self.name}.{suggest(code, self._kinds)} "
                f"Known kinds: {', '.join(self._kinds)}."
            )
        return found

    def category(self, code: str) -> Category:
        """The category with this code; ValueError otherwise."""
        found = self._categories.get(code)
        if found is None:
            raise ValueError(
                f"Unknown category {code!r} for {self.name}.{suggest(code, self._categories)}"
            )
        return found

    def kinds_in(self, category: str) -> tuple[Kind, ...]:
        """Every kind of a category, in declaration order (the public list shows all of them)."""
        self.category(category)
        return tuple(k for k in self.kinds if k.category == category)

    def entry_kinds(self, category: str) -> tuple[Kind, ...]:
        """The kinds a member may enter in a category's form (auto-populated-only ones excluded)."""
        return tuple(k for k in self.kinds_in(category) if k.member_entry)

    def form_fields(self, kind: str, *, staff: bool = False) -> tuple[FieldSpec, ...]:
        """An entry form for `kind`: the category's kind drop-down, then the kind's own fields.

        The drop-down offers the kinds members may enter; staff forms (and the form for an
        auto-populated-only kind) offer every kind of the category.
        """
        found = self.kind(kind)
        category = self.category(found.category)
        if staff or not found.member_entry:
            options = self.kinds_in(category.code)
        else:
            options = self.entry_kinds(category.code)
        chooser = FieldSpec(
            "kind",
            category.kind_label,
            "choice",
            True,
            choices=tuple((k.code, k.label) for k in options),
        )
        return (chooser, *found.fields)

    def cycle_end(self, start: dt.date) -> dt.date:
        """The last day of a cycle that starts on `start`."""
        return self.cycle.end(start)

    def check_credentials(self, credentials: Iterable[str]) -> tuple[str, ...]:
        """The credential codes as a tuple; ValueError for unknown, repeated or too many codes."""
        if isinstance(credentials, str):
            raise ValueError(
                f"credentials must be a list of codes, e.g. [{credentials!r}], not a string"
            )
        codes = tuple(credentials)
        if not codes:
            raise ValueError(
                f"Name the credential being recertified, one of {', '.join(self.credentials)}."
            )
        for code in codes:
            if code not in self.credentials:
                raise ValueError(
                    f"Unknown credential {code!r} for {self.name}.{suggest(code, self.credentials)}"
                    f" Known credentials: {', '.join(self.credentials)}."
                )
        if len(set(codes)) != len(codes):
            raise ValueError(f"Credential listed twice: {', '.join(codes)}.")
        if self.one_credential_per_report and len(codes) > 1:
            raise ValueError(
                f"Each {self.name} designation is recertified separately, with its own report and "
                f"its own {count(self.requirements[0].total, *self.point_names)}: evaluate "
                f"{' and '.join(codes)} one at a time."
            )
        return codes

    def requirement_for(
        self, credentials: Iterable[str], first_dual_cycle: bool = False
    ) -> Requirement:
        """The requirement for a report on these credentials; ValueError when none applies."""
        codes = self.check_credentials(credentials)
        if first_dual_cycle and not any(r.first_dual_cycle for r in self.requirements):
            raise ValueError(
                f"first_dual_cycle is for dual certificants; {self.name} has no such rule, "
                "so pass first_dual_cycle=False."
            )
        for requirement in self.requirements:
            if requirement.applies(len(codes), bool(first_dual_cycle)):
                return requirement
        raise ValueError(
            f"{self.name} has no requirement for {' and '.join(codes)} with "
            f"first_dual_cycle={bool(first_dual_cycle)}: the first dual cycle applies only when "
            "recertifying both credentials together."
        )

    def default_fees(self) -> dict[str, Fee]:
        """Fees by code, as declared (staff may change the amounts in the portal)."""
        return {fee.code: fee for fee in self.fees}

    def deadlines_for(self, renewal_year: int) -> dict[str, dt.date]:
        """The calendar of a renewal year: deadline code -> date."""
        return {d.code: d.on(renewal_year) for d in self.deadlines}

    @cached_property
    def _deadline_codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self.deadlines)

    @property
    def offers_extensions(self) -> bool:
        """Members may request an extension of their deadline (for a fee)."""
        wanted = {"extension_request_until", "extension_until"}
        return self.extension_share is not None and wanted <= self._deadline_codes

    @property
    def offers_reinstatement(self) -> bool:
        """A lapsed credential may be reinstated within a grace period (`reinstatement_until`)."""
        return "reinstatement_until" in self._deadline_codes

    @property
    def terminates_lapsed(self) -> bool:
        """A lapsed credential is terminated once its grace period is over."""
        return self.offers_reinstatement or self.grace_months is not None

    def extension_credits_needed(
        self, credentials: Iterable[str], first_dual_cycle: bool = False
    ) -> Decimal:
        """Credits whose certificates an extension request must include (NAMSS: half)."""
        if self.extension_share is None:
            raise ValueError(f"{self.name} has no extensions.")
        total = Decimal(self.requirement_for(credentials, first_dual_cycle).total)
        return total * self.extension_share

    def auto_kind(self, record: str, value: str) -> Kind | None:
        """The automatic kind a staff record adds ("membership", "national"), if the program has one."""
        return self._auto_kinds.get(f"{record}:{value}")

    @cached_property
    def _auto_kinds(self) -> dict[str, Kind]:
        return {k.auto_from: k for k in self.kinds if k.auto_from}

    @cached_property
    def auto_records(self) -> frozenset[str]:
        """The staff records the program's automatic kinds come from ("membership", "committee"):
        the only records scoring needs to read."""
        return frozenset(code.split(":", 1)[0] for code in self._auto_kinds)

    def fees_due(
        self,
        renewal_year: int,
        on: dt.date,
        *,
        extension_granted: bool = False,
        lapsed: bool = False,
    ) -> list[str]:
        """Fee codes due for a report submitted on `on` for renewal year Y, by the calendar.

        Nothing before the application opens; the recertification fee alone up to the on-time
        deadline (or the extended one, with an extension); the late fee after it, to `late_until`;
        after that, or for a lapsed credential, the reinstatement fee within the grace period and
        nothing once it is over (the credential must be earned again). The extension fee is billed
        when an extension is requested, not here.
        """
        days = self.deadlines_for(renewal_year)
        opens, on_time = days.get("application_opens"), days.get("on_time_until")
        late_until, until = days.get("late_until"), days.get("reinstatement_until")
        extended_until = days.get("extension_until") if extension_granted else None
        if opens is not None and on < opens:
            return []
        if extended_until is not None and on <= extended_until:
            return ["recertification"]
        if lapsed or (until is not None and late_until is not None and on > late_until):
            if until is not None and on > until:
                return []
            return ["recertification", "reinstatement"]
        if on_time is not None and on > on_time:
            return ["recertification", "late"]
        return ["recertification"]

    def requirement_descriptions(self) -> list[tuple[str, str]]:
        """(label, text) for each requirement, for the public list."""
        return [(r.label, r.describe(self.point_names)) for r in self.requirements]
