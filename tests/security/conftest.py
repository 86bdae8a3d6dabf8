"""Shared pieces of the security tests: a whole-database fingerprint, counters of generated
inputs, one of everything a member owns, and the real peers (localstripe from tests/stripe_peer.py,
moto's S3 server). Staff personas come from tests/staff_personas.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import urllib.request
import zoneinfo
from collections import Counter
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from hypothesis import HealthCheck, settings

from payments import checks as payment_checks
from payments.models import Payment
from tests.factories import (
    CredentialFactory,
    EntryFactory,
    EntryFileFactory,
    StaffFactory,
    report_for,
)
from tests.lifecycle.factories import CertificateFactory
from tests.payments.factories import InvoiceFactory, earlier_cycle
from tests.payments.factories import ReportFactory as SubmittedReportFactory
from tests.providers.factories import CompletionFactory, CourseFactory
from tests.servers import free_port, s3_client, server_process
from tests.staff_personas import administrator, finance, reviewer, staff_in  # noqa: F401
from tests.stripe_peer import _stripe_off, localstripe, stripe_on  # noqa: F401

# Generated inputs per form: HOSTILE_EXAMPLES (default 25) each; a nightly run can raise it.
EXAMPLES_PER_FORM = int(os.environ.get("HOSTILE_EXAMPLES", "25"))
HOSTILE = settings(
    max_examples=EXAMPLES_PER_FORM,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# How many generated inputs each form received in this process (see docs/security.md).
TRIED: Counter[str] = Counter()


def tried(form: str) -> None:
    TRIED[form] += 1


@pytest.fixture(scope="session", autouse=True)
def _report_figures():
    """With SECURITY_FIGURES=<file>, append what this process tried (the figures in the docs)."""
    yield
    path = os.environ.get("SECURITY_FIGURES")
    if path and TRIED:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"inputs_per_form": dict(sorted(TRIED.items()))}) + "\n")


# Tables that change on every request whatever the input: sessions, sign-in attempt logs.
VOLATILE = {
    "sessions.session",
    "axes.accessattempt",
    "axes.accessattemptexpiration",
    "axes.accesslog",
    "axes.accessfailurelog",
}


def db_fingerprint() -> dict[str, str]:
    """Every row of every table (but the volatile ones), hashed per model: equal fingerprints
    mean the database did not change."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in VOLATILE or not model._meta.managed:
            continue
        rows = list(model._base_manager.order_by("pk").values_list())
        state[label] = hashlib.sha256(repr(rows).encode()).hexdigest()[:16] + f":{len(rows)}"
    return state


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


@pytest.fixture
def no_permission_staff(db):
    return staff_in(None, username="nora.nogroup", email="nora@example.org")


# The day the tests live on: a current IPMA-HR cycle (2024-2026) that is still open.
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


@pytest.fixture
def frozen_today():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def world(member, second_member) -> dict:
    """One of everything a member owns, all of it `member`'s: an open report with an entry and
    its file, a certificate, an open invoice with a card attempt, and a paid invoice."""
    credential = CredentialFactory(holder=member)
    report = report_for(credential)
    entry = EntryFactory(member=member, reports=[report], details={"title": "Owner's workshop"})
    file = EntryFileFactory(entry=entry)
    certificate = CertificateFactory(credential=credential)
    office = StaffFactory(username="office.staff", is_superuser=True)
    open_invoice = InvoiceFactory(report=SubmittedReportFactory(member=member, **earlier_cycle(1)))
    paid_invoice = InvoiceFactory(report=SubmittedReportFactory(member=member, **earlier_cycle(2)))
    payment_checks.payment_record_check(
        invoice=paid_invoice,
        number="7",
        check_date=dt.date(2026, 11, 1),
        amount=paid_invoice.total,
        actor=office,
    )
    card = Payment.objects.create(
        invoice=open_invoice,
        method=Payment.Method.CARD,
        amount=open_invoice.total,
        currency=open_invoice.currency,
        stripe_payment_intent_id="pi_owner_matrix",
    )
    # A lapsed credential beside it, for the paper report's form and invoice.
    lapsed = CredentialFactory(
        holder=member,
        designation="IPMA-CP",
        cycle_start=dt.date(2021, 1, 1),
        cycle_end=dt.date(2023, 12, 31),
        status="lapsed",
    )
    # A course a provider reported the member attended, pending the member's review.
    completion = CompletionFactory(course=CourseFactory(on="ipma-hr"), member=member)
    return {
        "credential": credential,
        "completion": completion,
        "lapsed_credential": lapsed,
        "report": report,
        "entry": entry,
        "file": file,
        "certificate": certificate,
        "open_invoice": open_invoice,
        "paid_invoice": paid_invoice,
        "card_payment": card,
        "office": office,
    }


# --- S3: moto's server as the real peer ---------------------------------------------------------

BUCKET = "portal-files"


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory):
    """A moto S3 server of our own for the session; its endpoint."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with server_process(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        ready_url=f"{endpoint}/moto-api/",
        workdir=tmp_path_factory.mktemp("moto"),
        name="moto_server",
    ):
        yield endpoint


def s3_storage(settings, endpoint: str) -> None:
    """Point the default storage at an S3 endpoint, with the production options (and a short
    timeout and no retries, so that an outage is noticed in seconds)."""
    from botocore.config import Config

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "client_config": Config(
                    retries={"max_attempts": 1, "mode": "standard"},
                    connect_timeout=2,
                    read_timeout=5,
                ),
            },
        },
    }


def make_bucket(endpoint: str) -> None:
    s3 = s3_client(endpoint)
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=5
    ).close()
    s3.create_bucket(Bucket=BUCKET)
