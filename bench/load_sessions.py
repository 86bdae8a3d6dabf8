"""Signed-in sessions for the load test, written as JSON for bench/locustfile.py.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... REDIS_URL=... \
        python bench/load_sessions.py --out /tmp/sessions.json

Sessions are created in the configured session store (Redis in the load test) exactly as a sign-in
leaves them, so that the measured requests do not include a million-iteration password hash each.
Picks, among the generated members (prefix `load-`):
  readers       members still entering points: an open current report, 10 to 40 entries, the
                requirement not met yet (the portal with its entry forms, the summary);
  transactions  members with invoices (the Transactions page);
  writers       IPMA-HR members far from their 50 points (saving entries never fills them up);
  staff         the generated superuser (the review queue), its second sign-in step given with
                an authenticator app, as staff must when two-step sign-in is on (DEBUG=0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import string
import sys
from collections import defaultdict
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def second_step_given(user) -> dict:
    """What a staff session holds once its second step was given (members.two_factor): the
    authenticator device it used. The device is made for the load data's staff user if missing."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from members.two_factor import SECOND_STEP_KEY

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Load test", confirmed=True)
    return {SECOND_STEP_KEY: True, DEVICE_ID_SESSION_KEY: device.persistent_id}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--prefix", default="load-")
    parser.add_argument("--readers", type=int, default=400)
    parser.add_argument("--writers", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db.models import Count, F
    from django.utils import timezone

    from members.models import Credential, User
    from payments.models import Invoice
    from recertification import rules
    from recertification.forms import form_groups
    from recertification.models import Entry, Report
    from recertification.selectors import activity_for

    store = import_module(settings.SESSION_ENGINE).SessionStore
    today = timezone.localdate()

    def session_for(user: User) -> str:
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "members.backends.UsernameOrEmailBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if user.is_staff:
            session.update(second_step_given(user))
        session.save()
        return session.session_key

    current = Report.objects.filter(
        member__username__startswith=args.prefix,
        status=Report.Status.OPEN,
        report_credentials__credential__status__in=Credential.OPEN_STATUSES,
        report_credentials__cycle_start=F("report_credentials__credential__cycle_start"),
    )
    # Members still entering points: 10 to 40 entries, requirement not met (the entry forms show).
    reader_reports = list(
        current.annotate(n=Count("entries", distinct=True), c=Count("credentials", distinct=True))
        .filter(n__range=(10, 40), c=1)
        .order_by("member_id")
        .values_list("id", "member_id", "program", "cycle_start", "cycle_end")[: args.readers * 4]
    )
    designation = dict(
        Report.objects.filter(pk__in=[r[0] for r in reader_reports]).values_list(
            "pk", "credentials__designation"
        )
    )
    activities = defaultdict(list)
    for entry in Entry.objects.filter(reports__in=[r[0] for r in reader_reports]).annotate(
        report_id=F("reports")
    ):
        activities[entry.report_id].append(activity_for(entry))
    reader_ids = []
    for report_id, member_id, program, start, end in reader_reports:
        result = rules.evaluate(
            program=program,
            credentials=[designation[report_id]],
            cycle_start=start,
            cycle_end=end,
            activities=activities[report_id],
        )
        if not result.met and len(reader_ids) < args.readers:
            reader_ids.append(member_id)
    invoice_ids = list(
        Invoice.objects.filter(member__username__startswith=args.prefix)
        .order_by("member_id")
        .values_list("member_id", flat=True)
        .distinct()[: args.readers]
    )
    # IPMA-HR members with one open credential whose entries add up to at most 15 points.
    candidates = list(
        current.filter(program="ipma-hr")
        .annotate(n=Count("entries", distinct=True), c=Count("credentials", distinct=True))
        .filter(n__lte=6, c=1)
        .order_by("member_id")
        .values_list("id", "member_id", "cycle_start", "cycle_end")[: args.writers * 3]
    )
    by_report = defaultdict(list)
    for entry in Entry.objects.filter(reports__in=[c[0] for c in candidates]).annotate(
        report_id=F("reports")
    ):
        by_report[entry.report_id].append(activity_for(entry))
    writers = []
    for report_id, member_id, start, end in candidates:
        if len(writers) >= args.writers:
            break
        result = rules.evaluate(
            program="ipma-hr",
            credentials=["IPMA-SCP"],
            cycle_start=start,
            cycle_end=end,
            activities=by_report[report_id],
        )
        if result.total <= 15 and start <= today <= end:
            day = max(start, today - dt.timedelta(days=7))
            writers.append((member_id, day.isoformat()))
    users = User.objects.in_bulk({*reader_ids, *invoice_ids, *(w[0] for w in writers)})
    staff = User.objects.get(username=f"{args.prefix}staff")
    group = next(
        g for g in form_groups(rules.get_program("ipma-hr")) if g.key == "pd-ipma-pd-full_day"
    )
    alphabet = string.ascii_letters + string.digits
    sessions = {
        "readers": [session_for(users[i]) for i in reader_ids],
        "transactions": [session_for(users[i]) for i in invoice_ids],
        "writers": [{"session": session_for(users[i]), "date": day} for i, day in writers],
        "staff": [session_for(staff)],
        # Django accepts the unmasked 32-character secret as the form token.
        "csrf": "".join(secrets.choice(alphabet) for _ in range(32)),
        "save_form": group.key,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
    }
    Path(args.out).write_text(json.dumps(sessions))
    print(
        f"sessions: {len(sessions['readers'])} readers, {len(sessions['transactions'])} with "
        f"invoices, {len(sessions['writers'])} writers, 1 staff"
    )
    if len(sessions["writers"]) < 100 or not sessions["readers"]:
        sys.exit("Not enough generated members for the load test: generate more data.")


if __name__ == "__main__":
    main()
