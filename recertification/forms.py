"""Entry forms built from the program declarations: one mechanism for every program and category."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString

from core.formatting import format_date
from members.models import Credential

from . import rules
from .entry_details import UNDECLARED_MAXIMUM, quantity_maximum
from .rules.formatting import count
from .services import shared_report_message, shared_report_note
from .uploads import ACCEPT_ATTRIBUTE, HUMAN_TYPES

YEAR_MIN, YEAR_MAX = 1950, 2100


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by recertification.uploads in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


@dataclass(frozen=True)
class FormGroup:
    """Kinds of one category that share the same fields, so one form serves them all."""

    program: rules.Program
    category: rules.Category
    kinds: tuple[rules.Kind, ...]

    @property
    def key(self) -> str:
        return f"{self.category.code}-{self.kinds[0].code}".replace(".", "-")

    @property
    def fields(self) -> tuple[rules.FieldSpec, ...]:
        return self.kinds[0].fields

    @property
    def uploads(self) -> rules.Uploads:
        return self.kinds[0].uploads


def _signature(kind: rules.Kind) -> tuple:
    # Kinds with different maxima (or units) get forms of their own, so each form's quantity
    # field states and enforces its kind's own limit.
    limit = None if kind.fixed_quantity is not None else (quantity_maximum(kind), kind.unit)
    return (
        tuple((f.name, f.label, f.type, f.required) for f in kind.fields),
        kind.uploads.max_files,
        limit,
    )


def form_groups(program: rules.Program) -> list[FormGroup]:
    """Per category, the kinds a member may enter, grouped by identical fields (in declaration order)."""
    groups: list[FormGroup] = []
    for category in program.categories:
        buckets: dict[tuple, list[rules.Kind]] = {}
        for kind in program.entry_kinds(category.code):
            buckets.setdefault(_signature(kind), []).append(kind)
        for kinds in buckets.values():
            groups.append(FormGroup(program, category, tuple(kinds)))
    return groups


def group_for_kind(program: rules.Program, kind_code: str) -> FormGroup:
    for group in form_groups(program):
        if any(k.code == kind_code for k in group.kinds):
            return group
    raise ValueError(f"{kind_code!r} cannot be entered by members.")


def _year_choices(years: range) -> list[tuple[str, str]]:
    return [("", "Choose a year")] + [(str(y), str(y)) for y in years]


def _quantity_limit(spec: rules.FieldSpec, kind: rules.Kind | None, common: dict) -> Decimal:
    """The most the field accepts: the kind's declared maximum for its quantity, stated in the
    help text and in the message for a larger number."""
    if spec.name != "quantity" or kind is None:
        return UNDECLARED_MAXIMUM
    maximum = quantity_maximum(kind)
    most = count(maximum, kind.unit, kind.unit_plural)
    common["help_text"] = (spec.help_text + " " if spec.help_text else "") + (
        f"At most {most} per entry."
    )
    common["error_messages"] = {
        "max_value": f"One entry claims at most {most} (you entered %(value)s): check the number."
    }
    return maximum


def _django_field(
    spec: rules.FieldSpec, years: range, kind: rules.Kind | None = None
) -> forms.Field:
    """The form field for a declared field; `kind` (any kind of the form's group: they share
    their limits) bounds the quantity."""
    common = {"label": spec.label, "required": spec.required, "help_text": spec.help_text}
    if spec.type in ("text", "url"):
        limit = spec.max_length or 150
        common["help_text"] = (
            spec.help_text + " " if spec.help_text else ""
        ) + f"At most {limit} characters."
        widget_attrs = {"maxlength": limit}
        if spec.type == "url":
            return forms.URLField(
                max_length=limit,
                assume_scheme="https",
                widget=forms.URLInput(attrs=widget_attrs),
                **common,
            )
        return forms.CharField(
            max_length=limit, widget=forms.TextInput(attrs=widget_attrs), **common
        )
    if spec.type == "date":
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common
        )
    if spec.type == "year":
        return forms.TypedChoiceField(choices=_year_choices(years), coerce=int, **common)
    if spec.type == "integer":
        minimum = int(spec.min_value) if spec.min_value is not None else 1
        maximum = int(_quantity_limit(spec, kind, common))
        return forms.IntegerField(min_value=minimum, max_value=maximum, **common)
    if spec.type == "decimal":
        step = spec.step or Decimal("0.01")
        return forms.DecimalField(
            min_value=spec.min_value or step,
            max_value=_quantity_limit(spec, kind, common),
            max_digits=8,
            decimal_places=2,
            widget=forms.NumberInput(attrs={"step": str(step)}),
            **common,
        )
    if spec.type == "bool":
        return forms.TypedChoiceField(
            choices=[("no", "No"), ("yes", "Yes")],
            coerce=lambda v: v == "yes",
            empty_value=False,
            label=spec.label,
            required=False,
            help_text=spec.help_text,
        )
    if spec.type == "choice":
        return forms.ChoiceField(choices=[("", "Choose…"), *spec.choices], **common)
    raise ValueError(f"Unsupported field type {spec.type!r}")


@dataclass(frozen=True)
class CountsToward:
    """A report an entry can count toward, as the member chooses it: the report's credentials.

    IPMA-HR designations (and credentials on different cycles) have a report each, so each is a
    choice of its own. A NAMSS dual certificant's CPCS and CPMSM share one report with one
    requirement: an entry in it counts for both, so they are one choice ("CPCS and CPMSM").
    """

    credentials: tuple[Credential, ...]

    @property
    def value(self) -> str:
        return "+".join(str(c.pk) for c in self.credentials)

    @property
    def designations(self) -> list[str]:
        return [c.designation for c in self.credentials]

    @property
    def shared(self) -> bool:
        """Several credentials on one report: an entry in it counts for all of them."""
        return len(self.credentials) > 1

    @property
    def label(self) -> str:
        names = " and ".join(
            f"{c.designation} (cycle ends {format_date(c.cycle_end)})" for c in self.credentials
        )
        return f"{names}: one report" if self.shared else names


class CountsTowardField(forms.MultipleChoiceField):
    """The "Counts toward" checkboxes: one per report. A credential that shares its report with
    others cannot be chosen alone (a page from before, or a hand-made post): the member is told why.
    """

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, targets: list[CountsToward], **kwargs):
        self.targets = targets
        kwargs.setdefault(
            "error_messages",
            {"required": "Choose at least one certification this activity counts toward."},
        )
        super().__init__(choices=[(t.value, t.label) for t in targets], **kwargs)

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        for item in value:
            if self.valid_value(item):
                continue
            shared = next(
                (t for t in self.targets if item in {str(c.pk) for c in t.credentials}), None
            )
            if shared is not None:
                alone = [c.designation for c in shared.credentials if str(c.pk) == item]
                raise ValidationError(shared_report_message(shared.designations, alone))
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": item},
            )


# The rendered fields of unbound entry forms, which are the same for every member with the same form
# and cycle years: rendering them through crispy-forms field by field was most of the portal page's
# time (docs/performance.md). Keyed by program, form and years; bounded, and per process.
_SHARED_FIELDS_HTML: dict[tuple, SafeString] = {}
SHARED_FIELDS_LIMIT = 256
# Fields that differ between members: rendered for each form, never shared.
MEMBER_FIELDS = ("credentials",)


def _joined(parts) -> SafeString:
    """Safe HTML pieces (crispy-forms' rendered fields) as one; SafeString + SafeString stays safe."""
    html = SafeString()
    for part in parts:
        html += part
    return html


class EntryForm(forms.Form):
    """An entry of one of a form group's kinds, for one or more of the member's open credentials."""

    def __init__(
        self,
        *args,
        group: FormGroup,
        credentials: list[Credential],
        years: range,
        editing: bool = False,
        reports: list[list[Credential]] | None = None,
        counted_in: list[list[Credential]] | None = None,
        **kwargs,
    ):
        """``reports``: the credentials of each report the entry may count toward (by default each
        credential has its own); ``counted_in``: those it counts toward now (editing; default all)."""
        kwargs.setdefault("prefix", group.key)
        super().__init__(*args, **kwargs)
        self.group = group
        self.editing = editing
        self.years = years
        kind_label = group.category.kind_label
        self.fields["kind"] = forms.ChoiceField(
            label=kind_label, choices=[(k.code, k.label) for k in group.kinds]
        )
        if len(group.kinds) == 1:
            self.fields["kind"].initial = group.kinds[0].code
        for spec in group.fields:
            self.fields[spec.name] = _django_field(spec, years, group.kinds[0])
        if group.uploads.max_files:
            self.fields["files"] = MultipleFileField(
                label=group.uploads.label or "Supporting files",
                required=False,
                help_text=f"Up to {count(group.uploads.max_files, 'file', 'files')}: {HUMAN_TYPES}, 10 MB each.",
            )
        groups = reports if reports is not None else [[c] for c in credentials]
        targets = (CountsToward(tuple(sorted(g, key=lambda c: c.designation))) for g in groups if g)
        unique = {t.value: t for t in targets}
        self.targets = sorted(unique.values(), key=lambda t: t.designations)
        self.credential_options = [c for t in self.targets for c in t.credentials]
        if len(self.credential_options) > 1:
            # Choices from the credentials the page read already: a ModelMultipleChoiceField
            # would query them again for every form on the page.
            now = self.targets
            if counted_in is not None:
                linked = [{c.pk for c in g} for g in counted_in]
                now = [t for t in self.targets if {c.pk for c in t.credentials} in linked]
            notes = [shared_report_note(t.designations) for t in self.targets if t.shared]
            if len(self.targets) > 1:
                notes.insert(
                    0, "Enter the activity once; it counts for each certification you tick."
                )
            help_text = " ".join(notes)
            self.fields["credentials"] = CountsTowardField(
                targets=self.targets,
                initial=[t.value for t in now],
                label="Counts toward",
                help_text=help_text,
            )

    def rendered_fields(self) -> SafeString:
        """Every field through crispy-forms' Bootstrap field template, in order.

        An unbound new-entry form shows no values and no errors, so its fields other than the
        member's credentials are rendered once per process and reused; the HTML is the same.
        """
        if self.is_bound or self.editing or self.initial:
            return _joined(as_crispy_field(field) for field in self)
        key = (
            self.group.program.code,
            self.prefix,
            tuple(k.code for k in self.group.kinds),
            self.years.start,
            self.years.stop,
        )
        shared = _SHARED_FIELDS_HTML.get(key)
        if shared is None:
            shared = _joined(as_crispy_field(f) for f in self if f.name not in MEMBER_FIELDS)
            if len(_SHARED_FIELDS_HTML) >= SHARED_FIELDS_LIMIT:
                _SHARED_FIELDS_HTML.clear()
            _SHARED_FIELDS_HTML[key] = shared
        own = _joined(as_crispy_field(self[name]) for name in MEMBER_FIELDS if name in self.fields)
        return shared + own

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t" for ch in value):
                self.add_error(name, "Remove line breaks and control characters.")
        return data

    def chosen_credentials(self) -> list[Credential]:
        if "credentials" in self.fields:
            chosen = set(self.cleaned_data.get("credentials") or [])
            return [c for t in self.targets if t.value in chosen for c in t.credentials]
        return list(self.credential_options)

    def counts_toward_changed(self) -> bool:
        """True when the member changed the reports the entry counts toward (editing)."""
        return "credentials" in self.fields and "credentials" in self.changed_data

    def confirmed_repeat(self) -> int | None:
        """The earlier entry the member confirmed repeating ("Save it again"), as posted.

        Only a claim: the service checks it against the member's entries on every save.
        """
        value = (self.data.get(self.add_prefix("confirm_repeat")) or "").strip()
        return int(value) if value.isdigit() and len(value) < 12 else None

    def scoring_values(self) -> dict:
        data = self.cleaned_data
        kind = self.group.program.kind(data["kind"])
        values: dict = {"kind": kind.code}
        for spec in self.group.fields:
            if spec.scoring:
                values[spec.name] = data.get(spec.name)
        if "quantity" not in values or values["quantity"] is None:
            values["quantity"] = kind.fixed_quantity or Decimal(1)
        if isinstance(values.get("quantity"), int):
            values["quantity"] = Decimal(values["quantity"])
        for name in ("organization", "group"):
            values[name] = (values.get(name) or "").strip()
        values["approved"] = bool(values.get("approved"))
        return values

    def detail_values(self) -> dict:
        data = self.cleaned_data
        return {
            spec.name: (str(data[spec.name]) if data.get(spec.name) not in (None, "") else "")
            for spec in self.group.fields
            if not spec.scoring
        }


def entry_initial(entry) -> dict:
    """An entry's stored values as its EntryForm's initial data, for editing it."""
    initial = {"kind": entry.kind, **entry.details}
    for name in ("date", "year", "quantity", "organization", "group"):
        initial[name] = getattr(entry, name)
    initial["approved"] = "yes" if entry.approved else "no"
    return initial


def entry_edit_form(entry, *, choices: list, years: range, data=None, files=None) -> EntryForm:
    """The EntryForm of an entry's group of kinds, filled in with the entry (bound to ``data``).

    ``choices``: the reports it may count toward (`selectors.entry_report_choices`), those it is
    in marked ``linked``, each with its credentials; ``years``: those a yearly entry may name.
    """
    group = group_for_kind(rules.get_program(entry.program), entry.kind)
    return EntryForm(
        data,
        files,
        group=group,
        credentials=[c for r in choices for c in r.credentials.all()],
        reports=[list(r.credentials.all()) for r in choices],
        counted_in=[list(r.credentials.all()) for r in choices if r.linked],
        years=years,
        editing=True,
        initial=entry_initial(entry),
    )


class SubmissionForm(forms.Form):
    """The seed's Submission form: Agreement (must be selected), Certification, Date Agreed."""

    agreement = forms.ChoiceField(
        label="Agreement (must be selected)", choices=[("", "Choose…"), ("agree", "Agree")]
    )
    report = forms.TypedChoiceField(label="Certification", coerce=int)
    date_agreed = forms.DateField(
        label="Date Agreed", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, reports, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.set_reports(reports)
        self.fields["date_agreed"].initial = today

    def set_reports(self, reports) -> None:
        """The reports offered. A posted form is checked against every report still taking
        changes (the service says what one still needs) and shown again with those ready."""
        self.fields["report"].choices = [("", "Choose…")] + [
            (r.pk, r.designations) for r in reports
        ]
        if len(reports) == 1:
            self.fields["report"].initial = reports[0].pk

    def clean_date_agreed(self):
        value = self.cleaned_data["date_agreed"]
        if value != self.today:
            raise ValidationError(f"Enter today's date ({format_date(self.today)}).")
        return value
