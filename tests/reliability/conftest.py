"""The reliability suite (issue 12): every test here is marked ``reliability`` and runs with the
rest of the suite (``make test``, ``.ci/run``); ``pytest -m reliability`` runs it alone."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)
