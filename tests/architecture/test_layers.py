"""The apps form layers and every import points down (docs/architecture.md).

Read from the source with `ast`, so a new import anywhere in the product code is checked: an app may
import only itself and the layers below it; the rules engine imports nothing but the standard library
and itself; and a project import sits at the top of its module, never inside a function (where it
would hide a dependency, or a circle, until run time). The few named exceptions are listed below.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. `recertification.rules` is its own layer: pure Python under every app.
LAYERS = [
    "recertification.rules",
    "core",
    "members",
    "recertification",
    "providers",
    "payments",
    "lifecycle",
    "backoffice",
    "demo",
    "recert_portal",
]
APPS = {name.split(".")[0] for name in LAYERS}

# Where a project import may sit inside a function: an AppConfig.ready connects receivers once the
# app registry is ready (importing them at module top would load models too early).
FUNCTION_IMPORTS_ALLOWED = {("*/apps.py", "ready")}


@dataclass(frozen=True)
class Import:
    path: str
    line: int
    target: str
    function: str | None


def _layer_of_module(module: str) -> int | None:
    """The index in LAYERS of a dotted module name, the most specific layer first."""
    best = None
    for index, layer in enumerate(LAYERS):
        inside = module == layer or module.startswith(layer + ".")
        if inside and (best is None or len(layer) > len(LAYERS[best])):
            best = index
    return best


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_files() -> list[Path]:
    files = []
    for app in sorted(APPS):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # history: written against the layout of its day
            files.append(path)
    return files


def imports_of(path: Path, source: str | None = None) -> list[Import]:
    """The project imports of one file (`source`: its text, when it is not on disk)."""
    text = path.read_text() if source is None else source
    tree = ast.parse(text, filename=str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(str(path), child.lineno, alias.name, inner))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                    target = ".".join([*base, child.module] if child.module else base)
                else:
                    target = child.module or ""
                for alias in child.names:
                    # `from pkg import module` imports pkg.module
                    full = f"{target}.{alias.name}"
                    found.append(
                        Import(str(path), child.lineno, full if _is_module(full) else target, inner)
                    )
            visit(child, inner)

    visit(tree, None)
    unique = dict.fromkeys(i for i in found if i.target.split(".")[0] in APPS)
    return list(unique)


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _allowed_in_function(imp: Import) -> bool:
    path = Path(imp.path)
    return any(
        path.match(pattern) and imp.function == function
        for pattern, function in FUNCTION_IMPORTS_ALLOWED
    )


def layering_violations(files: list[Path], sources: dict[Path, str] | None = None) -> list[str]:
    problems = []
    for path in files:
        own = _layer_of_module(_module_name(path))
        for imp in imports_of(path, (sources or {}).get(path)):
            target = _layer_of_module(imp.target)
            where = f"{Path(imp.path).relative_to(ROOT)}:{imp.line}"
            if own is not None and target is not None and target > own:
                problems.append(
                    f"{where} imports {imp.target} ({LAYERS[target]}), a layer above "
                    f"{LAYERS[own]}: tell it through a signal instead"
                )
            if imp.function and not _allowed_in_function(imp):
                problems.append(f"{where} imports {imp.target} inside {imp.function}()")
    return problems


def test_every_import_points_down_and_sits_at_module_top():
    assert layering_violations(product_files()) == []


def test_the_rules_engine_is_pure():
    """recertification/rules/: the standard library and itself, no Django and no other app."""
    allowed = set(sys.stdlib_module_names) | {"recertification"}
    problems = []
    for path in sorted((ROOT / "recertification" / "rules").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top not in allowed or (top == "recertification" and ".rules" not in name):
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert problems == []


def test_installed_apps_list_the_layers_in_order():
    """INSTALLED_APPS lists the portal's apps lowest first, as the layers are."""
    from django.conf import settings

    ours = [a for a in settings.INSTALLED_APPS if a.split(".")[0] in APPS]
    ours = [a for a in ours if not a.startswith("core.admin_site")]
    assert ours == [layer for layer in LAYERS if layer in APPS and "." not in layer][:-1]


# --- the guard itself catches what it must --------------------------------------------------


def _probe(relative: str, source: str) -> list[str]:
    """The guard's verdict on a file that is not in the tree (nothing is written)."""
    path = ROOT / relative
    return layering_violations([path], {path: source})


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("members/probe.py", "from payments.models import Invoice\n", "a layer above"),
        ("recertification/probe.py", "from backoffice import review\n", "a layer above"),
        (
            "payments/probe.py",
            "from . import models\nfrom lifecycle import lapse\n",
            "a layer above",
        ),
        ("payments/probe.py", "def f():\n    from recertification import services\n", "inside f()"),
        ("core/probe.py", "import members.models\n", "a layer above"),
        ("recertification/rules/probe.py", "from recertification import models\n", "a layer above"),
    ],
)
def test_the_guard_reports_an_upward_or_hidden_import(relative, source, expected):
    problems = _probe(relative, source)
    assert len(problems) == 1 and expected in problems[0], problems


def test_the_guard_accepts_downward_imports():
    source = (
        "from core.audit import log_action\nfrom payments.models import Invoice\n"
        "from recertification import rules\nfrom . import models\n"
    )
    assert _probe("lifecycle/probe.py", source) == []


def test_no_program_is_named_outside_its_rules_module():
    """A program's policy lives in its declaration: no product code or template names its code."""
    from recertification.rules import programs

    codes = [p.code for p in programs()]
    quoted = re.compile("|".join(rf"[\"']{re.escape(code)}[\"']" for code in codes))
    places = [*product_files(), *sorted((ROOT / "templates").rglob("*.html"))]
    places += sorted((ROOT / "templates").rglob("*.txt"))
    found = []
    for path in places:
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("recertification", "rules") or relative.parts[0] == "demo":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if quoted.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
