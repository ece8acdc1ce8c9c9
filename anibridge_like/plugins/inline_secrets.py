"""Secrets written inline in the seed's plugin configs: kept out of the database, held in memory.

A config value whose key is named like a credential (:func:`anibridge_like.redaction.
is_secret_name`: ``api_key``, ``token``, ``password`` …, at any depth of nested mappings; a list
under such a key counts element by element; ``*_env`` keys name variables and are not secrets) is
never written to ``plugin_instances.config``. The seed reconcile stores it as a marker::

    {"api_key": {"$inline_secret": "hmac-sha256:9c1f…"}}

— a keyed digest of the value (HMAC-SHA256 under :func:`install_key`, the per-install key kept in
the data dir; plain SHA-256 where no key is given), so a change of only the secret in the seed
still changes the stored row: the reconcile reports the instance as changed and the plugin
manager rebuilds it. The value itself lives in the process's :class:`SecretVault` (digest →
value), filled by :func:`seal` from the seed loaded at every start; :func:`reveal` puts the
values back where a stored config is resolved for building a plugin
(:func:`anibridge_like.plugins.env.resolve_config`). A marker whose value this process never
loaded (a database from another seed, say) fails that build with :class:`InlineSecretMissing`
naming the path — the instance is ``not_configured``, never called with a wrong credential.

:func:`public_config` is a stored config as the admin API shows it: markers and credential-named
values as ``***``, credentials inside URLs redacted, ``*_env`` variable names kept.

The vault is process-wide and content-addressed (like :mod:`anibridge_like.redaction`'s known
secrets): every place that builds plugins from stored rows (the plugin manager, the catalog
pipeline, enrichment, hoster links) resolves markers without threading a handle through, and two
apps in one process (tests) cannot see each other's values under the wrong instance.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from typing import Any

from anibridge_like.redaction import MASK, is_secret_name, redact_text

MARKER = "$inline_secret"
"""The one key of a marker mapping; reserved in seed configs."""
_KEY_PURPOSE = b"anibridge-like: inline plugin config secrets"


class InlineSecretMissing(ValueError):
    """A stored marker whose value this process does not hold."""

    def __init__(self, path: str) -> None:
        self.path = path
        name = path.rsplit(".", 1)[-1].split("[", 1)[0]
        super().__init__(
            f"{path}: an inline secret of the seed, kept only in memory, is not loaded in this "
            f"process (start the daemon from the seed that holds it, or use {name}_env)"
        )


class SecretVault:
    """Digest → value of every inline secret sealed in this process."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def put(self, digest: str, value: Any) -> None:
        with self._lock:
            self._values[digest] = value

    def get(self, digest: str) -> Any:
        """The value sealed under ``digest`` (``KeyError`` when none was)."""
        return self._values[digest]

    def __len__(self) -> int:
        return len(self._values)


VAULT = SecretVault()
"""The process's vault (see the module docstring)."""


def install_key(settings: Any) -> bytes:
    """The HMAC key of the stored digests: derived from the per-install key in the data dir
    (``<data_dir>/stream_secret``, created once, or the ``stream_secret`` setting)."""
    from anibridge_like.downloads.tokens import stream_key

    return hmac.new(stream_key(settings), _KEY_PURPOSE, hashlib.sha256).digest()


def secret_key_name(name: object) -> bool:
    """Whether a config key holds a credential (``*_env`` keys hold variable names)."""
    return isinstance(name, str) and is_secret_name(name) and not name.endswith("_env")


def _secret_scalar(value: object) -> bool:
    if isinstance(value, str):
        return value != ""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_marker(value: object) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get(MARKER), str)


def digest(value: Any, key: bytes | None) -> str:
    """The stored digest of a secret value (its JSON form, so ``"1"`` and ``1`` differ)."""
    payload = json.dumps(value).encode("utf-8", "surrogatepass")
    if key:
        return "hmac-sha256:" + hmac.new(key, payload, hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def seal(
    config: Mapping[str, Any], key: bytes | None, vault: SecretVault = VAULT
) -> dict[str, Any]:
    """``config`` as stored: every inline secret replaced by its marker (the value kept in
    ``vault``)."""

    def walk(value: Any, secret: bool) -> Any:
        if isinstance(value, Mapping):
            return {k: walk(v, secret_key_name(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, secret) for v in value]
        if secret and _secret_scalar(value):
            sealed = digest(value, key)
            vault.put(sealed, value)
            return {MARKER: sealed}
        return value

    out: dict[str, Any] = walk(config, False)
    return out


def reveal(
    config: Mapping[str, Any], vault: SecretVault = VAULT, where: str = "config"
) -> dict[str, Any]:
    """A stored config with its markers replaced by the values (:class:`InlineSecretMissing`
    naming the first marker the vault lacks)."""

    def walk(value: Any, path: str) -> Any:
        if is_marker(value):
            try:
                return vault.get(value[MARKER])
            except KeyError:
                raise InlineSecretMissing(path) from None
        if isinstance(value, Mapping):
            return {k: walk(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    out: dict[str, Any] = walk(config, where)
    return out


def public_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A config as the admin API shows it: no secret value, in whatever form it is held."""

    def walk(value: Any, secret: bool) -> Any:
        if is_marker(value):
            return MASK
        if isinstance(value, Mapping):
            return {k: walk(v, secret_key_name(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, secret) for v in value]
        if secret and _secret_scalar(value):
            return MASK
        return redact_text(value) if isinstance(value, str) else value

    out: dict[str, Any] = walk(config, False)
    return out


def holds_plain_secret(config: Mapping[str, Any]) -> bool:
    """Whether a stored config holds a credential in clear (a row written before inline secrets
    were sealed): the reconcile then overwrites it with ``secure_delete`` on."""

    def walk(value: Any, secret: bool) -> bool:
        if is_marker(value):
            return False
        if isinstance(value, Mapping):
            return any(walk(v, secret_key_name(k)) for k, v in value.items())
        if isinstance(value, list):
            return any(walk(v, secret) for v in value)
        return secret and _secret_scalar(value)

    return walk(config, False)


def marker_issues(config: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    """``(path, message)`` for every use of the reserved marker key in a seed config."""
    issues: list[tuple[str, str]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            if MARKER in value:
                issues.append((f"{path}.{MARKER}", "reserved key (the stored form of a secret)"))
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk(config, f"{where}.config")
    return issues
