"""The Transactions table at every width between a tablet and a wide desktop: each invoice's
actions (Pay, PDF) stay on screen, with no sideways scroller hiding them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import layout_problems, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [768, 900, 992, 1024, 1152, 1200, 1280, 1440]


def test_every_invoice_action_is_on_screen_at_every_width(new_context, live_server, people):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, "morgan.lee")
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/transactions/")
        pdf = page.get_by_role("link", name=f"PDF of invoice {people.invoice.number}").locator(
            "visible=true"
        )
        expect(pdf).to_have_count(1)
        box = pdf.bounding_box()
        if box is None or box["x"] + box["width"] > width:
            problems.append(f"{width}px: the PDF link is off the screen ({box})")
        problems += [f"{width}px: {p}" for p in layout_problems(page)]
    assert not problems, "\n".join(problems)
