"""The house's floors hold: no import circle, no import hidden in a function to dodge one, faces
never import each other, only services commit, and no module grows past 500 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "helpdesk"
FACES = ("portal", "agent", "supervisor", "settings", "auth", "api", "attachments", "admin")
# Imports inside a function, each with the reason it is not at the top of its module.
LATE_IMPORTS = {
    # The app factory imports the blueprints, handlers and commands when it builds an app,
    # so importing helpdesk (the models, a service) does not import every page.
    ("helpdesk", "create_app"),
}
# Modules allowed past 500 lines: declarative tables only (none today).
LONG_MODULES: set[str] = set()
LINES_MAX = 500
# Who may commit a transaction: services (and the background writers that are services in
# all but folder), never a view, socket handler or command.
COMMITTERS = ("helpdesk.services.", "helpdesk.realtime.linewriter")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(name: str, node: ast.ImportFrom | ast.Import, known: set[str]) -> set[str]:
    """The helpdesk modules an import statement of module `name` loads."""
    targets = set()
    if isinstance(node, ast.Import):
        targets = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        if node.level:
            package = name.split(".")
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        targets = {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {t for t in targets if t in known}


def graph() -> tuple[dict[str, set[str]], list[tuple[str, str, int, str]]]:
    """Module-level import edges, and (module, function, line, target) of imports in functions."""
    known = set(modules())
    edges: dict[str, set[str]] = {name: set() for name in known}
    late = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            targets = imported(name, node, known)
            owner = _enclosing_function(tree, node)
            if owner is None:
                if not _type_checking_only(tree, node):
                    edges[name] |= targets
            elif targets:
                late.append((name, owner, node.lineno, sorted(targets)[0]))
    return edges, late


def _enclosing_function(tree: ast.Module, target: ast.AST) -> str | None:
    for node in ast.walk(tree):
        functions = (ast.FunctionDef, ast.AsyncFunctionDef)
        if isinstance(node, functions) and any(child is target for child in ast.walk(node)):
            return node.name
    return None


def _type_checking_only(tree: ast.Module, target: ast.AST) -> bool:
    for node in tree.body:
        guarded = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        if guarded and any(child is target for child in ast.walk(node)):
            return True
    return False


def _registers_views(importer: str, imported_name: str) -> bool:
    # A blueprint package imports its own view modules at its end to register them, and
    # they import its `bp`: Flask's documented pattern, not a circle between two floors.
    return imported_name.startswith(importer + ".")


def test_no_module_imports_itself_through_others():
    edges, _late = graph()
    circles = set()
    for start in edges:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in edges[node]:
                if nxt == node or _registers_views(node, nxt):
                    continue
                if nxt == start:
                    circles.add(tuple(sorted((path[-1], start))))
                elif nxt not in path and len(path) < 12:
                    stack.append((nxt, [*path, nxt]))
    assert not circles, "import circles (pairs closing one): " + "; ".join(
        f"{a} <-> {b}" for a, b in sorted(circles)
    )


def test_no_import_hides_inside_a_function():
    _edges, late = graph()
    hidden = [item for item in late if (item[0], item[1]) not in LATE_IMPORTS]
    assert not hidden, "imports inside functions: " + "; ".join(
        f"{module}.{function} (line {line}) imports {target}"
        for module, function, line, target in hidden
    )


def test_faces_never_import_each_other():
    edges, late = graph()
    crossings = []
    for module, targets in edges.items():
        face = _face(module)
        for target in targets:
            other = _face(target)
            if face and other and face != other:
                crossings.append(f"{module} imports {target}")
    for module, _function, _line, target in late:
        if _face(module) and _face(target) and _face(module) != _face(target):
            crossings.append(f"{module} imports {target}")
    assert not crossings, "faces importing other faces: " + "; ".join(sorted(crossings))


def _face(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FACES else None


def test_only_services_commit():
    committing = []
    for name, path in modules().items():
        if name.startswith(COMMITTERS):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ".commit()" in line and not line.lstrip().startswith("#"):
                committing.append(f"{name}:{number}")
    assert not committing, "commits outside services: " + ", ".join(committing)


def test_no_module_is_over_500_lines():
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text().splitlines())) > LINES_MAX and name not in LONG_MODULES
    }
    assert not long, f"modules over {LINES_MAX} lines: {long}"


def test_the_checks_see_what_they_look_for(tmp_path):
    # The walkers are not vacuous: the package has edges, a face, and a service that commits.
    edges, _late = graph()
    assert "helpdesk.services.tickets" in edges["helpdesk.agent.routes"]
    assert _face("helpdesk.api.tickets") == "api" and _face("helpdesk.web.forms") is None
    assert ".commit()" in modules()["helpdesk.services.accounts"].read_text()


def test_the_metrics_backlog_is_the_tickets_open_statuses():
    # The domain (pure code) defines the backlog figure itself; it must mean the same as the
    # models' one word for "still needs work".
    from helpdesk.domain.metrics import BACKLOG_STATUSES, SOLVED_STATUSES
    from helpdesk.models import OPEN_STATUSES, STATUSES

    assert BACKLOG_STATUSES == OPEN_STATUSES
    assert set(OPEN_STATUSES) | set(SOLVED_STATUSES) == set(STATUSES)
