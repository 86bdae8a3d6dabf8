from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("transactions/", views.transactions, name="transactions"),
    path("transactions/invoices/<str:number>/", views.invoice_detail, name="invoice"),
    path("transactions/invoices/<str:number>/invoice.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("transactions/invoices/<str:number>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("transactions/invoices/<str:number>/pay/", views.pay, name="pay"),
    path("transactions/invoices/<str:number>/pay/return/", views.pay_return, name="pay_return"),
    path("payments/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
