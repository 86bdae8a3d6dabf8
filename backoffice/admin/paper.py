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


class PaperEntryForm(forms.Form):
    """One activity from the paper report; any kind of the program, checked by the rules engine."""

    kind = forms.ChoiceField(required=False)
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    year = forms.IntegerField(required=False, min_value=1950, max_value=2100)
    quantity = forms.DecimalField(
        required=False, max_digits=8, decimal_places=2, min_value=Decimal("0.01")
    )
    organization = forms.CharField(required=False, max_length=150)
    group = forms.CharField(required=False, max_length=150)
    approved = forms.BooleanField(required=False)
    title = forms.CharField(required=False, max_length=150, label="Title or description")

    def __init__(self, *args, program: rules.Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.entry: PaperEntry | None = None
        self.fields["kind"].choices = [("", "---------")] + [
            (category.label, [(k.code, k.short) for k in program.entry_kinds(category.code)])
            for category in program.categories
            if program.entry_kinds(category.code)
        ]

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
            self.add_error(period, f"{kind.short} needs a {period}.")
        values[period] = data.get(period)
        for name in ("organization", "group"):
            values[name] = (data.get(name) or "").strip() if name in asks else ""
            if name in kind.requires and not values[name]:
                self.add_error(name, f"{kind.short} needs the {name}.")
        values["approved"] = bool(data.get("approved")) if "approved" in asks else False
        if kind.fixed_quantity is not None:
            values["quantity"] = kind.fixed_quantity
        elif data.get("quantity") is None:
            self.add_error("quantity", f"Enter the {kind.quantity_label.lower()}.")
        else:
            values["quantity"] = data["quantity"]
        if self.errors:
            return data
        try:
            rules.check_activity(self.program, rules.Activity(**values))
        except ValueError as error:
            raise ValidationError(str(error)) from None
        title = (data.get("title") or "").strip()
        self.entry = PaperEntry(values=values, details={"title": title} if title else {})
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
