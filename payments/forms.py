"""Staff forms: recording a check, cancelling an invoice, refunding a payment, the check address."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from members.models import program_choices

from .models import CheckAddress, Invoice, Payment, tidy_address


class CheckPaymentForm(forms.Form):
    invoice_number = forms.CharField(
        label="Invoice number", max_length=40, help_text="As written on the check or its stub."
    )
    check_number = forms.CharField(label="Check number", max_length=40)
    check_date = forms.DateField(
        label="Date on the check",
        help_text="NAMSS: a check dated on or before the deadline is on time.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    amount = forms.DecimalField(
        label="Amount", max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    received_on = forms.DateField(
        label="Date received",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, invoice: Invoice | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        if invoice is not None:
            self.fields["invoice_number"].initial = invoice.number
            self.fields["invoice_number"].disabled = True
            self.fields["amount"].initial = invoice.total

    def clean_invoice_number(self) -> str:
        number = self.cleaned_data["invoice_number"].strip()
        try:
            self.invoice = Invoice.objects.get(number__iexact=number)
        except Invoice.DoesNotExist:
            raise forms.ValidationError(f"There is no invoice {number}.") from None
        return self.invoice.number


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Kept in the audit history and printed on the correction invoice.",
    )


class RefundForm(ReasonForm):
    payment = forms.ModelChoiceField(label="Payment", queryset=Payment.objects.none())

    field_order = ["payment", "reason"]

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        payments = invoice.payments.filter(status=Payment.Status.CONFIRMED)
        self.fields["payment"].queryset = payments
        self.fields["payment"].label_from_instance = lambda p: (
            f"{p.get_method_display()} {p.check_number or p.stripe_payment_intent_id} – "
            f"{p.amount} {p.currency}"
        )
        if payments.count() == 1:
            self.fields["payment"].initial = payments.first()


class CheckAddressForm(forms.ModelForm):
    """The payee and the mailing address for checks; tidied, then checked by the model's rules."""

    class Meta:
        model = CheckAddress
        fields = ["program", "payee", "mailing_address"]
        error_messages = {
            "payee": {"required": "Enter whom checks are made payable to."},
            "mailing_address": {"required": "Enter the mailing address for checks."},
        }
        widgets = {"mailing_address": forms.Textarea(attrs={"rows": 5, "cols": 50})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "program" in self.fields:
            self.fields["program"].choices = [
                ("", "Every program without an address of its own"),
                *program_choices(),
            ]

    def clean_payee(self) -> str:
        return self.cleaned_data["payee"].strip()

    def clean_mailing_address(self) -> str:
        return tidy_address(self.cleaned_data["mailing_address"])
