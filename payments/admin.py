"""Staff views of invoices, payments and Stripe events: read-only, with a few guarded actions.

Nothing here can delete or edit an invoice or a payment: staff record a check, cancel an invoice
with a reason, or (finance) refund a payment, and each goes through the services, which issue
correction invoices and leave audit records. The one thing staff edit here is where members mail
checks (CheckAddress), with a reason, audited.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin_helpers import AuditedAdminMixin, ReadOnlyAdminMixin, export_listed
from core.formatting import format_date
from members.models import User

from . import checks, deposits, exports, invoices, pdf, refunds, selectors, settlement, webhooks
from . import stripe_gateway as gateway
from .finance_forms import (
    DepositCheckFormSet,
    DepositForm,
    InvoiceLineFormSet,
    ManualInvoiceForm,
    RefundDecisionForm,
    RefundRequestForm,
)
from .forms import CheckAddressForm, CheckPaymentForm, ReasonForm
from .models import (
    CheckAddress,
    FinanceSettings,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
    StripeCustomer,
    StripeEvent,
)


class InvoiceLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InvoiceLine
    fields = ["position", "fee_code", "description", "quantity", "unit_price", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class PaymentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Payment
    fields = [
        "method",
        "status",
        "amount",
        "currency",
        "check_number",
        "check_date",
        "stripe_payment_intent_id",
        "confirmed_at",
        "failure_message",
        "refund_reason",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


def _single(modeladmin, request, queryset: QuerySet, url_name: str):
    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one invoice.", messages.WARNING)
        return None
    return HttpResponseRedirect(reverse(url_name, args=[queryset.get().pk]))


class CsvExportMixin:
    """The list's CSV for the accounts team: "Export these … to CSV" (the rows as filtered and
    searched on screen, every page, at `<list>/export/`) and the bulk action (the ticked rows).
    `export_rows` is the payments.exports function for the model."""

    export_rows: Callable[[QuerySet], HttpResponse]

    @admin.action(description="Export selected %(verbose_name_plural)s to CSV")
    def export_csv(self, request, queryset):
        return self.export_rows(queryset)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return export_listed(self, request, self.export_rows)

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_export"
        export = path("export/", self.admin_site.admin_view(self.export_view), name=name)
        return [export, *super().get_urls()]


def _page(model_admin, request, template: str, **context) -> TemplateResponse:
    """A page of the staff site under the invoices (or the model admin's own list)."""
    context = {**model_admin.admin_site.each_context(request), "opts": Invoice._meta} | context
    return TemplateResponse(request, template, context)


@admin.register(Invoice)
class InvoiceAdmin(CsvExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "billing_name",
        "member_number",
        "kind",
        "status",
        "total",
        "currency",
        "issued_on",
        "due_on",
    ]
    list_filter = ["status", "kind", "currency", "issued_on"]
    search_fields = [
        "number",
        "billing_name",
        "member__first_name",
        "member__last_name",
        "member__email",
        "member__member_number",
    ]
    list_select_related = ["member"]
    date_hierarchy = "issued_on"
    ordering = ["-issued_on", "-counter"]
    inlines = [InvoiceLineInline, PaymentInline]
    readonly_fields = ["documents"]
    fields = [
        "number",
        "documents",
        "member",
        "report",
        "kind",
        "status",
        "description",
        "total",
        "currency",
        "issued_on",
        "payable_from",
        "due_on",
        "on_time_until",
        "paid_at",
        "cancelled_at",
        "cancels",
        "reason",
        "billing_name",
        "billing_organization",
        "billing_address",
        "billing_email",
        "member_number",
    ]
    change_form_template = "payments/admin/invoice_change_form.html"
    export_rows = staticmethod(exports.invoices_csv)
    actions = ["record_check_payment", "cancel_invoice", "refund_payment", "export_csv"]

    @admin.display(description="PDF")
    def documents(self, invoice: Invoice) -> str:
        if invoice.pk is None:
            return "–"
        links = [(reverse("admin:payments_invoice_pdf", args=[invoice.pk]), "Invoice PDF")]
        if selectors.receipt_payment(invoice) is not None:
            links.append(
                (reverse("admin:payments_invoice_receipt", args=[invoice.pk]), "Receipt PDF")
            )
        return format_html(
            " · ".join(['<a href="{}">{}</a>'] * len(links)),
            *[part for link in links for part in link],
        )

    # --- actions: each opens the form for one invoice -------------------------------------

    @admin.action(description="Record check payment")
    def record_check_payment(self, request, queryset):
        return _single(self, request, queryset, "admin:payments_invoice_record_check")

    @admin.action(description="Cancel with reason (issues a correction invoice)")
    def cancel_invoice(self, request, queryset):
        return _single(self, request, queryset, "admin:payments_invoice_cancel")

    @admin.action(description="Refund payment (finance)")
    def refund_payment(self, request, queryset):
        return _single(self, request, queryset, "admin:payments_invoice_refund")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/pdf/", wrap(self.pdf_view), name="payments_invoice_pdf"),
            path("<int:pk>/receipt/", wrap(self.receipt_view), name="payments_invoice_receipt"),
            path(
                "<int:pk>/record-check/",
                wrap(self.record_check_view),
                name="payments_invoice_record_check",
            ),
            path("<int:pk>/cancel/", wrap(self.cancel_view), name="payments_invoice_cancel"),
            path("<int:pk>/refund/", wrap(self.refund_view), name="payments_invoice_refund"),
            path("new/", wrap(self.manual_invoice_view), name="payments_invoice_manual"),
            path("deposit/", wrap(self.deposit_view), name="payments_invoice_deposit"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = self.get_object(request, object_id)
        extra = extra_context or {}
        if invoice is not None:
            extra |= {
                "can_record_check": invoice.is_open
                and not invoice.is_correction
                and request.user.has_perm("payments.add_payment"),
                "can_cancel": invoice.is_open
                and not invoice.is_correction
                and request.user.has_perm("payments.change_invoice"),
                "can_refund": invoice.status == Invoice.Status.PAID
                and not invoice.is_correction
                and refunds.can_refund(request.user),
            }
        return super().change_view(request, object_id, form_url, extra)

    # --- views --------------------------------------------------------------------------------

    def _invoice(self, request, pk: int) -> Invoice:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            Invoice.objects.select_related("member", "cancels", "report"), pk=pk
        )

    def _form_page(self, request, invoice, form, title: str, submit: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "invoice": invoice,
            "form": form,
            "submit_label": submit,
        }
        return TemplateResponse(request, "payments/admin/form.html", context)

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(request, pk)
        response = HttpResponse(pdf.invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
        return response

    def receipt_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(request, pk)
        payment = selectors.receipt_payment(invoice)
        if payment is None:
            self.message_user(request, "This invoice has no payment yet.", messages.WARNING)
            return redirect("admin:payments_invoice_change", pk)
        response = HttpResponse(pdf.receipt_pdf(payment), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="receipt-{invoice.number}.pdf"'
        return response

    def record_check_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(request, pk)
        return record_check(self, request, invoice)

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(request, pk)
        if not request.user.has_perm("payments.change_invoice"):
            raise PermissionDenied
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                correction = settlement.invoice_cancel(
                    invoice=invoice, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except invoices.PaymentError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    f"Invoice {invoice.number} is cancelled by correction {correction.number}.",
                    messages.SUCCESS,
                )
                return redirect("admin:payments_invoice_change", correction.pk)
        return self._form_page(
            request, invoice, form, f"Cancel invoice {invoice.number}", "Cancel invoice"
        )

    def changelist_view(self, request, extra_context=None):
        extra = (extra_context or {}) | {
            "can_raise_invoice": request.user.has_perm("payments.add_invoice"),
            "can_deposit": request.user.has_perm("payments.add_payment"),
        }
        return super().changelist_view(request, extra)

    def manual_invoice_view(self, request: HttpRequest) -> HttpResponse:
        """Finance raises an invoice by hand: lines, currency, due date, the billing details
        (from the member's profile, editable), optionally for one of the member's reports."""
        if not request.user.has_perm("payments.add_invoice"):
            raise PermissionDenied
        number = (request.GET.get("member") or request.POST.get("member") or "").strip()
        member = User.objects.filter(member_number=number).first() if number else None
        initial = {"due_on": timezone.localdate() + invoices.PAYMENT_TERM}
        if member is not None:
            initial |= invoices.billing_details(member)
        form = ManualInvoiceForm(request.POST or None, member=member, initial=initial)
        lines = InvoiceLineFormSet(request.POST or None, prefix="lines")
        if request.method == "POST" and form.is_valid() and lines.is_valid():
            data = form.cleaned_data
            entered = [
                (line["description"], line["amount"])
                for line in lines.cleaned_data
                if line.get("description")
            ]
            try:
                invoice = invoices.invoice_issue_manual(
                    member=data["member"],
                    lines=entered,
                    currency=data["currency"],
                    due_on=data["due_on"],
                    billing=form.billing(),
                    report=data["report"],
                    reason=data["reason"],
                    actor=request.user,
                )
            except invoices.PaymentError as exc:
                form.add_error(None, str(exc))
            except IntegrityError:
                form.add_error(None, "The report has a live invoice already.")
            else:
                self.message_user(
                    request,
                    f"Invoice {invoice.number} for {invoice.total} {invoice.currency} issued to "
                    f"{invoice.billing_name}; the member is emailed it.",
                    messages.SUCCESS,
                )
                return redirect("admin:payments_invoice_change", invoice.pk)
        return _page(
            self,
            request,
            "admin/payments/manual_invoice.html",
            title="Raise an invoice",
            form=form,
            lines=lines,
            member=member,
            submit_label="Issue invoice",
        )

    def deposit_view(self, request: HttpRequest) -> HttpResponse:
        return deposit(self, request)

    def refund_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A refund, in part or in full, by the payment's method; its consequence for the report."""
        invoice = self._invoice(request, pk)
        if not refunds.can_refund(request.user):
            raise PermissionDenied
        form = RefundRequestForm(request.POST or None, invoice=invoice)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                refund = refunds.refund_request(
                    payment=data["payment"],
                    actor=request.user,
                    amount=data["amount"],
                    reason=data["reason"],
                    check_number=data.get("refund_check_number") or "",
                    check_date=data.get("refund_check_date"),
                    consequence=data.get("consequence") or "",
                    consequence_reason=data.get("consequence_reason") or "",
                )
            except (invoices.PaymentError, gateway.GatewayError) as exc:
                form.add_error(None, getattr(exc, "user_message", None) or str(exc))
            else:
                if refund.status == Refund.Status.REQUESTED:
                    self.message_user(
                        request,
                        f"Refund of {refund.amount} {refund.currency} requested: another finance "
                        "user must approve it (Payments › Refunds).",
                        messages.WARNING,
                    )
                    return redirect("admin:payments_invoice_change", invoice.pk)
                self.message_user(request, _refund_done_message(refund, invoice), messages.SUCCESS)
                target = refund.correction_id or invoice.pk
                return redirect("admin:payments_invoice_change", target)
        return _page(
            self,
            request,
            "admin/payments/refund_form.html",
            title=f"Refund a payment of invoice {invoice.number}",
            invoice=invoice,
            form=form,
            submit_label="Refund",
            report_approved=form.report_approved,
            approval_above=form.needs_approval_above,
        )


def _refund_done_message(refund: Refund, invoice: Invoice) -> str:
    text = f"Refunded {refund.amount} {refund.currency} by {refund.method_text}."
    if refund.correction_id:
        text += f" Invoice {invoice.number} is cancelled by correction {refund.correction.number}."
    if refund.consequence == Refund.Consequence.RENEWAL_STANDS:
        text += " The renewal stands."
    elif refund.consequence == Refund.Consequence.PAYMENT_DUE:
        text += " The report is back to payment due with a new invoice."
    return text + " The member's refund receipt is on its way."


def record_check(model_admin, request: HttpRequest, invoice: Invoice | None) -> HttpResponse:
    """The one form for recording a check, from an invoice or from the payments list."""
    if not request.user.has_perm("payments.add_payment"):
        raise PermissionDenied
    form = CheckPaymentForm(request.POST or None, invoice=invoice)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = checks.payment_record_check(
                invoice=form.invoice,
                number=data["check_number"],
                check_date=data["check_date"],
                amount=data["amount"],
                received_on=data["received_on"],
                actor=request.user,
            )
        except checks.CheckDateError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except invoices.PaymentError as exc:
            form.add_error(None, str(exc))
        else:
            model_admin.message_user(
                request,
                f"Check {payment.check_number} recorded; invoice {payment.invoice.number} is paid.",
                messages.SUCCESS,
            )
            if checks.check_is_postdated(payment.check_date):
                model_admin.message_user(
                    request,
                    f"Check {payment.check_number} is post-dated to "
                    f"{format_date(payment.check_date)}: deposit it on or after that day.",
                    messages.WARNING,
                )
            return redirect("admin:payments_invoice_change", payment.invoice_id)
    title = f"Record a check for invoice {invoice.number}" if invoice else "Record a check"
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Invoice._meta,
        "title": title,
        "invoice": invoice,
        "form": form,
        "submit_label": "Record check",
    }
    return TemplateResponse(request, "payments/admin/form.html", context)


@admin.register(Payment)
class PaymentAdmin(CsvExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "invoice",
        "method",
        "status",
        "amount",
        "currency",
        "check_number",
        "stripe_payment_intent_id",
        "created_at",
        "confirmed_at",
    ]
    list_filter = ["method", "status", "currency"]
    search_fields = [
        "invoice__number",
        "check_number",
        "stripe_payment_intent_id",
        "invoice__member__last_name",
        "invoice__member__email",
        "invoice__member__member_number",
    ]
    list_select_related = ["invoice"]
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        # "Add" is recording a check, through the service (see add_view).
        return request.user.has_perm("payments.add_payment")

    def add_view(self, request, form_url="", extra_context=None):
        return record_check(self, request, None)

    actions = ["export_csv"]
    export_rows = staticmethod(exports.payments_csv)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["event_id", "type", "status", "attempts", "received_at", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["event_id", "type", "error"]
    ordering = ["-received_at"]
    actions = ["process_again"]

    @admin.action(description="Process failed events again")
    def process_again(self, request, queryset):
        if not request.user.has_perm("payments.change_payment"):
            raise PermissionDenied
        done = 0
        for row in queryset.filter(status=StripeEvent.Status.FAILED):
            row = webhooks.stripe_event_process(event=row.payload)
            done += row.status != StripeEvent.Status.FAILED
        self.message_user(request, f"{done} event(s) processed.", messages.INFO)


@admin.register(StripeCustomer)
class StripeCustomerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["member", "customer_id", "created_at"]
    search_fields = ["customer_id", "member__email", "member__member_number"]
    list_select_related = ["member"]


@admin.register(CheckAddress)
class CheckAddressAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Where members mail checks, and the payee: finance and administrators, with a reason."""

    form = CheckAddressForm
    fields = ["program", "payee", "mailing_address"]
    list_display = ["program_name", "payee", "first_line", "updated_at"]
    ordering = ["program"]

    @admin.display(description="program", ordering="program")
    def program_name(self, obj: CheckAddress) -> str:
        return obj.get_program_display() if obj.program else "Every program (default)"

    @admin.display(description="mail checks to")
    def first_line(self, obj: CheckAddress) -> str:
        return ", ".join(obj.address_lines)

    def get_readonly_fields(self, request, obj=None):
        # A row stays the address of its program; another program gets a row of its own.
        return ["program"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def audit_member(self, obj):
        return None


# --- refunds, finance settings ------------------------------------------------------------------


@admin.register(Refund)
class RefundAdmin(CsvExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every refund; those waiting for a second approver are approved or declined here."""

    list_display = [
        "id",
        "invoice_number",
        "amount",
        "currency",
        "method",
        "status",
        "consequence",
        "requested_by",
        "approved_by",
        "requested_at",
        "refunded_at",
    ]
    list_filter = ["status", "method", "consequence", "currency", "requested_at"]
    search_fields = ["payment__invoice__number", "check_number", "stripe_refund_id"]
    list_select_related = ["payment__invoice", "requested_by", "approved_by"]
    ordering = ["-requested_at"]
    actions = ["approve_refunds", "export_csv"]
    export_rows = staticmethod(exports.refunds_csv)

    @admin.display(description="invoice", ordering="payment__invoice__number")
    def invoice_number(self, refund: Refund) -> str:
        return refund.payment.invoice.number

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name="payments_refund_approve"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        refund = self.get_object(request, object_id)
        extra = extra_context or {}
        if refund is not None:
            extra["can_approve"] = (
                refund.status == Refund.Status.REQUESTED
                and refunds.can_refund(request.user)
                and refund.requested_by_id != request.user.pk
            )
        return super().change_view(request, object_id, form_url, extra)

    @admin.action(description="Approve the selected refund (a second finance user)")
    def approve_refunds(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one refund.", messages.WARNING)
            return None
        return HttpResponseRedirect(
            reverse("admin:payments_refund_approve", args=[queryset.get().pk])
        )

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not refunds.can_refund(request.user):
            raise PermissionDenied
        refund = get_object_or_404(
            Refund.objects.select_related("payment__invoice", "requested_by"), pk=pk
        )
        form = RefundDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                if form.cleaned_data["decision"] == "approve":
                    refunds.refund_approve(refund=refund, actor=request.user)
                    text = f"Refund of {refund.amount} {refund.currency} approved and carried out."
                else:
                    refunds.refund_decline(
                        refund=refund, actor=request.user, reason=form.cleaned_data["note"]
                    )
                    text = "Refund declined."
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            except (invoices.PaymentError, gateway.GatewayError) as exc:
                form.add_error(None, getattr(exc, "user_message", None) or str(exc))
            else:
                self.message_user(request, text, messages.SUCCESS)
                return redirect("admin:payments_refund_changelist")
        return _page(
            self,
            request,
            "admin/payments/refund_approve.html",
            opts=self.model._meta,
            title=f"Approve a refund of invoice {refund.payment.invoice.number}",
            invoice=refund.payment.invoice,
            refund=refund,
            form=form,
            submit_label="Save decision",
        )


@admin.register(FinanceSettings)
class FinanceSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The amount above which a refund needs a second finance user (one row, with a reason)."""

    fields = ["refund_approval_above"]
    list_display = ["__str__", "refund_approval_above", "updated_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request) and not FinanceSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def audit_member(self, obj):
        return None


def deposit(model_admin, request: HttpRequest) -> HttpResponse:
    """A deposit slip: many checks in one form, validated row by row, recorded all or nothing."""
    if not request.user.has_perm("payments.add_payment"):
        raise PermissionDenied
    form = DepositForm(request.POST or None)
    rows = DepositCheckFormSet(request.POST or None, prefix="checks")
    problems: dict[int, str] = {}
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        entered = [
            deposits.DepositRow(
                row=n,
                invoice_number=row.cleaned_data["invoice_number"],
                check_number=row.cleaned_data["check_number"],
                check_date=row.cleaned_data["check_date"],
                amount=row.cleaned_data["amount"],
            )
            for n, row in enumerate(rows.forms, start=1)
            if not row.is_blank
        ]
        try:
            recorded = deposits.deposit_record(
                reference=form.cleaned_data["reference"],
                deposited_on=form.cleaned_data["deposited_on"],
                rows=entered,
                actor=request.user,
            )
        except deposits.DepositError as exc:
            problems = exc.problems
            form.add_error(None, "Nothing was recorded. Correct the rows marked below.")
        except invoices.PaymentError as exc:
            form.add_error(None, str(exc))
        else:
            model_admin.message_user(
                request,
                f"Deposit {recorded.reference}: {recorded.checks} check(s), {recorded.total} "
                f"{recorded.currency} recorded; each invoice is paid.",
                messages.SUCCESS,
            )
            return redirect("admin:payments_invoice_changelist")
    return _page(
        model_admin,
        request,
        "admin/payments/deposit.html",
        title="Enter a deposit of checks",
        form=form,
        rows=[(n, row, problems.get(n, "")) for n, row in enumerate(rows.forms, start=1)],
        formset=rows,
        submit_label="Record deposit",
    )
