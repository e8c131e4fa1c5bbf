"""edge/ is the one way in: only it (and the worker's own glue) holds a Temporal client; the
CLI and the web layer import no temporalio at all; the old gateways are gone; Temporal
failures are read in one module."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT

# Outside edge/, who may import temporalio.client, and why:
CLIENT_ALLOWED = {
    # the worker is built on a client (Worker(client, ...)), the process glue of the engine
    "worker.py": "Worker(client, ...)",
    # the worker's activities get the worker's client to reach other workflows of the engine
    "activities": "build_activities(deps) hands them the worker's client",
    # benchmarks and the history recorder start their own server and worker, run bare
    # workflows and fetch histories: they measure and record Temporal itself
    "bench": "harness around a test server",
    "scripts/record_histories.py": "fetches histories from its own test server",
}
NO_TEMPORALIO = ("cli", "web")
SKIP = {".venv", "var", "tests", "node_modules", ".git"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in SKIP:
            continue
        yield rel.as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module) -> set[str]:
    """Every module a file imports (``from a import b`` counts as a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _allowed(rel: str) -> bool:
    return rel.startswith("edge/") or any(
        rel == key or rel.startswith(f"{key}/") for key in CLIENT_ALLOWED
    )


MODULES = dict(_modules())


def test_the_walk_sees_the_code() -> None:
    assert "edge/errors.py" in MODULES and "cli/cases.py" in MODULES and "worker.py" in MODULES


def test_only_the_edge_and_the_worker_glue_import_the_temporal_client() -> None:
    offenders = sorted(
        rel
        for rel, tree in MODULES.items()
        if any(name.startswith("temporalio.client") for name in _imports(tree))
        and not _allowed(rel)
    )
    assert offenders == []


@pytest.mark.parametrize("package", NO_TEMPORALIO)
def test_cli_and_web_import_no_temporalio_at_all(package: str) -> None:
    offenders = sorted(
        rel
        for rel, tree in MODULES.items()
        if rel.startswith(f"{package}/")
        and any(name == "temporalio" or name.startswith("temporalio.") for name in _imports(tree))
    )
    assert offenders == []


def test_the_old_gateways_are_gone_and_nothing_imports_them() -> None:
    assert not (ROOT / "gateway.py").exists() and not (ROOT / "council_gateway.py").exists()
    importers = sorted(
        rel
        for rel, tree in MODULES.items()
        if {"gateway", "council_gateway", "cli.scenario_runner"} & _imports(tree)
    )
    assert importers == []


# The names a module uses when it reads a Temporal failure itself instead of asking the edge.
FAILURE_NAMES = {
    "WorkflowUpdateFailedError",
    "WorkflowQueryFailedError",
    "WorkflowFailureError",
    "RPCStatusCode",
    "from_type",
}


def _uses(tree: ast.Module) -> set[str]:
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return names


def test_temporal_failures_are_read_in_one_module_outside_the_workflows() -> None:
    """Workflows turn activity failures into parked steps (inside the engine); everything
    else reads a Temporal failure through edge.errors."""
    readers = sorted(
        rel
        for rel, tree in MODULES.items()
        if FAILURE_NAMES & _uses(tree)
        and not rel.startswith("workflows/")
        and rel != "models/errors.py"
    )
    assert readers == ["edge/errors.py"]


def test_cli_reads_no_yaml_itself() -> None:
    offenders = sorted(
        rel for rel, tree in MODULES.items() if rel.startswith("cli/") and "yaml" in _imports(tree)
    )
    assert offenders == []
