"""The dependency rule of docs/architecture.md, checked over the import graph of the code.

Every module of the four packages (tests and migrations aside) belongs to one layer; a module may
import modules of its own layer or of a lower one, never of a higher one, and no two modules may
import each other, directly or round a circle. A new module that fits no layer fails here until
it is given one — deliberately, in ``LAYERS`` below and in the architecture document.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("keyaccounts", "accounts", "relationships", "complaints", "plays", "exchange", "api")

# Lowest first. A module belongs to the layer of the longest prefix that names it ("=name": that
# module alone, for package roots).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "shared",
        (
            "keyaccounts.clock",
            "keyaccounts.editing",
            "keyaccounts.bulk",
            "keyaccounts.middleware",
            "keyaccounts.faults",
            "keyaccounts.errors",
            "keyaccounts.spreadsheets",
            "keyaccounts.third_party_messages",
            "keyaccounts.trigram",
            "keyaccounts.money",
            "keyaccounts.formats",
            "keyaccounts.widgets",
        ),
    ),
    (
        "customer core",
        (
            "accounts.account_forms",
            "accounts.bands",
            "accounts.fields",
            "accounts.forms",
            "accounts.intel_forms",
            "accounts.packing",
            "accounts.locking",
            "accounts.models",
            "accounts.people",
            "accounts.permissions",
            "accounts.role_groups",
            "accounts.services",
            "accounts.standing",
            "accounts.signals",
            "accounts.context_processors",
            "accounts.templatetags",
            "accounts.spreadsheet_safety",
        ),
    ),
    # cadence_due: the cadences' stored due dates and their refresh; signals: the refresh on saves.
    ("relationships", ("relationships", "relationships.cadence_due", "relationships.signals")),
    ("complaints", ("complaints",)),
    ("risk", ("accounts.risk",)),
    ("plays", ("plays",)),
    ("workspace", ("accounts.workspace",)),
    ("portfolio", ("accounts.portfolio",)),
    ("demo data", ("accounts.demo",)),
    ("data exchange", ("exchange",)),
    ("api", ("api",)),
    (
        "entry points",
        (
            "=keyaccounts",
            "keyaccounts.settings",
            "keyaccounts.settings_test",
            "keyaccounts.urls",
            "keyaccounts.health",
            "keyaccounts.celery",
            "keyaccounts.wsgi",
            "keyaccounts.asgi",
            "keyaccounts.loadtest",
            "=accounts",
            "accounts.apps",
            "relationships.apps",
            "complaints.apps",
            "accounts.nightly",
            "accounts.tasks",
            "accounts.views",
            "accounts.admin",
            "accounts.urls",
            "accounts.management",
            "relationships.views",
            "relationships.admin",
            "relationships.urls",
            "complaints.views",
            "complaints.admin",
            "complaints.urls",
            "complaints.tasks",
            "complaints.management",
            "plays.apps",
            "plays.views",
            "plays.admin",
            "plays.urls",
            "plays.management",
        ),
    ),
]


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "tests" in parts or "migrations" in parts:
                continue
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            found[name] = (path, is_package)
    return found


MODULES = _modules()


def _resolve(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _imports(name: str) -> set[str]:
    """The project modules ``name`` imports, wherever in the file (late imports count too; imports
    for type checkers only do not)."""
    path, is_package = MODULES[name]
    base = name.split(".") if is_package else name.split(".")[:-1]
    imported = set()
    tree = ast.parse(path.read_text(), filename=str(path))
    # Imports for type checkers only never run: they are not dependencies.
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                module = ".".join(anchor + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target)
            if resolved and resolved != name:
                imported.add(resolved)
    return imported


GRAPH = {name: _imports(name) for name in MODULES}


def layer_of(module: str) -> int | None:
    best, best_length = None, -1
    for index, (_label, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if prefix.startswith("="):
                matches = module == prefix[1:]
            else:
                matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def test_every_module_has_a_layer():
    assert [m for m in sorted(MODULES) if layer_of(m) is None] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_nothing_above_its_layer(module):
    own = layer_of(module)
    upward = sorted(
        f"{module} ({LAYERS[own][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for target in GRAPH[module]
        if layer_of(target) > own
    )
    assert upward == []


def test_the_customer_core_imports_neither_relationships_nor_complaints():
    core = [m for m in MODULES if LAYERS[layer_of(m)][0] == "customer core"]
    assert core, "the layer table names the customer core"
    crossing = sorted(
        f"{m} imports {t}" for m in core for t in GRAPH[m] if t.split(".")[0] in {"relationships", "complaints"}
    )
    assert crossing == []


def test_shared_utilities_import_no_app():
    shared = [m for m in MODULES if LAYERS[layer_of(m)][0] == "shared"]
    assert [f"{m} imports {t}" for m in shared for t in sorted(GRAPH[m]) if layer_of(t) != 0] == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(GRAPH[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    assert _cycles() == []


def test_the_checker_sees_a_cycle_and_an_upward_import():
    # The checks above would pass on an empty graph; prove they read the real one.
    assert "accounts.models" in GRAPH["accounts.risk.engine"] or any(
        t.startswith("accounts.models") for t in GRAPH["accounts.risk.engine"]
    )
    assert layer_of("accounts.views.workspace") > layer_of("accounts.workspace.today") > layer_of("accounts.models")
    GRAPH["accounts.models"].add("accounts.workspace.today")
    GRAPH["accounts.workspace.today"].add("accounts.models")
    try:
        assert any({"accounts.models", "accounts.workspace.today"} <= set(cycle) for cycle in _cycles())
    finally:
        GRAPH["accounts.models"].discard("accounts.workspace.today")


MAX_MODULE_LINES = 500


def test_no_module_is_over_500_lines():
    long = {
        name: lines
        for name, (path, _pkg) in MODULES.items()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_every_package_opens_with_a_docstring():
    missing = [
        name
        for name, (path, is_package) in MODULES.items()
        if is_package
        and name.count(".") < 2
        and "management" not in name
        and "templatetags" not in name
        and not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert missing == []
