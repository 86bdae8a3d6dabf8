"""A provider's courses: checked against the program's rules, created and changed (the provider
area's form and the API use the same functions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import log_action, signed_in, snapshot
from recertification import rules

from .models import Completion, Course, Provider
from .reporting import clean_text

COURSE_FIELDS = [
    "program",
    "kind",
    "title",
    "starts_on",
    "ends_on",
    "quantity",
    "details",
    "course_id",
]


def reportable_kinds(program_code: str) -> list[rules.Kind]:
    """The kinds of a program a provider can report (those that declare `reported`)."""
    return [k for k in rules.get_program(program_code).kinds if k.reported is not None]


def kind_choices(provider: Provider) -> list[tuple[str, list[tuple[str, str]]]]:
    """(program name, [(kind code, label)]) for each program the provider reports to."""
    return [
        (rules.get_program(code).name, [(k.code, k.short) for k in reportable_kinds(code)])
        for code in provider.program_codes()
    ]


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _clean_details(kind: rules.Kind, given: object, errors: dict[str, str]) -> dict:
    given = given if isinstance(given, dict) else {}
    details = {}
    for spec in kind.course_fields:
        value = clean_text(given.get(spec.name, ""))
        if not value:
            if spec.required:
                errors[f"details.{spec.name}"] = f"Give the {spec.label.lower()}."
            continue
        if spec.type == "choice" and value not in {c for c, _ in spec.choices}:
            options = ", ".join(c for c, _ in spec.choices)
            errors[f"details.{spec.name}"] = f"{spec.label}: choose one of {options}."
        elif spec.max_length and len(value) > spec.max_length:
            errors[f"details.{spec.name}"] = f"{spec.label}: at most {spec.max_length} characters."
        else:
            details[spec.name] = value
    return details


def course_clean(*, provider: Provider, values: dict, course: Course | None = None) -> dict:
    """The course's values as stored, or ValidationError naming each field at fault."""
    errors: dict[str, str] = {}
    program_code = clean_text(values.get("program"))
    if program_code not in provider.program_codes():
        errors["program"] = "Choose one of the programs you report to."
        raise ValidationError(errors)
    program = rules.get_program(program_code)
    kinds = {k.code: k for k in reportable_kinds(program_code)}
    kind = kinds.get(clean_text(values.get("kind")))
    if kind is None:
        names = "; ".join(k.short for k in kinds.values())
        errors["kind"] = f"Choose a kind of activity {program.name} lets providers report: {names}."
        raise ValidationError(errors)
    title = clean_text(values.get("title"))
    if not title:
        errors["title"] = "Give the course's title."
    elif len(title) > 150:
        errors["title"] = "The title is longer than 150 characters."
    starts_on = _as_date(values.get("starts_on"))
    ends_on = _as_date(values.get("ends_on")) or starts_on
    if starts_on is None:
        errors["starts_on"] = "Give the first day as a date (YYYY-MM-DD)."
    elif ends_on < starts_on:
        errors["ends_on"] = "The last day cannot come before the first day."
    try:
        quantity = Decimal(str(values.get("quantity", "")).strip())
        if not quantity.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        quantity = None
        errors["quantity"] = f"Give the {kind.unit_plural} one attendee earns, as a number."
    if quantity is not None and starts_on is not None and "ends_on" not in errors:
        try:
            rules.check_activity(
                program, rules.Activity(kind=kind.code, date=ends_on, quantity=quantity)
            )
        except ValueError as error:
            errors["quantity"] = str(error)
    course_id = clean_text(values.get("course_id"))
    if len(course_id) > 100:
        errors["course_id"] = "Your course id is longer than 100 characters."
    elif course_id:
        taken = Course.objects.filter(provider=provider, course_id=course_id)
        if course is not None:
            taken = taken.exclude(pk=course.pk)
        if taken.exists():
            errors["course_id"] = "You already have a course with this course id."
    details = _clean_details(kind, values.get("details"), errors)
    if errors:
        raise ValidationError(errors)
    return {
        "program": program_code,
        "kind": kind.code,
        "title": title,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "quantity": quantity,
        "details": details,
        "course_id": course_id,
    }


@transaction.atomic
def course_create(*, provider: Provider, values: dict, actor=None) -> Course:
    cleaned = course_clean(provider=provider, values=values)
    course = Course.objects.create(provider=provider, created_by=signed_in(actor), **cleaned)
    log_action(course, "created", actor=actor, after=snapshot(course, COURSE_FIELDS))
    return course


@transaction.atomic
def course_update(*, course: Course, values: dict, actor=None) -> Course:
    """Change a course while no member has acted on a completion of it (what they accepted or
    declined must keep saying what they saw)."""
    course = Course.objects.select_for_update().select_related("provider").get(pk=course.pk)
    acted = course.completions.filter(
        status__in=[Completion.Status.ACCEPTED, Completion.Status.DECLINED]
    )
    if acted.exists():
        raise ValidationError(
            "Members have already accepted or declined completions of this course, so it can no "
            "longer change. Report a new course, or write to the credentialing body's staff."
        )
    cleaned = course_clean(provider=course.provider, values=values, course=course)
    before = snapshot(course, COURSE_FIELDS)
    for name, value in cleaned.items():
        setattr(course, name, value)
    course.save()
    log_action(course, "changed", actor=actor, before=before, after=snapshot(course, COURSE_FIELDS))
    return course
