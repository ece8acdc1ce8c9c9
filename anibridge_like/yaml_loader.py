"""Strict reading of the YAML seed: what a lenient ``yaml.safe_load`` lets through is an error.

* **Duplicate keys** in one mapping are an error naming both lines (``safe_load`` silently keeps
  the last one, so a second ``libraries:`` would drop the first list).
* **Not text**: a file with NUL bytes or that is not UTF-8 is an error naming the byte offset,
  not a ``UnicodeDecodeError`` traceback.
* **Empty**: a file that is empty or holds only comments is an error — it used to mean "no
  libraries", and the next start deleted every library. ``libraries: []`` says "none" on purpose.

Problems are returned as ``(path, message)`` pairs for :class:`anibridge_like.seed.SeedError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

EMPTY_SEED = (
    "the seed is empty (no content but comments or whitespace); write `libraries: []` "
    "to mean no libraries on purpose"
)


class YamlProblem(ValueError):
    """The seed file cannot be read as a YAML document; ``where`` is a YAML path or a place."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping."""

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: SafeLoader reports it below
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise ConstructorError(
                        None,
                        None,
                        f"duplicate key {key!r} (line {line}; first given on line {first})",
                        key_node.start_mark,
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _StrictLoader.construct_mapping,
)


def decode_seed(raw: bytes) -> str:
    """The file's text, or YamlProblem when it is binary or not UTF-8."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise YamlProblem("<file>", f"not a text file (NUL byte at offset {nul}); expected YAML")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(
            "<file>", f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text.removeprefix("\ufeff")


def parse_yaml(text: str) -> Any:
    """One YAML document, strictly (duplicate keys refused, empty documents refused)."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise YamlProblem("<yaml>", str(exc)) from None
    if data is None:
        raise YamlProblem("<root>", EMPTY_SEED)
    return data


def read_seed_file(path: Path) -> Any:
    """Read, decode and parse the seed at ``path`` (YamlProblem on any failure)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlProblem("<file>", f"cannot read: {exc.strerror or exc}") from None
    return parse_yaml(decode_seed(raw))
