"""What a hostile browser can post: strategies for the property-based form tests, and one helper
that posts an example and checks the two promises (never a server error; nothing changes in the
database when the input is refused)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from hypothesis import strategies as st

from .conftest import changed_tables, db_fingerprint, tried

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "\x1b[31m",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE entries; --",
    "' OR '1'='1",
    "=cmd|' /C calc'!A0",
    "+SUM(1,1)",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%00",
    "%2e%2e%2f",
    "{{ settings.SECRET_KEY }}",
    "${jndi:ldap://x}",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓ ünïcödé 中文 العربية",
    "\u202e\u200b\ufeff",
    "Ω" * 300,
    "9" * 400,
    "a" * 5000,
]
NUMBERS = [
    "-1",
    "0",
    "-0",
    "0.0001",
    "-0.0001",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "Infinity",
    "-Infinity",
    "1,000",
    "1_000",
    "０",  # full-width zero
    "١٢",  # Arabic-Indic digits
    "99999999999999999999",
    "-99999999999999999999",
    "2147483648",
    "9223372036854775808",
    "0x10",
    "1/2",
    "12.345678901234567890",
]
DATES = [
    "2024-02-30",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2024-01-01",
    "12/31/2024",
    "31/12/2024",
    "2024/12/31",
    "2024-1-1",
    "2024",
    "yesterday",
    "2024-12-31T25:61:00",
]

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(min_size=140, max_size=600),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp"])),
    st.sampled_from(NASTY),
)
HOSTILE_NUMBER = st.one_of(
    st.sampled_from(NUMBERS),
    st.integers().map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str),
)
HOSTILE_DATE = st.one_of(
    st.sampled_from(DATES),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%m/%d/%Y")),
)
# Anything at all for a field: text, numbers, dates.
ANYTHING = st.one_of(HOSTILE_TEXT, HOSTILE_NUMBER, HOSTILE_DATE)


def form_data(fields: dict[str, st.SearchStrategy], draw) -> dict:
    """Each field left out, sent once, or sent several times (a list), with hostile values."""
    data: dict = {}
    for name, strategy in fields.items():
        shape = draw(st.sampled_from(["missing", "one", "one", "one", "many"]), label=f"{name}?")
        if shape == "one":
            data[name] = draw(strategy, label=name)
        elif shape == "many":
            data[name] = draw(st.lists(strategy, min_size=2, max_size=3), label=name)
    return data


def post_and_check(
    form: str,
    send: Callable[[], object],
    *,
    accepted: Callable[[object], bool] = lambda r: r.status_code == 302,
    allowed: tuple[int, ...] = (200, 302, 400, 403, 404, 405, 429),
):
    """Post one generated example inside a savepoint that is rolled back afterwards (examples do
    not see each other's changes). Never a server error; a refused input changes nothing."""
    tried(form)
    with transaction.atomic():
        before = db_fingerprint()
        response = send()
        assert response.status_code in allowed, (form, response.status_code)
        assert b"Traceback" not in response.content
        if not accepted(response):
            changed = changed_tables(before, db_fingerprint())
            assert changed == [], f"{form}: a refused input changed {changed}"
        transaction.set_rollback(True)
    return response
