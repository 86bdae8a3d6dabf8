"""The pages version: a number the database changes whenever anything a member's pages show changes.

Every member has one (`members_user.pages_version`) and the site has one for the settings every
member page shows (`core_pagesversion.value`, the row `SITE_ROW`). Triggers change them in the
same transaction as the write, whoever makes it (services, the admin, a queryset update, raw SQL,
an import), so a page cached under a version can never outlive what it showed; a rolled-back
transaction leaves them as they were. A new version is random rather than the old one plus one, so
a reused primary key, a test database rolled back or a database restored from a backup never meets
a page cached in another timeline.

Each app's migration installs the triggers of its own tables with `operation(...)`:

    operation({
        "members_credential": "{row}.holder_id",             # the member's id from the row
        "payments_invoiceline": "(SELECT member_id FROM payments_invoice WHERE id = {row}.invoice_id)",
        "payments_financesettings": SITE,                    # a site-wide setting
        "members_user": OWN_ROW,                             # the account row itself
    })

`{row}` stands for NEW or OLD. An update changes the version of the member before and after (a
row moved to another member changes both); a delete the member it belonged to.

The account row: an UPDATE that sets any column other than `pages_version` gives the row a new
version, even when it also writes `pages_version` (a full `save()` of an instance loaded before a
trigger changed the version would otherwise put the old version back). Writing only
`pages_version` (what the other triggers do) fires nothing, so nothing loops.

SQLite: a migration that rebuilds a table (most AlterField and AddField operations do) drops the
table's triggers, and refuses to rebuild a table another table's trigger reads ("error in trigger
pages_version_...: no such table"). Such a migration removes the triggers that name the table
first and installs them again after (`operation(...)` run backwards, then forwards);
tests/core/test_pages_version.py checks that every trigger is there.

Bulk loads pause the triggers with `paused(...)` inside their transaction and give the members
they wrote a new version at the end (`renew_members_sql`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial

from django.db import migrations, transaction
from django.db.models import BigIntegerField, Func

SITE = "site"  # the row changes what every member sees: the site-wide version changes
OWN_ROW = "own row"  # members_user itself
SITE_ROW = 1  # the id of core_pagesversion's one row
USER_TABLE = "members_user"
SITE_TABLE = "core_pagesversion"
PREFIX = "pages_version_"
BITS = 62
MASK = (1 << BITS) - 1  # 4611686018427387903: positive in a signed 64-bit column

# A new random version in SQL, per row.
RANDOM_SQL = {
    "postgresql": f"(random() * {MASK})::bigint",
    "sqlite": f"(random() & {MASK})",
}


def new_version() -> int:
    """A new random version (the default of a new account and of the site row)."""
    return secrets.randbits(BITS)


class NewVersion(Func):
    """A new random version made by the database: the column default for inserts that give none
    (raw SQL, migrations' historical models)."""

    output_field = BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return f"({random_sql(connection.vendor)})", []


def random_sql(vendor: str) -> str:
    try:
        return RANDOM_SQL[vendor]
    except KeyError:
        raise NotImplementedError(f"Pages version triggers are not written for {vendor}.") from None


def _name(table: str, suffix: str = "") -> str:
    return f"{PREFIX}{table}{suffix}"


def _bump_sql(vendor: str, target: str, members: list[str]) -> str:
    """The statement that gives the members (SQL expressions) or the site a new version."""
    value = random_sql(vendor)
    if target == SITE:
        return f"UPDATE {SITE_TABLE} SET value = {value} WHERE id = {SITE_ROW}"  # noqa: S608
    where = f"id = {members[0]}" if len(members) == 1 else f"id IN ({', '.join(members)})"
    return f"UPDATE {USER_TABLE} SET pages_version = {value} WHERE {where}"  # noqa: S608


PAUSED_SETTING = "pages_version.paused"


def _unless_paused(table: str) -> str:
    """The PostgreSQL trigger condition: the table is not in the transaction's paused list."""
    return (
        f"WHEN (position(',{table},' in ',' || "
        f"coalesce(current_setting('{PAUSED_SETTING}', true), '') || ',') = 0)"
    )


def _user_columns(connection) -> list[str]:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, USER_TABLE)
    return [c.name for c in described if c.name != "pages_version"]


def create_sql(connection, table: str, member: str) -> list[str]:
    """The statements that install the triggers of one table on this connection's database."""
    vendor = connection.vendor
    quote = connection.ops.quote_name
    if member == OWN_ROW:
        if table != USER_TABLE:
            raise ValueError(f"OWN_ROW is for {USER_TABLE}, not {table}.")
        columns = ", ".join(quote(c) for c in _user_columns(connection))
        if vendor == "postgresql":
            return [
                f"CREATE OR REPLACE FUNCTION {_name(table)}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n  NEW.pages_version := {random_sql(vendor)};\n  RETURN NEW;\nEND $$",
                f"CREATE TRIGGER {_name(table)} BEFORE UPDATE OF {columns} ON {table} "
                f"FOR EACH ROW {_unless_paused(table)} EXECUTE FUNCTION {_name(table)}()",
            ]
        return [
            f"CREATE TRIGGER {_name(table)} AFTER UPDATE OF {columns} ON {table} FOR EACH ROW "
            f"BEGIN {_bump_sql(vendor, USER_TABLE, ['NEW.id'])}; END"
        ]
    new = old = []
    if member != SITE:
        new, old = [member.format(row="NEW")], [member.format(row="OLD")]
    if vendor == "postgresql":
        if member == SITE:
            body = f"  {_bump_sql(vendor, SITE, [])};"
        else:
            body = (
                "  IF TG_OP <> 'DELETE' THEN new_member := " + new[0] + "; END IF;\n"
                "  IF TG_OP <> 'INSERT' THEN old_member := " + old[0] + "; END IF;\n"
                f"  {_bump_sql(vendor, member, ['new_member', 'old_member'])};"
            )
        return [
            f"CREATE OR REPLACE FUNCTION {_name(table)}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "DECLARE\n  new_member bigint;\n  old_member bigint;\n"
            f"BEGIN\n{body}\n  RETURN NULL;\nEND $$",
            f"CREATE TRIGGER {_name(table)} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW {_unless_paused(table)} EXECUTE FUNCTION {_name(table)}()",
        ]
    events = {"insert": new, "update": new + old, "delete": old}
    return [
        f"CREATE TRIGGER {_name(table, '_' + event)} AFTER {event.upper()} ON {table} "
        f"FOR EACH ROW BEGIN {_bump_sql(vendor, member, members)}; END"
        for event, members in events.items()
    ]


def drop_sql(connection, table: str, member: str) -> list[str]:
    """The statements that remove what `create_sql` installed."""
    if connection.vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {_name(table)} ON {table}",
            f"DROP FUNCTION IF EXISTS {_name(table)}()",
        ]
    if member == OWN_ROW:
        return [f"DROP TRIGGER IF EXISTS {_name(table)}"]
    return [
        f"DROP TRIGGER IF EXISTS {_name(table, '_' + e)}" for e in ("insert", "update", "delete")
    ]


def install(tables: Mapping[str, str], apps, schema_editor) -> None:
    for table, member in tables.items():
        for statement in drop_sql(schema_editor.connection, table, member):
            schema_editor.execute(statement, params=None)
        for statement in create_sql(schema_editor.connection, table, member):
            schema_editor.execute(statement, params=None)


def remove(tables: Mapping[str, str], apps, schema_editor) -> None:
    for table, member in tables.items():
        for statement in drop_sql(schema_editor.connection, table, member):
            schema_editor.execute(statement, params=None)


def operation(tables: Mapping[str, str]) -> migrations.RunPython:
    """A migration operation installing the tables' triggers (removing them when unapplied)."""
    tables = dict(tables)
    return migrations.RunPython(partial(install, tables), partial(remove, tables))


def renew_members_sql(vendor: str) -> str:
    """UPDATE giving members a new version each; append a WHERE (no parameters of its own)."""
    return f"UPDATE {USER_TABLE} SET pages_version = {random_sql(vendor)}"  # noqa: S608


def installed(connection) -> dict[str, list[str]]:
    """The pages-version triggers in the database: {table: [trigger names]}."""
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE %s AND pg_table_is_visible(c.oid) "
                "ORDER BY 1, 2",
                [PREFIX.replace("_", "\\_") + "%"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE %s ESCAPE '\\' ORDER BY 1, 2",
                [PREFIX.replace("_", "\\_") + "%"],
            )
        for table, name in cursor.fetchall():
            found.setdefault(table, []).append(name)
    return found


@contextmanager
def paused(connection, tables: Iterable[str] | None = None) -> Iterator[None]:
    """The pages-version triggers of `tables` (all when None) do nothing inside the block.

    For bulk loads, inside their transaction: the block is a savepoint, so an error restores the
    triggers with the rest. PostgreSQL: the triggers are skipped while a transaction-local
    setting names their table (no table lock; other sessions' writes still fire them); SQLite:
    the triggers are dropped and created again after (the load holds the database's write lock).
    The caller gives the members it wrote a new version before the block ends.
    """
    found = installed(connection)
    chosen = sorted(found if tables is None else set(tables) & set(found))
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config(%s, %s, true)", [PAUSED_SETTING, ",".join(chosen)]
                )
            yield
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', true)", [PAUSED_SETTING])
            return
        quote = connection.ops.quote_name
        saved = []
        with connection.cursor() as cursor:
            for name in (n for table in chosen for n in found[table]):
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name]
                )
                saved.append(cursor.fetchone()[0])
                cursor.execute(f"DROP TRIGGER {quote(name)}")
        yield
        with connection.cursor() as cursor:
            for sql in saved:
                cursor.execute(sql)
