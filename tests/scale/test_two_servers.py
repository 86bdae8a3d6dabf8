"""Two app servers on one PostgreSQL, Redis and S3 (moto): nothing lives in an app server.

Starts moto_server and two gunicorn processes (production settings: sessions and cache in Redis,
files in S3) on free loopback ports, all pointed at this test's own database, then:
a sign-in on server A is a signed-in session on server B; a file uploaded through A downloads
through B (and is in the bucket, not on a disk); concurrent entry saves through both servers all
arrive and the total shown equals the rules engine's total over the stored entries.

Runs when the tests use PostgreSQL (DATABASE_URL=postgres://...) and Redis answers at
127.0.0.1:6379 (or SCALE_REDIS_URL); skipped with the reason otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from urllib.parse import urlparse

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from recertification import rules
from recertification.models import Entry, EntryFile, Report
from tests.factories import CredentialFactory, EntryFactory, UserFactory, report_for
from tests.recertification.helpers import engine_total, group_of, shown_total
from tests.servers import free_port, s3_client

from .servers import ROOT, database_url, reachable, start_gunicorn, start_moto

REDIS_URL = os.environ.get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "two-servers-share-everything"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + os.urandom(64).hex().encode()
SAVES = 16


def _skip_reason() -> str:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: run with DATABASE_URL=postgres://... (app servers share it)"
    redis = urlparse(REDIS_URL)
    if not reachable(redis.hostname or "127.0.0.1", redis.port or 6379):
        return f"needs Redis at {REDIS_URL} (sessions and cache shared by the app servers)"
    return ""


pytestmark = [
    pytest.mark.skipif(bool(_skip_reason()), reason=_skip_reason() or "runs"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def bucket():
    port = free_port()
    moto = start_moto(port)
    try:
        moto.wait_until_up(f"http://127.0.0.1:{port}/moto-api/")
        endpoint = f"http://127.0.0.1:{port}"
        s3 = s3_client(endpoint)
        name = f"portal-files-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=name)
        yield {"endpoint": endpoint, "name": name, "client": s3}
    finally:
        moto.stop()


@pytest.fixture(scope="module")
def servers(django_db_setup, bucket):
    """Two gunicorn app servers sharing the test database, one Redis key prefix and the bucket.

    Started once for the module: each test's rows are committed (transaction=True) and flushed
    after it; the servers close their connections after every request, so nothing blocks that.
    """
    import redis

    prefix = f"scale-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "recert_portal.settings",
        "DEBUG": "0",
        "SECRET_KEY": "two-servers-one-secret-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "AWS_STORAGE_BUCKET_NAME": bucket["name"],
        "AWS_S3_ENDPOINT_URL": bucket["endpoint"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    processes = {}
    try:
        for name in ("A", "B"):
            port = free_port()
            processes[name] = (start_gunicorn(f"server-{name}", port, env), port)
        urls = {}
        for name, (process, port) in processes.items():
            urls[name] = f"http://127.0.0.1:{port}"
            process.wait_until_up(f"{urls[name]}/healthz")
        yield urls
    finally:
        for process, _ in processes.values():
            process.stop()
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture
def member():
    """An IPMA-HR member in the middle of a cycle, with a password the servers' hasher reads."""
    user = UserFactory(username="two.servers", first_name="Tess", last_name="Servers")
    # The test settings hash with MD5; the servers run the production hashers (PBKDF2 first).
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "twoserverssalt", iterations=1000)
    user.save(update_fields=["password"])
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    credential = CredentialFactory(
        holder=user,
        certified_since=start,
        cycle_start=start,
        cycle_end=rules.get_program("ipma-hr").cycle_end(start),
    )
    return user, report_for(credential)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/accounts/login/", timeout=20)
    response = browser.post(
        f"{base}/accounts/login/",
        data={
            "username": "two.servers",
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_token(page.text),
        },
        allow_redirects=False,
        timeout=20,
    )
    assert response.status_code == 302, response.text[:2000]
    return browser


def test_a_session_signed_in_on_one_server_works_on_the_other(servers, member):
    on_a = sign_in(servers["A"])

    on_b = requests.Session()
    on_b.cookies.update(on_a.cookies)
    page = on_b.get(f"{servers['B']}/recertification/", allow_redirects=False, timeout=20)

    assert page.status_code == 200
    assert "Recertification Portal" in page.text and "IPMA-SCP" in page.text
    anonymous = requests.get(f"{servers['B']}/recertification/", allow_redirects=False, timeout=20)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.headers["Location"]


def test_a_file_uploaded_through_one_server_downloads_through_the_other(servers, member, bucket):
    user, report = member
    entry = EntryFactory(
        member=user,
        reports=[report],
        kind="ipma.innovation",
        category="innovation",
        date=timezone.localdate() - dt.timedelta(days=30),
        details={"description": "Shared services pilot"},
    )
    on_a = sign_in(servers["A"])
    uploads = on_a.get(f"{servers['A']}/recertification/uploads/", timeout=20)
    response = on_a.post(
        f"{servers['A']}/recertification/uploads/",
        data={"entry": str(entry.pk), "csrfmiddlewaretoken": csrf_token(uploads.text)},
        files={"files": ("evidence.pdf", PDF, "application/pdf")},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:2000]
    stored = EntryFile.objects.get(entry=entry)
    keys = [o["Key"] for o in bucket["client"].list_objects_v2(Bucket=bucket["name"])["Contents"]]
    assert keys == [stored.file.name]  # in the bucket, not on server A's disk

    on_b = requests.Session()
    on_b.cookies.update(on_a.cookies)
    download = on_b.get(f"{servers['B']}/recertification/files/{stored.pk}/", timeout=30)

    assert download.status_code == 200
    assert download.content == PDF
    assert 'filename="evidence.pdf"' in download.headers["Content-Disposition"]


def test_concurrent_saves_through_both_servers_lose_nothing(servers, member):
    user, report = member
    on_a = sign_in(servers["A"])
    token = csrf_token(on_a.get(f"{servers['A']}/recertification/", timeout=20).text)
    group = group_of("ipma.pd.partial_day")
    key = group.key
    today = timezone.localdate()

    def save(i: int) -> int:
        base = servers["A" if i % 2 == 0 else "B"]
        browser = requests.Session()
        browser.cookies.update(on_a.cookies)
        response = browser.post(
            f"{base}/recertification/",
            data={
                "csrfmiddlewaretoken": token,
                "form": key,
                f"{key}-kind": "ipma.pd.partial_day",
                f"{key}-title": f"Concurrent workshop {i}",
                f"{key}-sponsor": "IPMA-HR",
                f"{key}-date": (today - dt.timedelta(days=1 + i)).isoformat(),
                f"{key}-quantity": "1",
            },
            allow_redirects=False,
            timeout=60,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(save, range(SAVES)))

    assert statuses == [302] * SAVES
    titles = sorted(e.details["title"] for e in Entry.objects.filter(member=user))
    assert titles == sorted(f"Concurrent workshop {i}" for i in range(SAVES))
    report = Report.objects.get(pk=report.pk)
    assert set(Entry.objects.filter(reports=report).values_list("pk", flat=True)) == set(
        Entry.objects.filter(member=user).values_list("pk", flat=True)
    )
    assert engine_total(report) == Decimal(SAVES)  # one point per partial day
    page = on_a.get(f"{servers['B']}/recertification/", timeout=20).text
    assert Decimal(shown_total(page, "IPMA-SCP")) == engine_total(report)
