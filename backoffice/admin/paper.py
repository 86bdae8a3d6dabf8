"""Lapsed credentials: the paper Recertification Report staff record from the member's form.

Opened from a credential's page (backoffice/admin/members.py); previews the total with the rules
engine and records through `backoffice.paper.paper_report_record`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from core.admin_helpers import reason_field
from members.models import Credential
from recertification import rules
from recertification.entry_details import quantity_problem, text_detail_fields

from ..paper import (
    CheckReceived,
    PaperEntry,
    invoice_settled_note,
    paper_cycle_invoice,
    paper_cycle_report,
    paper_fees,
    paper_report_blocker,
    paper_report_preview,
    paper_report_record,
)


def _entry_kinds(program: rules.Program) -> list[rules.Kind]:
    return [k for c in program.categories for k in program.entry_kinds(c.code)]


def _one_label(labels: list[str], default: str) -> str:
    """The label the kinds share, else their labels in declared order (at most three)."""
    ordered = list(dict.fromkeys(labels))
    if not ordered:
        return default
    return " / ".join(ordered[:3]) if len(ordered) > 1 else ordered[0]


def paper_columns(program: rules.Program) -> list[tuple[str, str]]:
    """The paper form's columns for this program: only the fields its kinds ask for, with the
    labels the declaration gives them (e.g. "Sponsor" for IPMA-HR, "NAMSS approved" for NAMSS)."""
    kinds = _entry_kinds(program)

    def labels(name: str) -> list[str]:
        return [spec.label for k in kinds for spec in k.fields if spec.name == name]

    columns = [("kind", "Kind")]
    if any(k.period == "dated" for k in kinds):
        columns.append(("date", "Date"))
    if any(k.period != "dated" for k in kinds):
        columns.append(("year", "Year"))
    variable = [k for k in kinds if k.fixed_quantity is None]
    if variable:
        columns.append(("quantity", _one_label([k.quantity_label for k in variable], "Quantity")))
    for name, default in (("organization", "Organization"), ("group", "Group")):
        if labels(name):
            columns.append((name, _one_label(labels(name), default)))
    if labels("approved"):
        columns.append(("approved", _one_label(labels("approved"), "Approved")))
    details = [text_detail_fields(k) for k in kinds]
    firsts = [d[0].label for d in details if d]
    seconds = [d[1].label for d in details if len(d) > 1]
    if firsts:
        columns.append(("title", _one_label(firsts, "Title")))
    if seconds:
        columns.append(("source", _one_label(seconds, "Source")))
    return columns


class PaperEntryForm(forms.Form):
    """One activity from the paper report; any kind of the program, held to the kind's limits.

    Only the columns the program uses are fields (`paper_columns`); the title and source columns
    are the kind's first and second text details (Title and Sponsor, Activity title and
    Provider...), kept under the declaration's field names."""

    kind = forms.ChoiceField(required=False)
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    year = forms.IntegerField(required=False, min_value=1950, max_value=2100)
    quantity = forms.DecimalField(
        required=False, max_digits=8, decimal_places=2, min_value=Decimal("0.01")
    )
    organization = forms.CharField(required=False, max_length=150)
    group = forms.CharField(required=False, max_length=150)
    approved = forms.BooleanField(required=False)
    title = forms.CharField(required=False, max_length=150)
    source = forms.CharField(required=False, max_length=150)

    def __init__(self, *args, program: rules.Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.entry: PaperEntry | None = None
        self.columns = paper_columns(program)
        used = dict(self.columns)
        for name in list(self.fields):
            if name not in used:
                del self.fields[name]
            else:
                self.fields[name].label = used[name]
        if "quantity" in self.fields:
            self.fields["quantity"].widget.attrs.update({"min": "0", "step": "any"})
        self.fields["kind"].choices = [("", "---------")] + [
            (category.label, [(k.code, k.short) for k in program.entry_kinds(category.code)])
            for category in program.categories
            if program.entry_kinds(category.code)
        ]

    @property
    def cells(self) -> list:
        """The row's bound fields in column order."""
        return [self[name] for name, _ in self.columns]

    def _details(self, kind: rules.Kind, data: dict) -> dict[str, str]:
        slots = text_detail_fields(kind)
        details = {}
        for position, name in enumerate(("title", "source")):
            value = (data.get(name) or "").strip()
            if not value:
                continue
            if position < len(slots):
                details[slots[position].name] = value
            else:
                self.add_error(name, f"{kind.short} does not ask for {self.fields[name].label}.")
        return details

    def clean(self):
        data = super().clean()
        code = data.get("kind")
        if not code:
            if self.has_changed():
                raise ValidationError("Choose the kind of activity.")
            return data
        kind = self.program.kind(code)
        asks = {f.name for f in kind.fields}
        values: dict[str, Any] = {"kind": code, "date": None, "year": None}
        period = "date" if kind.period == "dated" else "year"
        if data.get(period) is None:
            self.add_error(
                period if period in self.fields else None, f"{kind.short} needs a {period}."
            )
        values[period] = data.get(period)
        for name in ("organization", "group"):
            values[name] = (data.get(name) or "").strip() if name in asks else ""
            if name in kind.requires and not values[name]:
                self.add_error(
                    name if name in self.fields else None,
                    f"{kind.short} needs the {dict(self.columns).get(name, name).lower()}.",
                )
        values["approved"] = bool(data.get("approved")) if "approved" in asks else False
        if kind.fixed_quantity is not None:
            values["quantity"] = kind.fixed_quantity
        elif data.get("quantity") is None:
            self.add_error("quantity", f"Enter the {kind.quantity_label.lower()}.")
        else:
            values["quantity"] = data["quantity"]
            problem = quantity_problem(kind, data["quantity"])
            if problem:
                self.add_error("quantity", problem)
        details = self._details(kind, data)
        if self.errors:
            return data
        try:
            rules.check_activity(self.program, rules.Activity(**values))
        except ValueError as error:
            raise ValidationError(str(error)) from None
        self.entry = PaperEntry(values=values, details=details)
        return data


class PaperReportForm(forms.Form):
    signed_on = forms.DateField(
        label="Date signed on the report",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    scanned_file = forms.FileField(
        label="Scanned paper report",
        required=False,
        help_text="PDF, Word, PNG or JPEG. Needed to record the report (choose it again after a "
        "preview: browsers do not keep a chosen file).",
    )
    reason = reason_field(required=False)
    check_number = forms.CharField(required=False, max_length=40)
    check_date = forms.DateField(
        required=False, label="Date on the check", widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.DecimalField(
        required=False, max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    received_on = forms.DateField(
        required=False,
        label="Date received",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    PAYMENT = ("check_number", "check_date", "amount", "received_on")

    def clean_signed_on(self):
        signed_on = self.cleaned_data["signed_on"]
        if signed_on > timezone.localdate():
            raise forms.ValidationError(
                "This date is in the future: enter the date written on the signed report "
                "(today at the latest)."
            )
        return signed_on

    def __init__(self, *args, can_pay: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_pay:
            # Recording money is finance's: without it, the invoice stays open for finance.
            for name in self.PAYMENT:
                del self.fields[name]

    def clean(self):
        data = super().clean()
        given = [n for n in ("check_number", "check_date", "amount") if data.get(n)]
        if given and len(given) < 3:
            for name in ("check_number", "check_date", "amount"):
                if not data.get(name):
                    self.add_error(name, "Enter the check number, its date and the amount.")
        return data

    @property
    def check(self) -> CheckReceived | None:
        data = self.cleaned_data
        if not data.get("check_number"):
            return None
        return CheckReceived(
            number=data["check_number"].strip(),
            check_date=data["check_date"],
            amount=data["amount"],
            received_on=data.get("received_on"),
        )


PaperEntryFormSet = forms.formset_factory(PaperEntryForm, extra=8, max_num=200, absolute_max=200)


def _paper_submit(request, credential, form, formset, can_pay):
    """Preview (always) and record (on "Record paper report"); returns preview, row errors, report."""
    if not (form.is_valid() and formset.is_valid()):
        return None, [], None
    entries = [f.entry for f in formset.forms if f.entry is not None]
    preview, row_errors = paper_report_preview(credential=credential, entries=entries)
    if "_save" not in request.POST or row_errors:
        return preview, row_errors, None
    if not entries:
        form.add_error(None, "Enter the activities listed on the paper report.")
    elif not form.cleaned_data.get("scanned_file"):
        form.add_error("scanned_file", "Upload the scanned paper report.")
    else:
        try:
            report = paper_report_record(
                credential=credential,
                entries=entries,
                scanned_file=form.cleaned_data["scanned_file"],
                signed_on=form.cleaned_data["signed_on"],
                reason=form.cleaned_data.get("reason", ""),
                check=form.check if can_pay else None,
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            return preview, row_errors, report
    return preview, row_errors, None


def paper_report_view(model_admin, request: HttpRequest, credential: Credential) -> HttpResponse:
    """Record a lapsed credential's paper report: entries, scan, check; Preview shows the total."""
    program = rules.get_program(credential.program)
    blocker = paper_report_blocker(credential)
    online_invoice = paper_cycle_invoice(credential)
    data = request.POST.copy() if request.method == "POST" else None
    # The check fields are offered while there is something to pay. A check posted against an
    # invoice the member paid meanwhile is refused by the service, with the reason on the form.
    can_pay = request.user.has_perm("payments.add_payment") and (
        online_invoice is None
        or online_invoice.is_open
        or any((data or {}).get(name) for name in PaperReportForm.PAYMENT[:3])
    )
    if data is not None and "_more" in data:
        try:
            total = max(int(data.get("entries-TOTAL_FORMS") or 0), 0)
        except ValueError:  # a crafted form count: start again from the rows shown
            total = 0
        data["entries-TOTAL_FORMS"] = str(min(total + 5, 200))
    form = PaperReportForm(data, request.FILES or None, can_pay=can_pay)
    formset = PaperEntryFormSet(data, prefix="entries", form_kwargs={"program": program})
    preview, row_errors = None, []
    if data is not None and not blocker and "_more" not in data:
        preview, row_errors, report = _paper_submit(request, credential, form, formset, can_pay)
        if report is not None:
            model_admin.message_user(
                request,
                f"Paper report {report.pk} recorded ({report.get_status_display()}). "
                "Approve it to reinstate the credential.",
                messages.SUCCESS,
            )
            return redirect("admin:recertification_report_change", report.pk)
    fees, currency = paper_fees(credential.program, reinstating=True)
    return TemplateResponse(
        request,
        "admin/members/credential/paper_report.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": f"Paper Recertification Report: {credential.designation}, "
            f"{credential.holder.display_name}",
            "credential": credential,
            "program": program,
            "blocker": blocker,
            "form": form,
            "formset": formset,
            "preview": preview,
            "subtotals": rules.progress(program, preview.result) if preview else [],
            "columns": paper_columns(program),
            "quantity_units": sorted(
                {k.unit_plural for k in _entry_kinds(program) if k.fixed_quantity is None}
            ),
            "row_errors": row_errors,
            "fees": fees,
            "fees_total": sum((amount for _, amount in fees), Decimal("0")),
            "currency": currency,
            "can_pay": can_pay,
            "existing_report": paper_cycle_report(credential),
            "online_invoice": online_invoice,
            "online_invoice_note": (
                invoice_settled_note(online_invoice)
                if online_invoice is not None and not online_invoice.is_open
                else ""
            ),
            "may_record_payments": request.user.has_perm("payments.add_payment"),
            "automatic_points_from_records": any(kind.auto_from for kind in program.kinds),
        },
    )
