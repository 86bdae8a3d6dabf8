"""The receipt email: plain text and HTML from templates, with the PDF receipt attached."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from core.site import site_url

from . import pdf
from .models import Payment


def receipt_email(payment: Payment) -> EmailMultiAlternatives:
    invoice = payment.invoice
    context = {
        "payment": payment,
        "invoice": invoice,
        "SITE_NAME": settings.SITE_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "invoice_url": site_url() + reverse("payments:invoice", args=[invoice.number]),
        "transactions_url": site_url() + reverse("payments:transactions"),
    }
    message = EmailMultiAlternatives(
        subject=f"Receipt for invoice {invoice.number}",
        body=render_to_string("payments/email/receipt.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invoice.billing_email or invoice.member.email],
        reply_to=[settings.SUPPORT_EMAIL],
    )
    message.attach_alternative(
        render_to_string("payments/email/receipt.html", context), "text/html"
    )
    message.attach(f"receipt-{invoice.number}.pdf", pdf.receipt_pdf(payment), "application/pdf")
    return message
