"""Locust scenarios for the portal; bench/run_load.py runs each one in turn and tabulates them.

    LOAD_SESSIONS=/tmp/sessions.json locust -f bench/locustfile.py --headless \
        --host http://127.0.0.1:8000 -u 12 -r 12 --run-time 20s PortalUser

Every user sends requests back to back (no think time), so each scenario measures the most the
server gives for that page. Sessions come from bench/load_sessions.py; a save rotates through many
members so that none of them reaches their requirement during the run.
"""

from __future__ import annotations

import itertools
import json
import os

from locust import FastHttpUser, constant, task

_SESSIONS = None


def sessions() -> dict:
    global _SESSIONS
    if _SESSIONS is None:
        with open(os.environ["LOAD_SESSIONS"]) as handle:
            _SESSIONS = json.load(handle)
    return _SESSIONS


_counters: dict[str, itertools.count] = {}


def next_of(pool: str):
    """The pool's items in turn across all users of this process."""
    items = sessions()[pool]
    counter = _counters.setdefault(pool, itertools.count())
    return items[next(counter) % len(items)]


class _User(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    pool = ""
    page = ""
    label = ""

    def on_start(self) -> None:
        self.cookie = ""
        if self.pool:
            data = sessions()
            self.cookie = f"{data['session_cookie']}={next_of(self.pool)}"

    def get(self) -> None:
        self.client.cookiejar.clear()  # only the member's own session cookie is sent
        headers = {"Cookie": self.cookie} if self.cookie else {}
        with self.client.get(
            self.page, headers=headers, name=self.label, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


class CeilingUser(_User):
    """The bare Django view: the ceiling every page is compared with."""

    page, label = "/bench/ceiling/", "ceiling (bare view)"

    @task
    def ceiling(self) -> None:
        self.get()


class SignedInUser(_User):
    """A bare view behind login_required: what every member page pays before its own work."""

    pool, page, label = "readers", "/bench/ceiling/signed-in/", "signed-in bare view"

    @task
    def signed_in(self) -> None:
        self.get()


class PortalUser(_User):
    pool, page, label = "readers", "/recertification/", "portal page"

    @task
    def portal(self) -> None:
        self.get()


class SummaryUser(_User):
    pool, page, label = "readers", "/recertification/summary/", "detailed summary"

    @task
    def summary(self) -> None:
        self.get()


class TransactionsUser(_User):
    pool, page, label = "transactions", "/transactions/", "transactions"

    @task
    def transactions(self) -> None:
        self.get()


class QueueUser(_User):
    pool, page, label = "staff", "/admin/recertification/report/", "admin review queue"

    @task
    def queue(self) -> None:
        self.get()


class SaveUser(_User):
    """Save an IPMA-HR partial day (POST), each time as the next member of the writers' pool."""

    label = "save entry (POST)"

    @task
    def save(self) -> None:
        data = sessions()
        writer = next_of("writers")
        key, token = data["save_form"], data["csrf"]
        self.client.cookiejar.clear()
        cookie = f"{data['session_cookie']}={writer['session']}; {data['csrf_cookie']}={token}"
        form = {
            "csrfmiddlewaretoken": token,
            "form": key,
            f"{key}-kind": "ipma.pd.partial_day",
            f"{key}-title": "Load test workshop",
            f"{key}-sponsor": "IPMA-HR",
            f"{key}-date": writer["date"],
            f"{key}-quantity": "1",
        }
        with self.client.post(
            "/recertification/",
            data=form,
            headers={"Cookie": cookie},
            name=self.label,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # A saved entry redirects to the portal; a form error is a 200 with the message.
            if response.status_code != 302:
                response.failure(f"not saved: status {response.status_code}")
