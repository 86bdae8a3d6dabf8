from django.urls import path

from . import personal_data, views

app_name = "lifecycle"

# Under /profile/, beside the members app's pages.
urlpatterns = [
    path("my-data.zip", personal_data.my_data, name="my_data"),
    path("certificates/", views.certificates, name="certificates"),
    path("certificates/<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/<int:pk>/badge.json", views.certificate_badge, name="certificate_badge"),
    path("extension/", views.extension, name="extension"),
    path(
        "extension/<int:report>/withdraw/",
        views.extension_withdraw_view,
        name="extension_withdraw",
    ),
    path("reinstatement/", views.reinstatement, name="reinstatement"),
    path(
        "reinstatement/<int:pk>/paper-report.pdf",
        views.paper_report_pdf,
        name="paper_report_pdf",
    ),
    path(
        "reinstatement/<int:pk>/invoice/",
        views.paper_report_invoice_view,
        name="paper_report_invoice",
    ),
]
