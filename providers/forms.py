"""The provider area's forms: a course (its kind's own fields generated from the program's
declaration), attendees typed in, a roster file, the preview's decision and an API token's name.

The forms read what was typed; the services decide (`courses.course_clean`,
`reporting.completions_report`) and their errors are put back on the field or row at fault.
"""

from __future__ import annotations

import re
import secrets

from django import forms
from django.core.exceptions import ValidationError

from recertification import rules

from . import roster
from .courses import reportable_kinds
from .models import Course, Provider
from .reporting import Attendee, RowError

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _slug(code: str) -> str:
    return re.sub(r"\W", "_", code)


def _detail_field(spec: rules.FieldSpec) -> forms.Field:
    """A kind's course field as a Django field. Never required here: it applies only when its
    kind is chosen, and `course_clean` says what is missing."""
    common = {"label": spec.label, "required": False, "help_text": spec.help_text}
    if spec.type == "choice":
        return forms.ChoiceField(choices=[("", "Choose…"), *spec.choices], **common)
    if spec.type == "date":
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.type in ("decimal", "integer", "year"):
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if spec.type == "bool":
        return forms.ChoiceField(choices=[("", "Choose…"), ("yes", "Yes"), ("no", "No")], **common)
    widget = forms.URLInput() if spec.type == "url" else forms.TextInput()
    return forms.CharField(max_length=spec.max_length or None, widget=widget, **common)


class CourseForm(forms.Form):
    """A course: program, kind, title, days, hours or credits, the kind's own fields, course id."""

    program = forms.ChoiceField(label="Program")
    kind = forms.ChoiceField(label="Kind of activity")
    title = forms.CharField(label="Title", max_length=150)
    starts_on = forms.DateField(label="First day", widget=DATE_WIDGET)
    ends_on = forms.DateField(
        label="Last day",
        widget=DATE_WIDGET,
        required=False,
        help_text="Leave it blank for a one-day course.",
    )
    quantity = forms.DecimalField(label="Hours or credits per attendee")
    course_id = forms.CharField(
        label="Your course id",
        max_length=100,
        required=False,
        help_text="Optional: your own reference for the course (used by the API).",
    )

    def __init__(self, *args, provider: Provider, course: Course | None = None, **kwargs):
        if course is not None and "initial" not in kwargs and not args and "data" not in kwargs:
            kwargs["initial"] = self.initial_for(course)
        super().__init__(*args, **kwargs)
        self.provider = provider
        codes = provider.program_codes()
        programs = [rules.get_program(code) for code in codes]
        self.fields["program"].choices = [("", "Choose…")] + [(p.code, p.name) for p in programs]
        if len(codes) == 1 and not self.is_bound and course is None:
            self.initial.setdefault("program", codes[0])
        self.kinds: dict[str, rules.Kind] = {}
        kind_groups = []
        self.detail_groups: list[dict] = []
        for program in programs:
            options = []
            for kind in reportable_kinds(program.code):
                self.kinds[kind.code] = kind
                options.append((kind.code, f"{kind.short} ({kind.unit_plural})"))
                names = []
                for spec in kind.course_fields:
                    name = f"detail__{_slug(kind.code)}__{spec.name}"
                    self.fields[name] = _detail_field(spec)
                    names.append(name)
                if names:
                    self.detail_groups.append(
                        {"kind": kind, "program": program, "names": names, "id": _slug(kind.code)}
                    )
            kind_groups.append((program.name, options))
        self.fields["kind"].choices = [("", "Choose…"), *kind_groups]
        chosen = self.kinds.get(self["kind"].value() or "")
        if chosen is not None:
            self.fields["quantity"].label = f"{chosen.unit_plural.capitalize()} per attendee"
        else:
            units = "; ".join(f"{k.short}: {k.unit_plural}" for k in self.kinds.values())
            self.fields[
                "quantity"
            ].help_text = f"What one attendee earns, in the unit of the kind of activity ({units})."
        self.chosen_kind = chosen

    @staticmethod
    def initial_for(course: Course) -> dict:
        initial = {
            "program": course.program,
            "kind": course.kind,
            "title": course.title,
            "starts_on": course.starts_on,
            "ends_on": course.ends_on,
            "quantity": course.quantity,
            "course_id": course.course_id,
        }
        for name, value in (course.details or {}).items():
            initial[f"detail__{_slug(course.kind)}__{name}"] = value
        return initial

    def bound_groups(self) -> list[dict]:
        """The kinds' own fields, grouped by kind, the chosen kind first."""
        groups = []
        for group in self.detail_groups:
            chosen = self.chosen_kind is not None and group["kind"].code == self.chosen_kind.code
            groups.append({**group, "fields": [self[n] for n in group["names"]], "chosen": chosen})
        return sorted(groups, key=lambda g: not g["chosen"])

    def values(self) -> dict:
        """What `courses.course_clean` reads: the chosen kind's own fields only."""
        data = self.cleaned_data
        kind_code = data.get("kind", "")
        prefix = f"detail__{_slug(kind_code)}__"
        details = {
            name[len(prefix) :]: value
            for name, value in data.items()
            if name.startswith(prefix) and value not in ("", None)
        }
        return {
            "program": data.get("program"),
            "kind": kind_code,
            "title": data.get("title"),
            "starts_on": data.get("starts_on"),
            "ends_on": data.get("ends_on"),
            "quantity": data.get("quantity"),
            "details": details,
            "course_id": data.get("course_id", ""),
        }

    def apply_errors(self, error: ValidationError) -> None:
        """The service's errors on their fields ("details.<name>" on the chosen kind's field)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        kind_code = self.cleaned_data.get("kind", "")
        for name, messages in error.error_dict.items():
            if name.startswith("details."):
                name = f"detail__{_slug(kind_code)}__{name.removeprefix('details.')}"
            self.add_error(name if name in self.fields else None, messages)


class AttendeeForm(forms.Form):
    """One attendee typed in; a row left wholly blank is ignored."""

    completion_id = forms.CharField(
        label="Your completion id",
        max_length=100,
        required=False,
        help_text="Optional; one is made up when blank.",
    )
    member_number = forms.CharField(label="Member number", max_length=40, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.CharField(
        label="Email", max_length=254, required=False, widget=forms.EmailInput()
    )
    completed_on = forms.DateField(
        label="Completed on", required=False, widget=DATE_WIDGET, help_text="Blank: the last day."
    )
    quantity = forms.DecimalField(
        label="Hours or credits",
        required=False,
        max_digits=8,
        decimal_places=2,
        help_text="Blank: the course's.",
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(data.get(name) not in ("", None) for name in self.fields)

    def attendee(self) -> Attendee:
        data = self.cleaned_data
        return Attendee(
            completion_id=data["completion_id"] or f"form-{secrets.token_hex(6)}",
            last_name=data["last_name"],
            member_number=data["member_number"],
            email=data["email"],
            completed_on=data["completed_on"],
            quantity=data["quantity"],
        )


def attendee_formset(data=None, *, rows: int = 3):
    formset_class = forms.formset_factory(
        AttendeeForm, extra=rows, max_num=50, validate_max=True, absolute_max=50
    )
    return formset_class(data, prefix="attendees")


def filled_rows(formset) -> list[AttendeeForm]:
    return [f for f in formset.forms if f.is_valid() and not f.is_blank()]


def apply_row_errors(formset, rows: list[AttendeeForm], errors: list[RowError]) -> None:
    """`ReportRefused`'s errors on the rows and fields they name (the report as a whole above)."""
    for error in errors:
        if 0 <= error.index < len(rows):
            form = rows[error.index]
            name = error.field if error.field in form.fields else None
            form.add_error(name, error.message)
        else:
            formset.non_form_errors().append(error.message)


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster CSV file",
        help_text=(
            "Columns: completion_id, member_number, last_name, email, completed_on (YYYY-MM-DD), "
            f"quantity; up to {roster.MAX_ATTENDEES:,} rows and "
            f"{roster.MAX_BYTES // (1024 * 1024)} MB, saved as CSV UTF-8."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".txt")):
            raise ValidationError(
                "Upload a .csv file (from your spreadsheet: File › Save As › CSV UTF-8)."
            )
        if upload.size > roster.MAX_BYTES:
            raise ValidationError(
                f"The file is larger than {roster.MAX_BYTES // (1024 * 1024)} MB; split it."
            )
        data = upload.read()
        try:
            self.roster = roster.parse_roster(data)
        except roster.RosterFileError as error:
            raise ValidationError(str(error)) from None
        self.data_bytes = data
        return upload


class RosterDecisionForm(forms.Form):
    """Report every row, or deliberately only the good ones, leaving out the lines listed."""

    decision = forms.ChoiceField(choices=[("all", "all"), ("good", "good")])
    bad_lines = forms.CharField(required=False, widget=forms.HiddenInput())
    leave_out = forms.BooleanField(required=False)

    def lines(self) -> list[int]:
        text = self.cleaned_data.get("bad_lines") or ""
        return [int(n) for n in text.split(",") if n.strip().isdigit()]


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, e.g. “LMS production”.",
    )
