"""An entry in words, from its program's declaration: every field's label and its value.

Staff pages (a report's page, the audit form, the history, paper reports) show an entry through
these helpers, never its stored keys or codes: `entry_pairs` gives the (label, value) pairs of the
kind's fields in the declared order, `category_columns` the columns of one category's table, and
`readable_state` turns an entry's recorded state (the history's before and after) into labels.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from core.formatting import format_date

from . import rules

SCORING_ATTRIBUTES = ("date", "year", "quantity", "organization", "group", "approved")


def _kind(program: rules.Program, code: str) -> rules.Kind | None:
    try:
        return program.kind(code)
    except (KeyError, ValueError):
        return None


def kind_and_category(program_code: str, kind_code: str) -> tuple[str, str]:
    """The kind's and its category's labels, as members read them ("Continuing education
    activity", "Continuing Education"); the codes themselves for a kind the program no longer
    declares."""
    try:
        program = rules.get_program(program_code)
    except (KeyError, ValueError):
        return kind_code, ""
    kind = _kind(program, kind_code)
    if kind is None:
        return kind_code, ""
    category = next((c.label for c in program.categories if c.code == kind.category), kind.category)
    return kind.label, category


def value_text(spec: rules.FieldSpec | None, value: Any) -> str:
    """One field's value as staff read it: Yes/No, dates in the portal's format, 5 not 5.00."""
    if value is None or value == "":
        return ""
    if (spec is not None and spec.type == "bool") or isinstance(value, bool):
        return "Yes" if value in (True, "True", "true", "yes") else "No"
    if isinstance(value, dt.date):
        return format_date(value)
    if spec is not None and spec.type == "date" and isinstance(value, str):
        try:
            return format_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, Decimal) or (spec is not None and spec.type in ("decimal", "integer")):
        try:
            return rules.format_decimal(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return str(value)
    return str(value)


def field_value(entry: Any, spec: rules.FieldSpec) -> Any:
    """The stored value of one declared field: an Entry attribute when it scores, else a detail."""
    if spec.name in SCORING_ATTRIBUTES:
        return getattr(entry, spec.name, None)
    return (getattr(entry, "details", None) or {}).get(spec.name)


def entry_pairs(entry: Any, program: rules.Program | None = None) -> list[tuple[str, str]]:
    """The entry's fields as (label, value) pairs in the declared order, the kind first.

    Details the declaration no longer names are kept, labelled from their key in words."""
    program = program or rules.get_program(entry.program)
    kind = _kind(program, entry.kind)
    if kind is None:
        return [("Kind", str(entry.kind))]
    pairs = [("Kind", kind.short)]
    named = set()
    for spec in kind.fields:
        named.add(spec.name)
        pairs.append((spec.label, value_text(spec, field_value(entry, spec))))
    if "quantity" not in named and kind.fixed_quantity is None:
        pairs.append((kind.quantity_label, value_text(None, entry.quantity)))
    for key, value in (getattr(entry, "details", None) or {}).items():
        if key not in named and value not in (None, ""):
            pairs.append((key.replace("_", " ").capitalize(), value_text(None, value)))
    return pairs


def category_columns(program: rules.Program, category: str) -> list[rules.FieldSpec]:
    """The columns of one category's entries table: every field its kinds declare, once, in order."""
    columns: dict[str, rules.FieldSpec] = {}
    for kind in program.kinds_in(category):
        for spec in kind.fields:
            columns.setdefault(spec.name, spec)
    return list(columns.values())


def entry_cells(entry: Any, columns: list[rules.FieldSpec], program: rules.Program) -> list[str]:
    """One row of a category table: the entry's value under each column ("" where its kind has none)."""
    kind = _kind(program, entry.kind)
    asks = {spec.name: spec for spec in kind.fields} if kind is not None else {}
    cells = []
    for column in columns:
        spec = asks.get(column.name)
        cells.append(value_text(spec, field_value(entry, spec)) if spec is not None else "")
    return cells


def readable_state(program_code: str, state: dict | None) -> dict[str, Any] | None:
    """An entry's recorded state (kind, category, details...) with labels for keys and values."""
    if not state:
        return state
    try:
        program = rules.get_program(program_code)
    except (KeyError, ValueError):
        return state
    kind = _kind(program, str(state.get("kind", "")))
    specs = {spec.name: spec for spec in kind.fields} if kind is not None else {}
    categories = {c.code: c.label for c in program.categories}
    readable: dict[str, Any] = {}
    for key, value in state.items():
        if key == "kind":
            readable["Kind"] = kind.short if kind is not None else value
        elif key == "category":
            readable["Category"] = categories.get(value, value)
        elif key == "details" and isinstance(value, dict):
            for name, detail in value.items():
                spec = specs.get(name)
                label = spec.label if spec else name.replace("_", " ").capitalize()
                readable[label] = value_text(spec, detail)
        elif key in specs:
            readable[specs[key].label] = value_text(specs[key], value)
        elif key == "quantity" and kind is not None:
            readable[kind.quantity_label] = value_text(None, value)
        else:
            readable[key] = value
    return readable


# The ceiling for a quantity no declaration bounds: a kind declared without a maximum (every
# shipped program declares one) and whole-number details such as Number of Instructional Days.
UNDECLARED_MAXIMUM = Decimal(10_000)


def quantity_maximum(kind: rules.Kind) -> Decimal:
    """The most one entry of `kind` may claim, as its program declares it (newest rule): the
    member's entry form and the staff paper report both hold the quantity to it."""
    quantity = kind.latest.quantity
    if quantity.fixed is not None:
        return quantity.fixed
    return quantity.maximum if quantity.maximum is not None else UNDECLARED_MAXIMUM


def quantity_problem(kind: rules.Kind, quantity: Decimal) -> str:
    """Why `quantity` cannot be one entry of `kind` (more than one entry may claim, or its
    declared quantity rule), in words naming the kind, its unit and the limit; "" when it can."""
    quantity = Decimal(quantity)
    limit = quantity_maximum(kind)
    if quantity > limit and kind.fixed_quantity is None:
        return (
            f"{kind.short}: at most {rules.format_grouped(limit)} {kind.unit_plural} on one entry "
            f"(got {rules.format_grouped(quantity)})."
        )
    try:
        kind.latest.quantity.check(quantity, kind)
    except ValueError as error:
        return f"{kind.short}: {error}"
    return ""


def text_detail_fields(kind: rules.Kind) -> list[rules.FieldSpec]:
    """The kind's free-text details in declared order (title, sponsor, provider...)."""
    return [spec for spec in kind.fields if not spec.scoring and spec.type == "text"]
