"""The folder layout is the architecture: no import cycles between modules, and the lower layers
(``storage``, ``plugins``, ``libraries``, ``jobs``) never import the features built on them.

Imports are read statically (module level, ``if TYPE_CHECKING:`` blocks included — a cycle of
type imports is still a cycle to a reader). Function-local imports are not edges. The one
exception is :mod:`anibridge_like.context`, the composition root, whose ``TYPE_CHECKING`` imports
only type the fields of ``AppContext``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "anibridge_like"
COMPOSITION_ROOT = "anibridge_like.context"

LAYERS: dict[str, set[str]] = {
    # package → packages/modules it must never import
    "anibridge_like.storage": {"plugins", "libraries", "jobs", "catalog", "torznab", "api", "seed"},
    "anibridge_like.plugins": {"jobs", "catalog", "torznab", "api", "seed", "reconcile", "app"},
    "anibridge_like.libraries": {"jobs", "catalog", "torznab", "api", "seed", "reconcile", "app"},
    "anibridge_like.jobs": {"catalog", "torznab", "api", "seed", "reconcile", "app", "providers"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        body = ast.parse(path.read_text("utf-8")).body
        statements = []
        for node in body:
            statements.extend(node.body if isinstance(node, ast.If) else [node])
        for node in statements:
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    graph = _edges(_modules())
    graph[COMPOSITION_ROOT] = set()
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_detector_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_lower_layers_do_not_import_features(layer: str) -> None:
    graph = _edges(_modules())
    banned = {f"anibridge_like.{name}" for name in LAYERS[layer]}
    offenders = [
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        if any(target == b or target.startswith(b + ".") for b in banned)
    ]
    assert offenders == []
