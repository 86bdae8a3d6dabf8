"""Finance staff's forms: a refund (in part, by the payment's method, with its consequence for the
report), an invoice raised by hand, and a deposit of checks."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from members.models import User
from recertification.models import Report

from . import refunds
from .invoices import BILLING_FIELDS
from .models import Invoice, Payment, Refund

DATE = {"type": "date"}


class RefundRequestForm(forms.Form):
    payment = forms.ModelChoiceField(label="Payment", queryset=Payment.objects.none())
    amount = forms.DecimalField(
        label="Amount to refund",
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Up to what is left of the payment.",
    )
    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the history and written in the member's refund receipt.",
    )
    refund_check_number = forms.CharField(
        label="Refund check number",
        max_length=40,
        required=False,
        help_text="A check payment is refunded by check: the number of the check you write.",
    )
    refund_check_date = forms.DateField(
        label="Refund check date",
        required=False,
        widget=forms.DateInput(attrs=DATE),
        help_text="The date on the refund check.",
    )
    consequence = forms.ChoiceField(
        label="What happens to the report", widget=forms.RadioSelect, required=False
    )
    consequence_reason = forms.CharField(
        label="Why the renewal stands",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the report is approved; the member reads it in the receipt.",
    )

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        payments = invoice.payments.filter(status=Payment.Status.CONFIRMED)
        self.fields["payment"].queryset = payments
        self.fields["payment"].label_from_instance = lambda p: (
            f"{p.get_method_display()} {p.check_number or p.stripe_payment_intent_id} – "
            f"{p.amount} {p.currency} ({refunds.refundable(p)} left to refund)"
        )
        # At most one confirmed payment per invoice (one_confirmed_payment_per_invoice).
        only = payments.first()
        if only is not None:
            self.fields["payment"].initial = only
            self.fields["amount"].initial = refunds.refundable(only)
            if only.method == Payment.Method.CARD:
                del self.fields["refund_check_number"], self.fields["refund_check_date"]
        self.report_approved = refunds.report_is_approved(invoice)
        C = Refund.Consequence
        if self.report_approved:
            choices = [(C.RENEWAL_STANDS, "The renewal stands (give the reason below)")]
        elif invoice.report_id:
            choices = [
                (C.NONE, "Nothing changes for the report"),
                (C.PAYMENT_DUE, "The report returns to payment due (only a refund in full: "
                 "a new invoice is issued and emailed)"),
            ]  # fmt: skip
            del self.fields["consequence_reason"]
        else:
            choices = []
            del self.fields["consequence"], self.fields["consequence_reason"]
        if choices:
            self.fields["consequence"].choices = choices
            self.fields["consequence"].initial = choices[0][0] if not self.report_approved else None
        self.needs_approval_above = refunds.FinanceSettings.refund_threshold()

    def clean(self):
        data = super().clean()
        if self.report_approved and data.get("consequence") != Refund.Consequence.RENEWAL_STANDS:
            self.add_error(
                "consequence",
                "The report is approved: confirm that the renewal stands (an approval cannot be "
                "undone safely).",
            )
        if self.report_approved and not (data.get("consequence_reason") or "").strip():
            self.add_error("consequence_reason", "Give the reason the renewal stands.")
        return data


class ManualInvoiceForm(forms.Form):
    member = forms.CharField(
        label="Member number", max_length=12, help_text="The member the invoice is for."
    )
    report = forms.ModelChoiceField(
        label="For the report", queryset=None, required=False, empty_label="No report"
    )
    currency = forms.CharField(label="Currency", max_length=3, initial="USD")
    due_on = forms.DateField(label="Due date", widget=forms.DateInput(attrs=DATE))
    billing_name = forms.CharField(label="Bill to (name)", max_length=300)
    billing_organization = forms.CharField(label="Organization", max_length=150, required=False)
    billing_address = forms.CharField(
        label="Billing address", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    billing_email = forms.EmailField(label="Billing email", required=False)
    reason = forms.CharField(
        label="Note for the history",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, member: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.fields["report"].queryset = (
            Report.objects.filter(member=member) if member else Report.objects.none()
        )
        if member is not None:
            # Chosen on the page before: carried along, not shown again.
            self.fields["member"].initial = member.member_number
            self.fields["member"].widget = forms.HiddenInput()

    def clean_member(self) -> User:
        number = self.cleaned_data["member"].strip()
        member = User.objects.filter(member_number=number).first()
        if member is None:
            raise forms.ValidationError(f"There is no member {number}.")
        return member

    def clean_currency(self) -> str:
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError("Enter a three-letter currency code, e.g. USD.")
        return value

    def billing(self) -> dict[str, str]:
        return {k: self.cleaned_data.get(k) or "" for k in BILLING_FIELDS}


class InvoiceLineForm(forms.Form):
    description = forms.CharField(label="Description", max_length=300, required=False)
    amount = forms.DecimalField(
        label="Amount", max_digits=10, decimal_places=2, required=False, min_value=Decimal("0.01")
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("description")) != (data.get("amount") is not None):
            raise forms.ValidationError("Give each line both a description and an amount.")
        return data


InvoiceLineFormSet = forms.formset_factory(InvoiceLineForm, extra=3, max_num=20)


class DepositForm(forms.Form):
    deposited_on = forms.DateField(
        label="Deposit date", initial=timezone.localdate, widget=forms.DateInput(attrs=DATE)
    )
    reference = forms.CharField(
        label="Deposit slip reference", max_length=100, help_text="As on the bank's deposit slip."
    )


class DepositCheckForm(forms.Form):
    invoice_number = forms.CharField(label="Invoice number", max_length=40, required=False)
    check_number = forms.CharField(label="Check number", max_length=40, required=False)
    check_date = forms.DateField(
        label="Check date", required=False, widget=forms.DateInput(attrs=DATE)
    )
    amount = forms.DecimalField(
        label="Amount", max_digits=10, decimal_places=2, required=False, min_value=Decimal("0.01")
    )

    FIELDS = ("invoice_number", "check_number", "check_date", "amount")

    def clean(self):
        data = super().clean()
        given = [f for f in self.FIELDS if data.get(f) not in (None, "")]
        if given and len(given) != len(self.FIELDS):
            missing = [self.fields[f].label.lower() for f in self.FIELDS if f not in given]
            raise forms.ValidationError("Fill in the whole row: " + ", ".join(missing) + ".")
        return data

    @property
    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(f) not in (None, "") for f in self.FIELDS)


DepositCheckFormSet = forms.formset_factory(DepositCheckForm, extra=5, max_num=200)


class RefundDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[("approve", "Approve and refund now"), ("decline", "Decline")],
    )
    note = forms.CharField(
        label="Why (required to decline)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "decline" and not (data.get("note") or "").strip():
            self.add_error("note", "Give the reason for declining.")
        return data
