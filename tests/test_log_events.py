"""One naming convention for log events: ``area.what_happened`` (lower snake case, dotted), so a
``jq 'select(.event | startswith("catalog."))'`` finds an area's events. Checked on every literal
event the package logs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "anibridge_like"
EVENT = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
METHODS = {"debug", "info", "warning", "error", "exception", "critical", "msg"}


def _events() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = ast.unparse(node.func.value)
            if node.func.attr not in METHODS or not receiver.endswith("log"):
                continue
            if node.args and isinstance(node.args[0], ast.Constant):
                value = node.args[0].value
                if isinstance(value, str):
                    found.append((str(path.relative_to(PACKAGE)), node.lineno, value))
    return found


def test_the_package_logs_events_at_all() -> None:
    assert len(_events()) > 50


def test_every_event_name_is_dotted_lower_snake_case() -> None:
    bad = [f"{path}:{line}: {event!r}" for path, line, event in _events() if not EVENT.match(event)]
    assert bad == []
