"""Plugin instances as stored by the seed reconcile, and how the core builds them."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite
import httpx
from pydantic import ValidationError

from anibridge_like.plugins.env import resolve_config
from anibridge_like.plugins.registry import Registry
from anibridge_like.storage.database import ReaderPool


@dataclass(frozen=True, slots=True)
class InstanceRow:
    """One ``plugin_instances`` row with its library scope (``None`` = all libraries)."""

    id: int
    name: str
    implementation: str
    kind: str
    site: str | None
    enabled: bool
    config: dict[str, Any]
    libraries: tuple[str, ...] | None
    refresh_interval_hours: float | None
    refresh_cron: str | None


_SELECT = (
    "SELECT p.id, p.name, p.implementation, p.kind, p.site, p.enabled, p.config,"
    " p.all_libraries, p.refresh_interval_hours, p.refresh_cron,"
    " (SELECT json_group_array(l.slug) FROM plugin_instance_libraries s"
    "  JOIN libraries l ON l.id = s.library_id WHERE s.instance_id = p.id) AS scope"
    " FROM plugin_instances p"
)


def _row(r: Any) -> InstanceRow:
    scope = tuple(sorted(json.loads(r["scope"])))
    return InstanceRow(
        id=r["id"],
        name=r["name"],
        implementation=r["implementation"],
        kind=r["kind"],
        site=r["site"],
        enabled=bool(r["enabled"]),
        config=json.loads(r["config"]),
        libraries=None if r["all_libraries"] else scope,
        refresh_interval_hours=r["refresh_interval_hours"],
        refresh_cron=r["refresh_cron"],
    )


async def load_instances(
    readers: ReaderPool | aiosqlite.Connection, kind: str | None = None
) -> list[InstanceRow]:
    """All instances (of ``kind``), ordered by name."""
    sql = _SELECT + (" WHERE p.kind = ?" if kind else "") + " ORDER BY p.name"
    params = (kind,) if kind else ()
    if isinstance(readers, ReaderPool):
        rows = await readers.fetchall(sql, params)
    else:
        rows = list(await readers.execute_fetchall(sql, params))
    return [_row(r) for r in rows]


def build_plugin(
    registry: Registry,
    instance: InstanceRow,
    client: httpx.AsyncClient,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """Construct the instance's implementation with its validated config (``*_env`` values and
    the seed's inline secrets applied). An invalid config raises ``ValueError`` naming each bad
    field, never echoing the values (pydantic's own text shows the input, secrets included)."""
    impl = registry.get(instance.kind, instance.implementation)
    return impl(validated_config(impl, resolved_config(instance, environ)), client)


def validated_config(impl: Any, resolved: Mapping[str, Any]) -> Any:
    """``impl.config_model`` of ``resolved``; ``ValueError`` naming each bad field otherwise."""
    try:
        return impl.config_model.model_validate(resolved)
    except ValidationError as exc:
        problems = "; ".join(
            f"config.{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ValueError(f"invalid config ({problems})") from None


def resolved_config(
    instance: InstanceRow, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The instance's config as its implementation receives it (``*_env`` names resolved, the
    seed's inline secrets put back): what the plugin worker builds its copy from."""
    return resolve_config(instance.config, os.environ if environ is None else environ)
