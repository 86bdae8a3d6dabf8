"""The triggers of the payments app's tables that change the pages versions (core.pages_version)."""

from django.db import migrations

from core.pages_version import SITE, operation

INVOICE_MEMBER = "(SELECT member_id FROM payments_invoice WHERE id = {row}.invoice_id)"

TRIGGERS = {
    "payments_invoice": "{row}.member_id",
    "payments_invoiceline": INVOICE_MEMBER,
    "payments_payment": INVOICE_MEMBER,
    "payments_refund": (
        "(SELECT i.member_id FROM payments_invoice i JOIN payments_payment p "
        "ON p.invoice_id = i.id WHERE p.id = {row}.payment_id)"
    ),
    "payments_stripecustomer": "{row}.member_id",
    "payments_financesettings": SITE,
    "payments_checkaddress": SITE,
}


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0004_safe_edit_messages"),
        ("members", "0012_pages_version"),
        ("core", "0002_pagesversion"),
    ]

    operations = [operation(TRIGGERS)]
