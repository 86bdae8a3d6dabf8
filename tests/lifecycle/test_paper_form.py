"""Lapsed members' way back: the paper Recertification Report form (PDF), where to mail it, and an
online invoice for the fee they owe with it (one per lapsed cycle, owner only)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from lifecycle import paper_form
from members.models import Credential
from payments.models import CheckAddress, Invoice
from recertification import rules
from recertification.models import Report
from tests.factories import report_for

from .conftest import namss_credits, on
from .test_certificates import pdf_text

pytestmark = pytest.mark.django_db

PAGE = "/profile/reinstatement/"
TODAY = dt.date(2027, 2, 1)  # both test cycles have lapsed; NAMSS is in its grace period


def text_of(pdf: bytes) -> str:
    """The strings drawn on the pages, one line after another (a wrapped heading reads whole)."""
    drawn = re.findall(r"\((.*?)(?<!\\)\) Tj", pdf_text(pdf))
    return " ".join(" ".join(drawn).split()).replace("\\(", "(").replace("\\)", ")")


def form_url(credential) -> str:
    return f"/profile/reinstatement/{credential.pk}/paper-report.pdf"


def invoice_url(credential) -> str:
    return f"/profile/reinstatement/{credential.pk}/invoice/"


@pytest.fixture
def ipma(credential_in):
    return credential_in("ipma-hr", status=Credential.Status.LAPSED)


@pytest.fixture
def namss(credential_in):
    return credential_in("namss", status=Credential.Status.LAPSED)


@pytest.mark.parametrize("program", ["ipma-hr", "namss"])
def test_the_form_is_filled_with_the_member_and_the_lapsed_cycle(client, ipma, namss, program):
    credential = ipma if program == "ipma-hr" else namss
    holder = credential.holder
    with on(TODAY):
        client.force_login(holder)
        response = client.get(form_url(credential))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = text_of(response.content)
    assert "Recertification Report" in text
    assert holder.get_full_name() in text
    assert holder.member_number in text
    assert credential.designation in text
    assert credential.cycle_start.strftime("%m/%d/%Y") in text
    assert credential.cycle_end.strftime("%m/%d/%Y") in text
    assert "Signature" in text and "Date" in text
    assert "I declare that all of the information" in text


@pytest.mark.parametrize("program", ["ipma-hr", "namss"])
def test_the_columns_come_from_the_program_declaration(ipma, namss, program):
    credential = ipma if program == "ipma-hr" else namss
    declared = rules.get_program(program)
    text = text_of(paper_form.paper_report_pdf(credential))
    for category in declared.categories:
        kinds = declared.entry_kinds(category.code)
        if not kinds:
            continue
        assert category.label in text
        for spec in paper_form.columns(declared, category.code):
            assert spec in text


def test_another_member_gets_404(client, second_member, ipma):
    with on(TODAY):
        client.force_login(second_member)
        assert client.get(form_url(ipma)).status_code == 404
        assert client.post(invoice_url(ipma)).status_code == 404
    assert not Invoice.objects.exists()


def test_open_terminated_and_past_grace_credentials_have_no_form(client, credential_in, member):
    open_one = credential_in("ipma-hr")
    terminated = credential_in("ihmm", status=Credential.Status.TERMINATED)
    namss = credential_in("namss", status=Credential.Status.LAPSED)
    with on(TODAY):
        client.force_login(member)
        assert client.get(form_url(open_one)).status_code == 404
        assert client.get(form_url(terminated)).status_code == 404
    with on(dt.date(2027, 7, 1)):  # NAMSS grace period over on 30 June
        client.force_login(member)
        assert client.get(form_url(namss)).status_code == 404
        assert client.post(invoice_url(namss)).status_code == 404


def test_the_page_offers_the_form_and_says_where_the_address_will_appear(client, ipma):
    with on(TODAY):
        client.force_login(ipma.holder)
        html = client.get(PAGE).content.decode()
    assert form_url(ipma) in html
    assert invoice_url(ipma) in html
    assert "The mailing address is not set yet" in html
    assert "with your payment to" not in html


def test_the_page_gives_the_program_s_mailing_address(client, namss):
    CheckAddress.objects.create(
        program="namss",
        payee="Demo Credentialing Body",
        mailing_address="Certification Office\nPO Box 100\nAlexandria, VA 22314",
    )
    with on(TODAY):
        client.force_login(namss.holder)
        html = client.get(PAGE).content.decode()
    assert form_url(namss) in html
    assert "Demo Credentialing Body" in html
    assert "PO Box 100" in html
    assert "Alexandria, VA 22314" in html


def test_the_ipma_hr_invoice_is_the_recertification_fee_and_a_second_click_gives_it_again(
    client, ipma
):
    with on(TODAY):
        client.force_login(ipma.holder)
        first = client.post(invoice_url(ipma))
        invoice = Invoice.objects.get()
        assert first.status_code == 302
        assert first.url == f"/transactions/invoices/{invoice.number}/"
        second = client.post(invoice_url(ipma))
        assert second.url == first.url
        page = client.get(first.url)
    assert Invoice.objects.count() == 1
    assert invoice.kind == Invoice.Kind.RECERTIFICATION
    assert invoice.status == Invoice.Status.OPEN
    assert list(invoice.lines.values_list("fee_code", flat=True)) == ["recertification"]
    assert invoice.member == ipma.holder
    assert page.status_code == 200
    report = invoice.report
    assert report.is_paper and report.status == Report.Status.OPEN
    assert list(report.credentials.all()) == [ipma]
    assert report.cycle_start == ipma.cycle_start


def test_the_namss_invoice_has_both_fees_on_the_member_s_own_report(client, namss):
    own = report_for(namss)
    namss_credits(own, credits="10")
    with on(TODAY):
        client.force_login(namss.holder)
        client.post(invoice_url(namss))
        client.post(invoice_url(namss))
        html = client.get(PAGE).content.decode()
    invoice = Invoice.objects.get()
    assert invoice.report == own
    assert invoice.kind == Invoice.Kind.REINSTATEMENT
    assert sorted(invoice.lines.values_list("fee_code", "amount")) == [
        ("recertification", Decimal("175.00")),
        ("reinstatement", Decimal("100.00")),
    ]
    assert invoice.number in html  # the page links the invoice once it is issued


def test_the_invoice_is_refused_for_an_open_credential(client, credential_in, member):
    open_one = credential_in("ipma-hr")
    with on(TODAY):
        client.force_login(member)
        assert client.post(invoice_url(open_one)).status_code == 404
        assert client.get(invoice_url(open_one)).status_code == 405
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("page", ["/recertification/summary/", "/recertification/uploads/"])
def test_summary_and_uploads_say_the_credential_has_lapsed(client, ipma, page):
    with on(TODAY):
        client.force_login(ipma.holder)
        html = client.get(page).content.decode()
    assert "Your IPMA-SCP certification has lapsed" in html
    assert PAGE in html
