"""The floors of app/ (docs/architecture.md): imports run downhill, no module cycle, no oversized module.

The import graph is read from the source (every ``import`` statement, at module level *and* inside functions),
so an import tucked into a function to dodge a cycle still counts as the edge it is: the graph must be acyclic
and every edge must point to the same floor or one below.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
MAX_LINES = 500

FOUNDATIONS, RULES, MODELS, ACCESS, DOMAIN, REPORTS_AND_API, EDGE = range(1, 8)
FLOOR_NAMES = {
    FOUNDATIONS: "foundations", RULES: "pure rules", MODELS: "models", ACCESS: "access policies",
    DOMAIN: "domain rules, queries and services", REPORTS_AND_API: "reports and API", EDGE: "views, CLI, factory",
}

FOUNDATION_MODULES = {"app.db", "app.extensions", "app.periods", "app.audit", "app.errors", "app.forms",
                      "app.sqlite", "app.idempotency", "app.limits", "app.audit.chain", "app.audit.export"}
# Pure rules and vocabularies: no database session, no models, no Flask request — values in, values out.
PURE_RULE_MODULES = {
    "app.auth.roles", "app.auth.passwords", "app.auth.two_factor",
    "app.programmes.age_bands",
    "app.referrals.eligibility", "app.referrals.ethnicity", "app.referrals.names", "app.referrals.transitions",
    "app.referrals.allocation", "app.referrals.followups", "app.referrals.sessions", "app.referrals.duplicates",
    "app.privacy.retention", "app.reports.suppression",
    "app.clocks.rules",
}
ACCESS_MODULES = {"app.auth.policies", "app.auth.decorators"}
EDGE_MODULES = {"app", "app.factory", "app.cli", "app.demo", "app.demo_years", "app.templating", "app.security", "app.production",
                "app.error_pages", "app.backup"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def floor_of(module: str) -> int:
    parts = module.split(".")
    path = MODULES[module]
    if module in EDGE_MODULES or "views" in parts[2:] or parts[-1] == "cli":
        return EDGE
    if module in FOUNDATION_MODULES or parts[1] == "documents":
        return FOUNDATIONS
    if path.name == "__init__.py" and _only_a_blueprint(path):
        return FOUNDATIONS  # a domain package's __init__ holds its blueprint and nothing else
    if module in PURE_RULE_MODULES or module.startswith("app.finance.rules"):
        return RULES
    if parts[-1] == "models" or module == "app.models":
        return MODELS
    if module in ACCESS_MODULES:
        return ACCESS
    if parts[1] in ("reports", "api"):
        return REPORTS_AND_API
    return DOMAIN


def _only_a_blueprint(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    return not any(isinstance(node, (ast.Import, ast.ImportFrom)) and _is_app(_targets(node, path))
                   for node in tree.body)


def _is_app(names) -> bool:
    return any(n == "app" or n.startswith("app.") for n in names)


def _targets(node, path: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = list(path.relative_to(APP.parent).with_suffix("").parts)
        if path.name == "__init__.py":
            package = package[:-1]
        package = package[:len(package) - node.level] if node.level > 0 else package
        package = package if path.name == "__init__.py" else package
        base = ".".join(package + ([base] if base else []))
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], int]]:
    """Module → modules it imports (anywhere in the file), and the line of each edge."""
    edges: dict[str, set[str]] = defaultdict(set)
    lines: dict[tuple[str, str], int] = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, path):
                resolved = _resolve(target) if target.startswith("app") else None
                if resolved and resolved != module:
                    edges[module].add(resolved)
                    lines.setdefault((module, resolved), node.lineno)
    return edges, lines


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    return found


def test_the_graph_is_read():
    """Guard against a walker that silently finds nothing (the tests below would then pass vacuously)."""
    edges, _ = import_graph()
    assert "app.referrals.models" in edges["app.referrals.services.cases"]
    assert "app.reports.counting" in edges["app.reports.queries"]
    assert sum(len(v) for v in edges.values()) > 300
    assert floor_of("app.referrals.views.cases") == EDGE
    assert floor_of("app.documents.pdf.tables") == FOUNDATIONS
    assert floor_of("app.referrals.models") == MODELS


def test_no_module_cycle():
    edges, _ = import_graph()
    assert _cycles(edges) == []


def test_cycle_detection_finds_a_planted_cycle():
    edges, _ = import_graph()
    planted = {k: set(v) for k, v in edges.items()}
    planted.setdefault("app.db", set()).add("app.referrals.services.cases")
    assert any("app.db" in c and "app.referrals.services.cases" in c for c in _cycles(planted))


def test_imports_run_downhill():
    edges, lines = import_graph()
    climbs = [f"{m}:{lines[(m, t)]} ({FLOOR_NAMES[floor_of(m)]}) imports {t} ({FLOOR_NAMES[floor_of(t)]})"
              for m, targets in sorted(edges.items()) for t in sorted(targets) if floor_of(t) > floor_of(m)]
    assert climbs == []


def test_finance_and_reports_do_not_depend_on_each_other_both_ways():
    """Reports stand above finance (the return's sections A–C are finance figures); finance never looks up."""
    edges, lines = import_graph()
    upward = [f"{m}:{lines[(m, t)]} imports {t}" for m, targets in edges.items() if m.startswith("app.finance")
              for t in targets if t.startswith("app.reports")]
    assert upward == []


def test_no_import_hides_inside_a_function():
    """Imports of the app's own modules sit at the top of the module, where the graph test sees them plainly.
    The one exception is ``app/__init__.py``, whose module ``__getattr__`` reaches the factory lazily so that
    importing ``app.db`` never builds the whole application."""
    hidden = []
    for module, path in MODULES.items():
        if module == "app":
            continue
        for fn in ast.walk(ast.parse(path.read_text())):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                hidden += [f"{module}:{node.lineno}" for node in ast.walk(fn)
                           if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0)
                           and _is_app(_targets(node, path))]
    assert hidden == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_500_lines(module):
    count = len(MODULES[module].read_text().splitlines())
    assert count <= MAX_LINES, f"{module} has {count} lines: split it along its own seams"
