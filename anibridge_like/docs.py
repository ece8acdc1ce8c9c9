"""Generate the README's settings table from the Settings model.

``python -m anibridge_like.docs`` prints the table; ``--write README.md`` replaces the block
between the ``<!-- settings:begin -->`` and ``<!-- settings:end -->`` markers. A test keeps the
README equal to the model, so the two cannot drift.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic_core import PydanticUndefined

from anibridge_like.settings import Settings

BEGIN = "<!-- settings:begin -->"
END = "<!-- settings:end -->"


def settings_table() -> str:
    lines = ["| variable | default | description |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "—" if default is PydanticUndefined or default is None else f"`{default}`"
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `ANIBRIDGE_{name.upper()}` | {shown} | {description} |")
    return "\n".join(lines)


def replace_block(text: str) -> str:
    head, sep, rest = text.partition(BEGIN)
    if not sep:
        raise ValueError(f"marker {BEGIN} not found")
    _, sep2, tail = rest.partition(END)
    if not sep2:
        raise ValueError(f"marker {END} not found")
    return f"{head}{BEGIN}\n{settings_table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--write":
        path = Path(argv[1])
        path.write_text(replace_block(path.read_text("utf-8")), "utf-8")
        return 0
    sys.stdout.write(settings_table() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
