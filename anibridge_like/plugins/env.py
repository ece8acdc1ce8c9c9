"""Instance configs as written (secrets named by environment variable) → as used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def resolve_env(config: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Replace ``foo_env: VAR`` by ``foo: $VAR`` (absent when VAR is unset)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key.endswith("_env") and isinstance(value, str):
            if value in environ:
                out[key[: -len("_env")]] = environ[value]
        else:
            out[key] = value
    return out
