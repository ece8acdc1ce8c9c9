"""The scope rule between plugin instances and libraries is written once
(:mod:`anibridge_like.libraries.scope`): no other module spells its SQL predicate out.

Reading the ``all_libraries`` column to build an instance's scope tuple, or writing scope rows,
is not the rule; a predicate on the flag (``all_libraries = 1``) is."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "anibridge_like"
HOME = PACKAGE / "libraries" / "scope.py"
PREDICATE = re.compile(
    r"all_libraries\s*(?:==?|<>|!=)\s*[01]\b|all_libraries\s+IS\s+(?:NOT\s+)?[01]"
)


def spellings(text: str) -> list[str]:
    return [m.group(0) for m in PREDICATE.finditer(text)]


def test_the_detector_sees_a_spelled_out_rule() -> None:
    assert spellings("WHERE (p.all_libraries = 1 OR EXISTS (SELECT 1 ...))")
    assert spellings("AND pi.all_libraries=0")
    assert not spellings("SELECT name, all_libraries, site FROM plugin_instances")
    assert not spellings("config=?, all_libraries=?, refresh_cron=?")
    assert spellings(HOME.read_text("utf-8"))  # the one home of the rule


def test_only_the_scope_module_spells_the_rule() -> None:
    offenders = {
        str(path.relative_to(PACKAGE.parent)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != HOME and (found := spellings(path.read_text("utf-8")))
    }
    assert offenders == {}, "use libraries.scope (scope_sql / in_scope / shares_library_sql)"
