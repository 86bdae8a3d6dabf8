"""Shared pieces of the security tests: staff personas, a whole-database fingerprint, counters of
generated inputs, and the real peers (localstripe) borrowed from the payments tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, settings

from members.permissions import ensure_staff_groups
from payments import services as payment_services
from payments.models import Payment
from tests.factories import (
    CredentialFactory,
    EntryFactory,
    EntryFileFactory,
    StaffFactory,
    report_for,
)
from tests.lifecycle.factories import CertificateFactory

# The real Stripe peer, started by the payments tests' fixture (a localstripe process).
from tests.payments.conftest import free_port, localstripe, stripe_on  # noqa: F401
from tests.payments.factories import InvoiceFactory, earlier_cycle
from tests.payments.factories import ReportFactory as SubmittedReportFactory

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


def staff_in(group: str | None, **kwargs):
    """A staff account in one of the staff groups (None: staff with no permission at all)."""
    ensure_staff_groups()
    user = StaffFactory(**kwargs)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def reviewer(db):
    return staff_in("Reviewer", username="rita.reviewer", email="rita@example.org")


@pytest.fixture
def finance(db):
    return staff_in("Finance", username="fran.finance", email="fran@example.org")


@pytest.fixture
def administrator(db):
    return staff_in("Administrator", username="ada.admin", email="ada@example.org")


@pytest.fixture
def no_permission_staff(db):
    return staff_in(None, username="nora.nogroup", email="nora@example.org")


@pytest.fixture(autouse=True)
def _stripe_off(settings):
    """Every test starts with Stripe not configured (the `make run` default), fast to fail."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT = 5
    settings.INVOICE_NUMBER_PREFIX = "RC-"


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
    payment_services.payment_record_check(
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
    return {
        "credential": credential,
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
    workdir = tmp_path_factory.mktemp("moto")
    log = open(workdir / "moto.log", "wb")  # noqa: SIM115 - closed below
    binary = os.path.join(os.path.dirname(sys.executable), "moto_server")
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail("moto_server did not start: " + (workdir / "moto.log").read_text())
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


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
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=5
    ).close()
    s3.create_bucket(Bucket=BUCKET)
