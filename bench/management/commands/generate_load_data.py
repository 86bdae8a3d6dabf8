"""Generate load-test data: members, credentials, reports, entries, invoices, with bulk inserts.

    python manage.py generate_load_data                      # 100,000 members, 2,000,000 entries
    python manage.py generate_load_data --members 1000 --entries 20000 --seed 7
    python manage.py generate_load_data --delete             # remove everything it generated

The mix follows the programs' declarations (`recertification.rules`): mostly IPMA-HR members, then
NAMSS (a third of them dual certificants sharing one report), then IHMM; open, lapsed, inactive
and terminated credentials; current reports open or somewhere in review, previous cycles approved.
Entries per report vary (lognormal: median 12, mean 17) and one report in a hundred has about 300.
Every entry is valid for its kind: a date (or year) inside its report's cycle and not in the
future, a quantity the kind allows, `year_key` set as `recertification.services` sets it for kinds
entered once per year. Submitted and approved reports carry the rules engine's points and snapshot.

Generated members' usernames start with the prefix (`load-`); all share the password `load-password`
(one hash). On PostgreSQL rows go in with COPY (the default size takes 3 to 4 minutes on 2 vCPU);
elsewhere with bulk_create. Everything is one transaction. It refuses to run with DEBUG=0 unless
--force. Numbers in docs/performance.md (Load data).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from core import pages_version
from members.models import Credential, MembershipRecord, User
from payments.models import Invoice, InvoiceCounter, InvoiceLine, Payment
from recertification import fees, rules
from recertification.models import Entry, EntryFile, Report, ReportCredential
from recertification.services import entry_year_key

LOAD_PASSWORD = "load-password"

PROGRAM_MIX = {"ipma-hr": 0.60, "namss": 0.25, "ihmm": 0.15}
IPMA_DESIGNATIONS = {"IPMA-SCP": 0.35, "IPMA-CP": 0.50, "IPMA-CS": 0.15}
NAMSS_DUAL_SHARE = 0.35
CREDENTIAL_STATUSES = {
    "renew": 0.72,
    "new": 0.13,
    "lapsed": 0.08,
    "inactive": 0.04,
    "terminated": 0.03,
}
# Where a submitted current report stands (approved reports belong to previous cycles).
PIPELINE = {
    "submitted": 0.10,
    "payment_due": 0.30,
    "in_review": 0.35,
    "audit": 0.10,
    "returned": 0.15,
}
PREVIOUS_CYCLE_SHARE = 0.30  # renewed credentials whose previous cycle's report is kept (approved)
# Entries a report needs before it is likely to have been submitted.
SUBMIT_THRESHOLD = {"ipma-hr": 15, "namss": 12, "ihmm": 20}
# How often members choose each kind (kinds not named are not generated).
KIND_WEIGHTS = {
    "ipma.pd.full_day": 30,
    "ipma.pd.partial_day": 25,
    "ipma.pd.college": 8,
    "ipma.membership.agency": 3,
    "ipma.membership.other": 4,
    "ipma.leadership.ipma": 2,
    "ipma.leadership.board": 3,
    "ipma.leadership.committee_chair": 1,
    "ipma.leadership.committee_member": 2,
    "ipma.leadership.proctor": 3,
    "ipma.leadership.exam_tester": 2,
    "ipma.innovation": 3,
    "ipma.policy": 3,
    "ipma.presentation.speech": 4,
    "ipma.presentation.instruction": 2,
    "ipma.publication.journal": 1,
    "ipma.publication.newsletter": 2,
    "ipma.experiential.employment": 3,
    "namss.ce": 1,
    "ihmm.training": 60,
    "ihmm.conference": 25,
    "ihmm.item_writing": 15,
}
QUANTITY_STEPS = (0, 0, 0, 1, 1, 2, 3, 3, 5, 7, 11)  # quantity = minimum + step * one of these
FILE_SHARE = 0.4  # entries of kinds that take files which have one

ORGANIZATIONS = ["SHRM", "WorldatWork", "NPELRA", "CPS HR Consulting", "AGA", "NASPE", "ICMA"]
SPONSORS = ["IPMA-HR", "SHRM", "NAMSS", "Cornell ILR", "State HR Academy", "Lorman", "NSC", "OSHA"]
TITLES = [
    "Employment Law Update",
    "Compensation and Classification",
    "Leading Through Change",
    "Credentialing Essentials",
    "Medical Staff Bylaws",
    "Hazardous Waste Operations Refresher",
    "Investigations Workshop",
    "Labor Relations Forum",
    "Benefits Strategy",
    "Emergency Response Drill",
]
FIRST_NAMES = ["Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn"]
LAST_NAMES = ["Garcia", "Smith", "Nguyen", "Johnson", "Brown", "Lee", "Patel", "Miller", "Davis"]
CITIES = [("Springfield", "IL"), ("Austin", "TX"), ("Denver", "CO"), ("Albany", "NY")]


def weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- inserting ------------------------------------------------------------------------------------


class Table:
    """Rows of one model, buffered and written with COPY (PostgreSQL) or bulk_create.

    `columns` are attnames given in every row (in order); every other concrete column gets its
    field default (auto_now fields: now). With `own_ids` the primary key is the first column and
    comes from `allocate`; otherwise the database numbers the rows.
    """

    def __init__(self, command: Command, model: type[models.Model], columns: list[str], own_ids):
        self.command, self.model, self.own_ids = command, model, own_ids
        pk = model._meta.pk.attname
        self.columns = [pk, *columns] if own_ids else list(columns)
        now = timezone.now()
        self.extras: list[tuple[str, object]] = []
        for f in model._meta.concrete_fields:
            if f.attname in self.columns or f.attname == pk:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            self.extras.append((f.attname, value))

        def is_json(attname: str) -> bool:
            return isinstance(model._meta.get_field(_field_name(model, attname)), models.JSONField)

        # COPY takes JSON as text: the indexes of JSON columns, and the defaults already encoded.
        self.json_columns = {i for i, name in enumerate(self.columns) if is_json(name)}
        self.copy_extras = tuple(json.dumps(v) if is_json(n) else v for n, v in self.extras)
        self.rows: list[tuple] = []
        self.written = 0
        self._ids: list[int] = []
        self._next = 0

    def allocate(self) -> int:
        if self._next >= len(self._ids):
            self._ids, self._next = self.command.reserve_ids(self.model, self.command.batch_size), 0
        value = self._ids[self._next]
        self._next += 1
        return value

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.command.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.command.use_copy:
            self._copy()
        else:
            self._bulk_create()
        self.written += len(self.rows)
        self.rows = []

    def _copy(self) -> None:
        quote = connection.ops.quote_name
        names = [*self.columns, *(name for name, _ in self.extras)]
        json_columns, extra_values = self.json_columns, self.copy_extras
        sql = (
            f"COPY {quote(self.model._meta.db_table)} ({', '.join(quote(n) for n in names)}) "
            "FROM STDIN"
        )
        connection.ensure_connection()  # inside the command's transaction: the same session
        with connection.connection.cursor() as raw, raw.copy(sql) as copy:
            for row in self.rows:
                if json_columns:
                    row = tuple(
                        json.dumps(v) if i in json_columns else v for i, v in enumerate(row)
                    )
                copy.write_row(row + extra_values)

    def _bulk_create(self) -> None:
        extras = dict(self.extras)
        objects = []
        for row in self.rows:
            values = dict(extras)
            values.update(zip(self.columns, row, strict=True))
            objects.append(self.model(**values))
        self.model.objects.bulk_create(objects, batch_size=self.command.batch_size)


def _field_name(model: type[models.Model], attname: str) -> str:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f.name
    raise CommandError(f"{model.__name__} has no column {attname}")


# --- the plan -------------------------------------------------------------------------------------


@dataclass
class CredentialPlan:
    id: int
    designation: str
    status: str
    certified_since: dt.date
    cycle_start: dt.date
    cycle_end: dt.date
    first_dual_cycle: bool = False


@dataclass
class ReportPlan:
    id: int
    member: int
    program: str
    credentials: list[CredentialPlan]
    cycle_start: dt.date
    cycle_end: dt.date
    status: str = "open"
    current: bool = True
    entries: int = 0
    heavy: bool = False


@dataclass
class MemberPlan:
    id: int
    index: int
    program: str
    credentials: list[CredentialPlan] = field(default_factory=list)
    reports: list[ReportPlan] = field(default_factory=list)
    memberships: list[tuple[str, int]] = field(default_factory=list)
    year_keys: set[str] = field(default_factory=set)


class Command(BaseCommand):
    help = "Generate members, credentials, reports and entries for load tests (bulk inserts)."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=100_000)
        parser.add_argument("--entries", type=int, default=2_000_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=20_000)
        parser.add_argument(
            "--reports-fraction",
            type=float,
            default=0.25,
            help="Share of current reports already submitted (in review, payment due...).",
        )
        parser.add_argument(
            "--heavy-fraction",
            type=float,
            default=0.01,
            help="Share of current reports with about 300 entries.",
        )
        parser.add_argument(
            "--prefix", default="load-", help="Username prefix of generated members."
        )
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
        parser.add_argument(
            "--no-copy", action="store_true", help="Use bulk_create even on PostgreSQL."
        )
        parser.add_argument("--delete", action="store_true", help="Delete generated data and stop.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG=0.")

    # --- entry point ------------------------------------------------------------------------------

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off, so this may be a production database: pass --force to generate "
                "load data anyway."
            )
        self.prefix = options["prefix"]
        if len(self.prefix) < 2:
            raise CommandError("--prefix must be at least 2 characters.")
        self.batch_size = max(options["batch_size"], 100)
        self.use_copy = connection.vendor == "postgresql" and not options["no_copy"]
        self.verbose = options["verbosity"] >= 1
        began = time.perf_counter()
        if options["delete"]:
            with transaction.atomic(), pages_version.paused(connection):
                deleted = self.delete_generated()
            self.say(f"Deleted {deleted:,} rows in {time.perf_counter() - began:.1f} s.")
            return
        if User.objects.filter(username__startswith=self.prefix).exists():
            raise CommandError(
                f"Members named {self.prefix}* exist already: run with --delete first."
            )
        if options["members"] < 1 or options["entries"] < 0:
            raise CommandError("--members must be at least 1 and --entries not negative.")
        self.rng = random.Random(options["seed"])
        self.today = options["today"] or timezone.localdate()
        self.now = timezone.now()
        self.reports_fraction = options["reports_fraction"]
        self.heavy_fraction = options["heavy_fraction"]
        self._id_cursor: dict[type, int] = {}
        # A trigger per row would slow the load down: the pages-version triggers are paused for
        # it, and every generated member gets a new version at the end.
        with transaction.atomic(), pages_version.paused(connection):
            counts = self.generate(options["members"], options["entries"])
            self.renew_pages_versions()
            self.settle_site()
        elapsed = time.perf_counter() - began
        summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        self.say(f"Generated {summary} in {elapsed:.1f} s.")
        if connection.vendor == "postgresql":
            # Fresh statistics (or the planner guesses: a 30 ms EntryFile scan on the portal page)
            # and the visibility map autovacuum would set (index-only counts in the review queue).
            written = [User, Credential, MembershipRecord, Report, ReportCredential, Entry,
                       Entry.reports.through, EntryFile, Invoice, InvoiceLine, Payment]  # fmt: skip
            # VACUUM cannot run inside a transaction (a test's, say): then statistics only.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                for model in written:
                    cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
        elif connection.vendor == "sqlite":
            # SQLite plans without statistics until ANALYZE: the review queue then computes its
            # columns for every queued report before sorting (3 s a page at 23,000 reports).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    def settle_site(self) -> None:
        """What a site in use has: each program's settings row and the invoice counter of the
        configured prefix, so a measured submission never pays their one-time insert."""
        for program in rules.programs():
            fees.program_fees(program.code)
        InvoiceCounter.objects.get_or_create(prefix=settings.INVOICE_NUMBER_PREFIX)

    def renew_pages_versions(self) -> None:
        quote = connection.ops.quote_name
        pattern = self.prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with connection.cursor() as cursor:
            cursor.execute(
                pages_version.renew_members_sql(connection.vendor)
                + f" WHERE {quote('username')} LIKE %s ESCAPE '\\'",
                [pattern],
            )

    def say(self, message: str) -> None:
        if self.verbose:
            self.stdout.write(message)

    # --- ids --------------------------------------------------------------------------------------

    def reserve_ids(self, model: type[models.Model], n: int) -> list[int]:
        """Reserve n primary keys: from the table's sequence on PostgreSQL (safe while the portal
        runs), past max(id) elsewhere."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, model._meta.pk.column, n],
                )
                return [row[0] for row in cursor.fetchall()]
        start = self._id_cursor.get(model)
        if start is None:
            start = (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        self._id_cursor[model] = start + n
        return list(range(start, start + n))

    # --- generation -------------------------------------------------------------------------------

    def generate(self, n_members: int, n_entries: int) -> dict[str, int]:
        t0 = time.perf_counter()
        users = Table(
            self,
            User,
            ["username", "email", "first_name", "last_name", "password", "member_number",
             "organization", "street", "city", "state", "postal_code", "date_joined"],
            own_ids=True,
        )  # fmt: skip
        credentials = Table(
            self,
            Credential,
            ["holder_id", "program", "designation", "certified_since", "cycle_start", "cycle_end",
             "renewed_on", "status", "first_dual_cycle"],
            own_ids=True,
        )  # fmt: skip
        memberships = Table(
            self, MembershipRecord, ["member_id", "kind", "organization", "year"], own_ids=False
        )
        password = make_password(LOAD_PASSWORD)
        first_number = self._first_member_number()
        plans: list[MemberPlan] = []
        for index in range(n_members):
            plan = self.plan_member(index, users.allocate())
            plans.append(plan)
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            city, state = self.rng.choice(CITIES)
            since = min(c.certified_since for c in plan.credentials)
            users.add(
                (plan.id, f"{self.prefix}{index:06d}", f"{self.prefix}{index}@load.example.org",
                 first, f"{last}{index % 997}", password, str(first_number + index),
                 f"Agency {index % 500}", f"{index} Main Street", city, state, "62701",
                 dt.datetime.combine(since, dt.time(9), tzinfo=dt.UTC))
            )  # fmt: skip
            for c in plan.credentials:
                c.id = credentials.allocate()
                renewed = c.cycle_start - dt.timedelta(days=3) if c.status == "renew" else None
                credentials.add(
                    (c.id, plan.id, plan.program, c.designation, c.certified_since, c.cycle_start,
                     c.cycle_end, renewed, c.status, c.first_dual_cycle)
                )  # fmt: skip
            for kind, year in plan.memberships:
                memberships.add((plan.id, kind, "", year))
        users.flush()
        credentials.flush()
        memberships.flush()
        self.say(
            f"  {users.written:,} members, {credentials.written:,} credentials, "
            f"{memberships.written:,} membership records: {time.perf_counter() - t0:.1f} s"
        )
        self.create_staff(password)

        t1 = time.perf_counter()
        all_reports = [r for p in plans for r in p.reports]
        self.allocate_entries(all_reports, n_entries)
        self.choose_statuses(all_reports)
        counts = self.write_reports_and_entries(plans)
        self.say(f"  reports, entries and invoices: {time.perf_counter() - t1:.1f} s")
        return {
            "members": users.written,
            "credentials": credentials.written,
            "membership records": memberships.written,
            **counts,
        }

    def _first_member_number(self) -> int:
        # Ten digits from 9000000000: never one of the portal's own eight-digit numbers.
        found = (
            User.objects.filter(member_number__regex=r"^9[0-9]{9}$")
            .aggregate(m=models.Max("member_number"))
            .get("m")
        )
        return int(found) + 1 if found else 9_000_000_000

    def create_staff(self, password: str) -> None:
        User.objects.create(
            username=f"{self.prefix}staff",
            email=f"{self.prefix}staff@load.example.org",
            first_name="Load",
            last_name="Reviewer",
            password=password,
            is_staff=True,
            is_superuser=True,
            member_number=str(self._first_member_number()),
        )

    def plan_member(self, index: int, user_id: int) -> MemberPlan:
        rng = self.rng
        program_code = weighted(rng, PROGRAM_MIX)
        program = rules.get_program(program_code)
        plan = MemberPlan(user_id, index, program_code)
        if program_code == "ipma-hr":
            designations = [weighted(rng, IPMA_DESIGNATIONS)]
        elif program_code == "namss":
            if rng.random() < NAMSS_DUAL_SHARE:
                designations = ["CPCS", "CPMSM"]
            else:
                designations = ["CPCS" if rng.random() < 0.7 else "CPMSM"]
        else:
            designations = ["CHMM"]
        status = weighted(rng, CREDENTIAL_STATUSES)
        start = self.cycle_start(program, past=status in ("lapsed", "terminated"))
        end = program.cycle_end(start)
        renewals = 0 if status == "new" else rng.randint(1, 3)
        since = add_years(start, -program.cycle_years * renewals)
        dual_first = len(designations) > 1 and rng.random() < 0.2
        for designation in designations:
            plan.credentials.append(
                CredentialPlan(0, designation, status, since, start, end, dual_first)
            )
        if status != "inactive":
            plan.reports.append(ReportPlan(0, user_id, program_code, plan.credentials, start, end))
        if status == "renew" and rng.random() < PREVIOUS_CYCLE_SHARE:
            previous = add_years(start, -program.cycle_years)
            if program_code == "namss":
                previous = dt.date(start.year - program.cycle_years, 12, 2)
            if previous >= since:
                plan.reports.append(
                    ReportPlan(
                        0, user_id, program_code, plan.credentials, previous,
                        program.cycle_end(previous), status="approved", current=False,
                    )
                )  # fmt: skip
        if program_code == "ipma-hr":
            years = range(start.year, min(end.year, self.today.year) + 1)
            national = rng.random() < 0.5
            chapter = rng.random() < 0.2
            for year in years:
                if national:
                    plan.memberships.append((MembershipRecord.Kind.NATIONAL, year))
                if chapter:
                    plan.memberships.append((MembershipRecord.Kind.CHAPTER, year))
        return plan

    def cycle_start(self, program: rules.Program, *, past: bool) -> dt.date:
        """A cycle containing today (or, when `past`, the cycle that ended before it)."""
        today = self.today
        if program.cycle.ends_on is not None:  # NAMSS: 2 December to 1 December three years later
            candidates = [
                dt.date(y, 12, 2)
                for y in range(today.year - program.cycle_years - 1, today.year + 1)
                if dt.date(y, 12, 2) <= today <= program.cycle_end(dt.date(y, 12, 2))
            ]
            start = self.rng.choice(candidates)
            if past:
                start = dt.date(start.year - program.cycle_years, 12, 2)
            return start
        span = (program.cycle_end(today) - today).days + 1
        start = today - dt.timedelta(days=self.rng.randrange(span))
        while program.cycle_end(start) < today:  # 29 February
            start += dt.timedelta(days=1)
        if past:
            start = add_years(start, -program.cycle_years) - dt.timedelta(days=30)
        return start

    def allocate_entries(self, reports: list[ReportPlan], total: int) -> None:
        """Spread exactly `total` entries over the reports: lognormal, with some at about 300."""
        if not reports or total == 0:
            return
        rng = self.rng
        heavy = [
            r
            for r in reports
            if r.current and r.credentials[0].status in Credential.OPEN_STATUSES
            and rng.random() < self.heavy_fraction
        ]  # fmt: skip
        targets = {id(r): rng.randint(280, 320) for r in heavy}
        heavy_sum = sum(targets.values())
        if heavy_sum > total // 2:
            scale = (total // 2) / heavy_sum
            targets = {k: int(v * scale) for k, v in targets.items()}
            heavy_sum = sum(targets.values())
        for r in heavy:
            r.entries, r.heavy = targets[id(r)], True
        rest = [r for r in reports if not r.heavy]
        remaining = total - heavy_sum
        if not rest:
            heavy[0].entries += remaining
            return
        weights = [rng.lognormvariate(0, 0.7) for _ in rest]
        scale = remaining / sum(weights)
        shares = [w * scale for w in weights]
        for r, share in zip(rest, shares, strict=True):
            r.entries = math.floor(share)
        leftover = remaining - sum(r.entries for r in rest)
        by_fraction = sorted(
            range(len(rest)), key=lambda i: shares[i] - math.floor(shares[i]), reverse=True
        )
        for i in by_fraction[:leftover]:
            rest[i].entries += 1

    def choose_statuses(self, reports: list[ReportPlan]) -> None:
        """Submit a share of the current open reports, preferring those with enough entries."""
        candidates = [
            r
            for r in reports
            if r.current and r.credentials[0].status in Credential.OPEN_STATUSES and not r.heavy
        ]
        eligible = [r for r in candidates if r.entries >= SUBMIT_THRESHOLD[r.program]]
        if not eligible:
            return
        chance = min(1.0, self.reports_fraction * len(candidates) / len(eligible))
        for r in eligible:
            if self.rng.random() < chance:
                r.status = weighted(self.rng, PIPELINE)

    # --- reports and entries ----------------------------------------------------------------------

    def write_reports_and_entries(self, plans: list[MemberPlan]) -> dict[str, int]:
        reports = Table(
            self,
            Report,
            ["member_id", "program", "cycle_start", "cycle_end", "status", "agreed_on",
             "submitted_at", "decided_at", "points_counted", "points_required", "snapshot",
             "selected_for_audit", "audit_selected_at", "created_at"],
            own_ids=True,
        )  # fmt: skip
        links = Table(
            self, ReportCredential, ["report_id", "credential_id", "cycle_start"], own_ids=False
        )
        entries = Table(
            self,
            Entry,
            ["member_id", "program", "kind", "category", "date", "year", "quantity",
             "organization", "group", "approved", "details", "year_key", "created_at"],
            own_ids=True,
        )  # fmt: skip
        through = Table(self, Entry.reports.through, ["entry_id", "report_id"], own_ids=False)
        files = Table(
            self,
            EntryFile,
            ["entry_id", "file", "original_name", "content_type", "size"],
            own_ids=False,
        )
        invoices = Table(
            self,
            Invoice,
            ["prefix", "counter", "number", "member_id", "report_id", "kind", "status",
             "description", "currency", "issued_on", "payable_from", "due_on", "billing_name",
             "billing_address", "billing_email", "member_number", "total", "paid_at"],
            own_ids=True,
        )  # fmt: skip
        lines = Table(
            self,
            InvoiceLine,
            ["invoice_id", "position", "fee_code", "description", "quantity", "unit_price",
             "amount"],
            own_ids=False,
        )  # fmt: skip
        payments = Table(
            self,
            Payment,
            ["invoice_id", "method", "status", "amount", "currency", "check_number",
             "check_date", "received_on", "confirmed_at"],
            own_ids=False,
        )  # fmt: skip
        self._invoice_counter = 0
        self._kinds = {
            p.code: [k for k in p.kinds if k.code in KIND_WEIGHTS and k.member_entry]
            for p in rules.programs()
        }
        self._checked = 0
        for n, plan in enumerate(plans):
            for report in plan.reports:
                report.id = reports.allocate()
                activities = self.write_entries(plan, report, entries, through, files)
                self.write_report(plan, report, activities, reports, links)
                if report.status != "open":
                    self.write_invoice(plan, report, invoices, lines, payments)
            if self.verbose and n and n % 20_000 == 0:
                self.say(f"    {n:,} members, {entries.written + len(entries.rows):,} entries")
        for table in (reports, links, entries, through, files, invoices, lines, payments):
            table.flush()
        return {
            "reports": reports.written,
            "entries": entries.written,
            "entry-report links": through.written,
            "files": files.written,
            "invoices": invoices.written,
        }

    def write_entries(self, plan, report: ReportPlan, entries, through, files):
        """Entries of one report; returns [(entry id, Activity)] for scoring."""
        rng = self.rng
        program = rules.get_program(report.program)
        kinds = self._kinds[report.program]
        picked = rng.choices(kinds, weights=[KIND_WEIGHTS[k.code] for k in kinds], k=report.entries)
        last = min(report.cycle_end, self.today)
        window = max((last - report.cycle_start).days, 0)
        years = range(report.cycle_start.year, last.year + 1)
        keys = plan.year_keys
        fallback = kinds[0]
        activities = []
        for kind in picked:
            values = self.entry_values(kind, report, window, years)
            key = None
            if kind.unique_per:
                key = entry_year_key(program, values)
                if key in keys:
                    kind = fallback
                    values = self.entry_values(kind, report, window, years)
                    key = None
                else:
                    keys.add(key)
            activity = rules.Activity(**values)
            self._checked += 1
            if self._checked % 101 == 1:  # a sample through the engine's own validation
                rules.check_activity(program, activity)
            entry_id = entries.allocate()
            day = values.get("date") or dt.date(values["year"], 12, 31)
            entered = dt.datetime.combine(
                min(day + dt.timedelta(days=rng.randrange(21)), self.today),
                dt.time(rng.randrange(8, 20), rng.randrange(60), rng.randrange(60)),
                tzinfo=dt.UTC,
            )
            entries.add(
                (entry_id, plan.id, report.program, kind.code, kind.category, values.get("date"),
                 values.get("year"), values["quantity"], values["organization"], values["group"],
                 values["approved"], self.details(kind), key, min(entered, self.now))
            )  # fmt: skip
            through.add((entry_id, report.id))
            if kind.uploads.max_files and rng.random() < FILE_SHARE:
                files.add(
                    (entry_id, f"entries/{plan.id}/{rng.getrandbits(128):032x}.pdf",
                     "certificate.pdf", "application/pdf", rng.randrange(20_000, 900_000))
                )  # fmt: skip
            activities.append((entry_id, activity))
        return activities

    def entry_values(self, kind: rules.Kind, report: ReportPlan, window: int, years) -> dict:
        rng = self.rng
        rule = kind.latest.quantity
        if rule.fixed is not None:
            quantity = rule.fixed
        else:
            step = rule.step or Decimal(1)
            quantity = (rule.minimum or step) + step * rng.choice(QUANTITY_STEPS)
            if rule.maximum is not None:
                quantity = min(quantity, rule.maximum)  # a multiple of the step, as declared
        values = {
            "kind": kind.code,
            "quantity": quantity,
            "organization": "",
            "group": "",
            "approved": False,
        }
        if kind.period == "dated":
            values["date"] = report.cycle_start + dt.timedelta(days=rng.randrange(window + 1))
        else:
            values["year"] = rng.choice(years)
        names = {f.name for f in kind.fields}
        if "organization" in names:
            values["organization"] = rng.choice(ORGANIZATIONS)
        if "group" in names:
            values["group"] = f"Conference {rng.randrange(6)}"
        if "approved" in names:
            values["approved"] = rng.random() < 0.6
        return values

    def details(self, kind: rules.Kind) -> dict:
        rng = self.rng
        found = {}
        for spec in kind.fields:
            if spec.scoring:
                continue
            if not spec.required and rng.random() < 0.5:
                found[spec.name] = ""
            elif spec.type == "choice":
                found[spec.name] = rng.choice(spec.choices)[0]
            elif spec.type == "integer":
                found[spec.name] = str(rng.randint(1, 3))
            elif spec.type == "url":
                found[spec.name] = f"https://example.org/{rng.randrange(1000)}"
            elif spec.name in ("sponsor", "provider", "publication"):
                found[spec.name] = rng.choice(SPONSORS)
            else:
                found[spec.name] = rng.choice(TITLES)
        return found

    def write_report(self, plan, report: ReportPlan, activities, reports, links) -> None:
        rng = self.rng
        points_counted = points_required = agreed = submitted = decided = None
        snapshot: dict = {}
        if report.status != "open":
            autos = [
                rules.Activity(kind=f"ipma.membership.{kind}", year=year, organization="IPMA-HR")
                for kind, year in plan.memberships
                if report.cycle_start.year <= year <= report.cycle_end.year
            ]
            result = rules.evaluate(
                program=report.program,
                credentials=sorted(c.designation for c in report.credentials),
                cycle_start=report.cycle_start,
                cycle_end=report.cycle_end,
                activities=[*autos, *(a for _, a in activities)],
                first_dual_cycle=report.credentials[0].first_dual_cycle,
            )
            program = rules.get_program(report.program)
            ids = [None] * len(autos) + [entry_id for entry_id, _ in activities]
            snapshot = {
                "lines": [
                    {
                        "entry": entry_id,
                        "kind": line.kind,
                        "category": program.kind(line.kind).category,
                        "claimed": rules.format_decimal(line.claimed),
                        "counted": rules.format_decimal(line.counted),
                        "reason": line.reason,
                        "auto": entry_id is None,
                    }
                    for entry_id, line in zip(ids, result.lines, strict=True)
                ],
                "total": rules.format_decimal(result.total),
                "required": rules.format_decimal(result.required),
            }
            points_counted, points_required = result.total, result.required
            last = min(report.cycle_end, self.today)
            agreed = last - dt.timedelta(days=rng.randrange(0, 60))
            agreed = max(agreed, report.cycle_start)
            submitted = dt.datetime.combine(agreed, dt.time(rng.randrange(8, 22)), tzinfo=dt.UTC)
            submitted = min(submitted, self.now)
            if report.status == "approved":
                decided = submitted + dt.timedelta(days=rng.randrange(1, 30))
        created = dt.datetime.combine(report.cycle_start, dt.time(6), tzinfo=dt.UTC)
        reports.add(
            (report.id, plan.id, report.program, report.cycle_start, report.cycle_end,
             report.status, agreed, submitted, decided, points_counted, points_required,
             snapshot, report.status == "audit", submitted if report.status == "audit" else None,
             min(created, self.now))
        )  # fmt: skip
        for c in report.credentials:
            links.add((report.id, c.id, report.cycle_start))

    def write_invoice(self, plan, report: ReportPlan, invoices, lines, payments) -> None:
        fee = rules.default_fees(report.program)["recertification"]
        self._invoice_counter += 1
        counter = self._invoice_counter
        invoice_id = invoices.allocate()
        issued = min(report.cycle_end, self.today) - dt.timedelta(days=self.rng.randrange(60))
        issued = max(issued, report.cycle_start)
        paid = report.status not in ("submitted", "payment_due")
        paid_at = dt.datetime.combine(issued, dt.time(12), tzinfo=dt.UTC) if paid else None
        designations = " + ".join(sorted(c.designation for c in report.credentials))
        prefix = f"LD{self.prefix.strip('-').upper()[:4]}-"
        invoices.add(
            (invoice_id, prefix, counter, f"{prefix}{counter:07d}", plan.id, report.id,
             "recertification", "paid" if paid else "open", f"Recertification, {designations}",
             fee.currency, issued, issued, issued + dt.timedelta(days=30), "Load Member",
             f"{plan.index} Main Street\nSpringfield, IL 62701", "", "", fee.amount, paid_at)
        )  # fmt: skip
        lines.add(
            (invoice_id, 1, "recertification", f"Recertification fee, {designations}", 1,
             fee.amount, fee.amount)
        )  # fmt: skip
        if paid:
            payments.add(
                (invoice_id, "check", "confirmed", fee.amount, fee.currency, f"{1000 + counter}",
                 issued, issued, paid_at)
            )  # fmt: skip

    # --- deleting ---------------------------------------------------------------------------------

    def delete_generated(self) -> int:
        """Delete the generated members and every row that depends on them, with set-based SQL."""
        quote = connection.ops.quote_name
        users = User._meta
        where = f"{quote(users.db_table)}.{quote('username')} LIKE %s ESCAPE '\\'"
        params = [self.prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"]
        with connection.cursor() as cursor:
            return self._delete(cursor, User, where, params, quote, depth=0)

    def _delete(self, cursor, model, where: str, params: list, quote, depth: int) -> int:
        if depth > 6:
            raise CommandError(f"Dependencies of {model.__name__} are nested too deeply.")
        meta = model._meta
        table = quote(meta.db_table)
        # Identifiers come from the models, quoted; the one value (the prefix) is a parameter.
        ids = f"SELECT {table}.{quote(meta.pk.column)} FROM {table} WHERE {where}"  # noqa: S608
        deleted = 0
        # Rows of automatic many-to-many tables (Entry.reports) on either side.
        m2m = [(f.remote_field.through, f.m2m_column_name()) for f in meta.many_to_many]
        m2m += [
            (r.through, r.field.m2m_reverse_name()) for r in meta.related_objects if r.many_to_many
        ]
        for through, column in m2m:
            if through._meta.auto_created:
                sql = (
                    f"DELETE FROM {quote(through._meta.db_table)} WHERE {quote(column)} IN ({ids})"  # noqa: S608
                )
                cursor.execute(sql, params)
                deleted += max(cursor.rowcount, 0)
        for relation in meta.related_objects:
            child = relation.related_model
            if child is model or not isinstance(relation.field, models.ForeignKey):
                continue
            child_table = quote(child._meta.db_table)
            column = f"{child_table}.{quote(relation.field.column)}"
            child_where = f"{column} IN ({ids})"
            if relation.on_delete is models.SET_NULL:
                sql = f"UPDATE {child_table} SET {quote(relation.field.column)} = NULL WHERE {child_where}"  # noqa: S608
                cursor.execute(sql, params)
            else:
                deleted += self._delete(cursor, child, child_where, params, quote, depth + 1)
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
        return deleted + max(cursor.rowcount, 0)
