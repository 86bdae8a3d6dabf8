"""The JSON shapes of the providers' API (providers/api.py): what a provider's system sends and
what it receives. The same types validate each request (django-ninja, Pydantic) and make the
OpenAPI schema at /api/v1/openapi.json, so the schema cannot drift from what is checked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from .models import Completion, Course
from .reporting import MAX_ATTENDEES

CENTS = Decimal("0.01")

# --- errors ------------------------------------------------------------------------------------


class FieldError(Schema):
    field: str = Field(
        ...,
        description='The field at fault, e.g. "title", "details.location" or '
        '"completions[2].quantity"; "body" for the request as a whole.',
    )
    message: str
    index: int | None = Field(
        None, description="The completion's position in the batch (0-based), when about one."
    )


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


# --- programs ----------------------------------------------------------------------------------


class CourseFieldOut(Schema):
    name: str = Field(..., description="The key to send under the course's `details`.")
    label: str
    type: str = Field(..., description="text, url, integer or choice.")
    required: bool
    max_length: int | None = None
    choices: list[str] = Field(default_factory=list, description="For a choice: the values.")
    help_text: str = ""


class KindOut(Schema):
    code: str = Field(..., description="The course's `kind`.")
    label: str
    unit: str = Field(..., description="What a course's `quantity` counts, e.g. contact hour.")
    unit_plural: str
    course_fields: list[CourseFieldOut]


class ProgramOut(Schema):
    code: str = Field(..., description="The course's `program`.")
    name: str
    approved: bool = Field(..., description="The program approved your courses.")
    kinds: list[KindOut]


# --- courses -----------------------------------------------------------------------------------


class CourseIn(Schema):
    """A course as created (POST) or replaced (PUT)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    program: str = Field(..., description="A program code from GET /programs.")
    kind: str = Field(..., description="A kind code of that program from GET /programs.")
    title: str
    starts_on: dt.date
    ends_on: dt.date | None = Field(None, description="The last day; the first day when omitted.")
    quantity: Decimal = Field(..., description="What one attendee earns, in the kind's unit.")
    details: dict[str, Any] = Field(
        default_factory=dict, description="The kind's course fields (GET /programs), by name."
    )
    course_id: str = Field("", description="Your own id of the course, unique among yours.")


class CoursePatch(Schema):
    """A course's fields to change (PATCH); the others keep their values."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    program: str | None = None
    kind: str | None = None
    title: str | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    quantity: Decimal | None = None
    details: dict[str, Any] | None = None
    course_id: str | None = None


class CourseOut(Schema):
    id: int = Field(..., description="The portal's id of the course (the URL's {id}).")
    course_id: str = Field(..., description="Your own id of the course, or empty.")
    program: str
    kind: str
    title: str
    starts_on: dt.date
    ends_on: dt.date
    quantity: Decimal
    details: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_quantity(obj: Course) -> Decimal:
        return Decimal(obj.quantity).quantize(CENTS)  # as stored, also before it is read back


# --- completions -------------------------------------------------------------------------------


class CompletionIn(Schema):
    """One attendee who completed the course, as your system knows them."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    completion_id: str = Field(
        ..., description="Your own id of this completion: reporting it again changes nothing."
    )
    member_number: str | None = Field(None, description="The member number the attendee gave.")
    last_name: str
    email: str | None = Field(None, description="Matched when the member number does not match.")
    completed_on: dt.date | None = Field(None, description="The course's last day when omitted.")
    quantity: Decimal | None = Field(
        None, description="Hours or credits earned; the course's quantity when omitted."
    )


class CompletionsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    completions: list[CompletionIn] = Field(..., min_length=1, max_length=MAX_ATTENDEES)


class CompletionResult(Schema):
    completion_id: str
    result: str = Field(..., description="created, updated or unchanged.")
    status: Completion.Status
    unmatched_reason: str
    id: int


class CompletionsOut(Schema):
    created: int
    updated: int
    unchanged: int
    matched: int
    unmatched: int
    results: list[CompletionResult]


class CompletionOut(Schema):
    id: int
    completion_id: str
    course: int = Field(..., description="The portal's id of the course.")
    member_number: str
    last_name: str
    email: str
    completed_on: dt.date
    quantity: Decimal
    status: Completion.Status
    unmatched_reason: str
    reported_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_course(obj: Completion) -> int:
        return obj.course_id


COURSE_INPUT_FIELDS = list(CourseIn.model_fields)


def course_values(course: Course) -> dict:
    """A course's values in the shape `courses.course_clean` reads (the base of a PATCH)."""
    return {name: getattr(course, name) for name in COURSE_INPUT_FIELDS}
