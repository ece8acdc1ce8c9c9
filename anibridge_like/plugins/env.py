"""Instance configs as written (secrets named by environment variable, or inline in the seed and
stored as markers) → as used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anibridge_like.plugins.inline_secrets import VAULT, SecretVault, reveal


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


def resolve_config(
    config: Mapping[str, Any], environ: Mapping[str, str], vault: SecretVault = VAULT
) -> dict[str, Any]:
    """A stored instance config as the implementation gets it: ``*_env`` keys resolved and the
    seed's inline secrets put back from memory (:mod:`anibridge_like.plugins.inline_secrets`;
    :class:`~anibridge_like.plugins.inline_secrets.InlineSecretMissing` when one is not loaded)."""
    return reveal(resolve_env(config, environ), vault)
