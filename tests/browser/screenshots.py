"""Render screenshots of the main pages, with the demo data, into docs/screenshots/.

Run by `make screenshots` (after the dev set-up that `make test` uses). It never touches the
project's own database: it makes a throwaway SQLite database in a temporary directory, migrates it,
loads the demo data (`manage.py load_demo`), brings a few demo members further through the
portal's own services (a NAMSS report submitted, an IHMM member at 100 CMPs who submits through the
browser and pays by check, a certificate for the IPMA-HR member), serves the portal on a free port
in this process, and captures the pages with Playwright and Debian's Chromium.

The clock is frozen (time-machine, not ticking) on PICTURE_DAY so that the pictures do not change from
one run to the next: the demo data is dated from "today", and the server runs in this process, so
it sees the same day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import os
import shutil
import sys
import tempfile
import threading
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
PICTURE_DAY = dt.datetime(2026, 9, 15, 10, 0, tzinfo=ZoneInfo("America/New_York"))
PASSWORD = "demo-portal"
DESKTOP = {"width": 1280, "height": 900}
ADMIN = {"width": 1600, "height": 900}
PHONE = {"width": 390, "height": 844}


def configure(workdir: Path) -> None:
    """Development settings on a throwaway database; nothing reaches the outside world."""
    for name in (
        "REDIS_URL",
        "AWS_STORAGE_BUCKET_NAME",
        "EMAIL_HOST",
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_API_BASE",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
    ):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="recert_portal.settings",
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{workdir / 'screenshots.sqlite3'}",
        MEDIA_ROOT=str(workdir / "media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- demo state beyond load_demo, through the portal's services --------------------------------


def build_state() -> dict:
    from django.utils import timezone

    from demo.entries import add_entry
    from lifecycle.certificates import certificate_issue
    from lifecycle.models import Certificate
    from members.models import Credential, User
    from recertification import audits, services
    from recertification.models import Report
    from recertification.selectors import scored_report

    # The audit draw at submission is random (tests pin it the same way): no audit in the pictures.
    audits._random.randrange = lambda n: n - 1
    today = timezone.localdate()

    # Member numbers are drawn at random; fixed ones keep the pictures the same from run to run.
    for number, username in enumerate(
        (
            "ipma.member",
            "namss.member",
            "ihmm.member",
            "lapsed.member",
            "reviewer",
            "finance",
            "admin",
        )
    ):
        User.objects.filter(username=username).update(member_number=f"{20260100 + number}")

    def open_credentials(username):
        member = User.objects.get(username=username)
        services.reports_ensure_open(member=member)
        return member, list(Credential.objects.filter(holder=member, status__in=["new", "renew"]))

    # NAMSS dual certificant (first dual cycle: 30 credits, 15 approved): the Home picture first,
    # with the demo's entries; then enough approved credits, submitted on time (payment due).
    namss, credentials = open_credentials("namss.member")
    report = Report.objects.filter(member=namss).order_by("-cycle_start").first()
    for days, credits, approved, title in (
        (300, "12", True, "NAMSS Educational Conference"),
        (200, "8", True, "NAMSS webinar series"),
        (100, "12", False, "Medical staff bylaws seminar"),
    ):
        if scored_report(report).met:
            break  # the portal accepts no entry beyond the requirement
        add_entry(
            namss,
            credentials,
            "namss.ce",
            {"title": title, "provider": "NAMSS", "location": "Online"},
            date=today - dt.timedelta(days=days),
            quantity=Decimal(credits),
            approved=approved,
        )
    services.report_submit(report=report, member=namss, agreed_on=today)

    # IHMM: up to 100 CMPs; submitted in the browser below.
    ihmm, credentials = open_credentials("ihmm.member")
    for days, hours, kind, title in (
        (400, "40", "Initial training", "HAZWOPER 40-hour initial training"),
        (300, "16", "Workshop", "DOT hazardous materials shipping"),
        (20, "15", "Seminar", "RCRA generator requirements"),
    ):
        add_entry(
            ihmm,
            credentials,
            "ihmm.training",
            {"title": title, "activity_type": kind, "provider": "State Fire Academy"},
            date=today - dt.timedelta(days=days),
            quantity=Decimal(hours),
        )

    # IPMA-HR: a certificate for the current cycle, for the public verification page.
    ipma = User.objects.get(username="ipma.member")
    certificate = certificate_issue(credential=Credential.objects.get(holder=ipma))
    Certificate.objects.filter(pk=certificate.pk).update(code="DEMXPQRTA7SX")  # a fixed demo code
    certificate.refresh_from_db()
    # A note staff keep on the NAMSS member, for the member page's picture.
    from backoffice.notes import member_note_add

    member_note_add(
        member=namss,
        author=User.objects.get(username="admin"),
        text="Called about the webinar series: counts as approved credits once the certificate "
        "is uploaded.",
    )
    return {
        "certificate_code": certificate.code,
        "ihmm_report": Report.objects.get(member=ihmm, status="open").pk,
        "namss_member": namss.pk,
    }


def pay_ihmm_by_check() -> None:
    from django.utils import timezone

    from members.models import User
    from payments.checks import payment_record_check
    from payments.models import Invoice

    invoice = Invoice.objects.get(member__username="ihmm.member", status="open")
    payment_record_check(
        invoice=invoice,
        number="2041",
        check_date=timezone.localdate(),
        amount=invoice.total,
        actor=User.objects.get(username="finance"),
    )


# --- the server and the browser -----------------------------------------------------------------


def chromium_path() -> str | None:
    """Debian's Chromium, as the browser tests use it (CHROMIUM_PATH overrides)."""
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return path if os.path.exists(path) else shutil.which("chromium")


def start_server():
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    # After get_wsgi_application(), which configures logging again: quiet the browser's
    # /favicon.ico requests (404, logged as warnings).
    logging.getLogger("django.request").setLevel(logging.ERROR)
    threading.Thread(target=server.serve_forever, name="portal", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def sign_in(page, url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def capture(url: str, state: dict, only: set[str] | None) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    from conftest import CHROMIUM_ARGS

    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shot(page, name: str, *, full_page: bool = True, max_height: int | None = None) -> None:
        if only and name not in only:
            return
        path = OUT / f"{name}.png"
        options = {"full_page": full_page, "animations": "disabled"}
        if max_height:
            width = page.viewport_size["width"]
            height = min(max_height, page.evaluate("document.documentElement.scrollHeight"))
            options["clip"] = {"x": 0, "y": 0, "width": width, "height": height}
        page.screenshot(path=str(path), **options)
        written.append(path)
        print(f"  {path.relative_to(ROOT)}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
        page = context.new_page()

        sign_in(page, url, "ipma.member")
        page.goto(f"{url}/")
        shot(page, "home", max_height=1400)
        page.goto(f"{url}/recertification/")
        shot(page, "portal", max_height=1700)
        page.goto(f"{url}/recertification/summary/")
        shot(page, "detailed-summary")

        sign_in(page, url, "ihmm.member")
        page.goto(f"{url}/")
        shot(page, "home-ihmm", max_height=1400)
        page.goto(f"{url}/recertification/submit/")
        page.get_by_label("Agreement (must be selected)").select_option("agree")
        shot(page, "submission")
        page.get_by_role("button", name="Submit", exact=True).click()
        expect(page.get_by_role("heading", name="My Invoices")).to_be_visible()
        shot(page, "transactions")
        pay_ihmm_by_check()

        admin = browser.new_context(viewport=ADMIN, device_scale_factor=1)
        staff_page = admin.new_page()
        sign_in(staff_page, url, "reviewer")
        staff_page.goto(f"{url}/admin/recertification/report/")
        staff_page.locator("#toggle-nav-sidebar").click()  # the queue's columns need the room
        shot(staff_page, "admin-review-queue", max_height=900)
        staff_page.goto(f"{url}/admin/recertification/report/{state['ihmm_report']}/change/")
        shot(staff_page, "admin-report", max_height=1400)
        sign_in(staff_page, url, "admin")
        staff_page.goto(f"{url}/admin/recertification/report/dashboard/")
        shot(staff_page, "admin-dashboard", max_height=1600)
        staff_page.goto(f"{url}/admin/members/user/{state['namss_member']}/change/")
        shot(staff_page, "admin-member", max_height=1600)

        context.clear_cookies()
        page.goto(f"{url}/verify/{state['certificate_code']}/")
        shot(page, "verification")

        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        mobile = phone.new_page()
        sign_in(mobile, url, "ipma.member")
        mobile.goto(f"{url}/recertification/")
        shot(mobile, "portal-phone", full_page=False)
        mobile.goto(f"{url}/")
        shot(mobile, "home-phone", full_page=False)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help="only these screenshots (e.g. portal verification)"
    )
    args = parser.parse_args(argv)

    if chromium_path() is None:
        print("Chromium is not installed (apt-get install chromium); no screenshots taken.")
        return 1
    import time_machine

    workdir = Path(tempfile.mkdtemp(prefix="recert-screenshots-"))
    try:
        configure(workdir)
        from django.core.management import call_command

        with time_machine.travel(PICTURE_DAY, tick=False):
            call_command("migrate", interactive=False, verbosity=0)
            call_command("load_demo", stdout=io.StringIO())
            state = build_state()
            server, url = start_server()
            try:
                print(f"Screenshots of {url} into {OUT.relative_to(ROOT)}/:")
                capture(url, state, set(args.names) or None)
            finally:
                server.shutdown()
                server.server_close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
