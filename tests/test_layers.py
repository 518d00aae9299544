"""The package's layers, low to high: a module imports only from its own layer or lower ones (a lazy import
inside a function counts too), and no two top-level packages import each other, directly or round a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "zapiki"

LAYERS = [
    {"errors", "limits", "lazy", "privatefiles", "config", "cluster_security", "logs"},  # foundations
    {"kernels", "native", "bn254py", "babyjub"},  # BN254 (numba; compiled ahead of time; on ints); Baby Jubjub
    {"formats", "witness", "templates"},  # file formats; the circom witness runtime; the proof templates
    {"systems"},  # proof systems
    {"store", "jobs"},  # the database; running jobs on Dask
    {"schema"},  # the API's shapes and limits
    {"template_keys"},  # the templates' keys, made once per deployment (through the service's repositories)
    {"service"},  # the rules every interface calls
    {"access"},  # keys and rate limits, for the API and the dashboard
    {"api", "dashboard", "client", "cli", "cli_groth16", "cli_issuer", "cli_plonk", "server"},  # interfaces
    {"chaos"},  # the soak, which drives all of it
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _module(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path) -> set[tuple[str, int]]:
    """(imported zapiki module, line) for every import in the file, wherever it stands."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {(a.name, node.lineno) for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if module == "zapiki":  # from zapiki import schema, systems: each a module of its own
                found |= {(f"zapiki.{a.name}", node.lineno) for a in node.names}
            else:
                found.add((module, node.lineno))
    return {(name, line) for name, line in found if name.split(".")[0] == "zapiki"}


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _edges() -> list[tuple[str, str, str]]:
    """(from top-level name, to top-level name, where) for every import across top-level names."""
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = _top(".".join(_module(path)))
        for module, line in _imports(path):
            target = _top(module)
            if source and target and target != source and target in RANK:
                edges.append((source, target, f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"))
    return edges


def test_every_top_level_module_has_a_layer():
    names = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if not p.name.startswith(("_", "."))}
    names = {n for n in names if (PACKAGE / n).is_dir() or (PACKAGE / f"{n}.py").is_file()}
    assert names - {"py"} <= set(RANK), sorted(names - set(RANK))


def test_no_module_imports_from_a_higher_layer():
    upward = [where for source, target, where in _edges() if RANK[target] > RANK[source]]
    assert upward == []


def test_no_two_top_level_packages_import_each_other():
    graph: dict[str, set[str]] = {}
    for source, target, _ in _edges():
        graph.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
        return False

    cycles = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets if reaches(b, a)})
    assert cycles == []


def test_the_check_sees_imports_that_run_up():
    # the checker itself: a lazy import inside a function, relative and absolute, is an edge
    edges = _edges()
    assert ("service", "jobs") in {(s, t) for s, t, _ in edges}
    assert ("dashboard", "service") in {(s, t) for s, t, _ in edges} or ("dashboard", "access") in {
        (s, t) for s, t, _ in edges
    }
