"""What the browser tests share: signing in, the clock, axe-core, and the phone checks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import Page, expect

from backoffice import review
from payments.checks import payment_record_check
from payments.models import Invoice
from recertification import services
from tests.factories import PASSWORD, CredentialFactory, EntryFactory, UserFactory, report_for

NEW_YORK = ZoneInfo("America/New_York")
PHONE = {"width": 390, "height": 844}

# A tiny real PDF and PNG: the portal sniffs uploads' contents, not only their names.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def noon(year: int, month: int, day: int) -> dt.datetime:
    """Noon in the portal's time zone: the server's "today" is that day."""
    return dt.datetime(year, month, day, 12, 0, tzinfo=NEW_YORK)


def sign_in(page: Page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def admin_sign_in(page: Page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Credentialing administration")).to_be_visible()


def status_message(page: Page):
    """The portal's confirmation after a change (role=status, announced politely)."""
    return page.locator("main [role=status]").first


# --- axe-core ---------------------------------------------------------------------------------

_RUN_AXE = """async (exclude) => {
  const context = exclude.length ? {exclude: exclude.map((selector) => [selector])} : document;
  const result = await axe.run(context, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
    }));
}"""


def axe_violations(page: Page, axe_source: str, exclude: tuple[str, ...] = ()) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now.

    axe.min.js is evaluated through the DevTools protocol (page.evaluate), which the page's
    Content Security Policy does not govern, so the page is checked under its real CSP; an
    injected <script> tag would be refused by it (docs/accessibility.md). `exclude` leaves out
    parts that are not the portal's own markup (CSS selectors).
    """
    page.wait_for_load_state("load")  # after a click, the stylesheets may still be loading
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    return page.evaluate(_RUN_AXE, list(exclude))


def check_accessible(page: Page, axe_source: str, problems: list[str], **kwargs) -> None:
    """Run axe on the current page and add its serious/critical findings to `problems`."""
    for v in axe_violations(page, axe_source, **kwargs):
        where = page.url.split("//", 1)[-1].split("/", 1)[-1]
        problems.append(
            f"/{where}: {v['impact']} {v['id']} ({v['help']})\n    " + "\n    ".join(v["nodes"])
        )


# --- phones -----------------------------------------------------------------------------------

_LAYOUT = """() => {
  const width = document.documentElement.clientWidth;
  const result = {sideways: document.documentElement.scrollWidth - width, scrollers: [], outside: []};
  for (const el of document.querySelectorAll("main *")) {
    const style = getComputedStyle(el);
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      result.scrollers.push(el.tagName.toLowerCase() + "." + el.className + " by " + (el.scrollWidth - el.clientWidth) + "px");
    }
  }
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown (a collapsed menu)
    if (box.left < -1 || box.right > width + 1) {
      result.outside.push(el.outerHTML.slice(0, 120));
    }
  }
  return result;
}"""


def layout_problems(page: Page) -> list[str]:
    """Why the page does not fit the screen's width: sideways scrolling, inner sideways scrollers,
    or a link, button or field that sticks out of the screen."""
    page.wait_for_load_state("load")
    found = page.evaluate(_LAYOUT)
    where = "/" + page.url.split("//", 1)[-1].split("/", 1)[-1]
    problems = []
    if found["sideways"] > 0:
        problems.append(f"{where} scrolls sideways by {found['sideways']}px")
    problems += [f"{where} has a sideways scroller: {s}" for s in found["scrollers"]]
    problems += [f"{where} has a control off the screen: {s}" for s in found["outside"]]
    return problems


# --- state through the portal's own services --------------------------------------------------


def submitted_with_points(credential, days: int = 17):
    """An IPMA-HR credential's current report, filled (`days` full days of professional
    development, 3 points each) and submitted through the portal's service: its invoice is issued."""
    report = report_for(credential)
    EntryFactory(
        member=credential.holder,
        kind="ipma.pd.full_day",
        date=credential.cycle_start + dt.timedelta(days=60),
        quantity=days,
        details={"title": "HR Academy", "sponsor": "IPMA-HR"},
        reports=[report],
    )
    services.report_submit(report=report, member=credential.holder, agreed_on=timezone.localdate())
    report.refresh_from_db()
    return report


def paid_by_check(report, actor=None):
    invoice = Invoice.objects.get(report=report, status=Invoice.Status.OPEN)
    payment_record_check(invoice=invoice, number="1001", check_date=timezone.localdate(),
                         amount=invoice.total, actor=actor)  # fmt: skip
    report.refresh_from_db()
    return report


def renewed(credential, reviewer):
    """Submitted, paid by check and approved: the credential renews and gets its certificate."""
    report = paid_by_check(submitted_with_points(credential))
    review.report_approve(report=report, actor=reviewer)
    credential.refresh_from_db()
    return credential


def namss_dual_certificant(username: str, first_name: str, last_name: str):
    """A member holding CPCS and CPMSM since 12/02/2017, both in the cycle 12/02/2023–12/01/2026
    (one report for both)."""
    member = UserFactory(
        username=username,
        email=f"{first_name.lower()}@example.org",
        first_name=first_name,
        last_name=last_name,
    )
    for designation in ("CPCS", "CPMSM"):
        CredentialFactory(
            holder=member,
            program="namss",
            designation=designation,
            certified_since=dt.date(2017, 12, 2),
            cycle_start=dt.date(2023, 12, 2),
            cycle_end=dt.date(2026, 12, 1),
        )
    return member
