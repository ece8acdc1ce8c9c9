"""Reconcile the seed into the database: one writer unit applies added, changed and removed
libraries, plugin instances (with their library scope) and pinned mappings; running it again
changes nothing, and a failure rolls all of it back.

Secrets written inline in a plugin config never reach the database: the stored config holds a
keyed digest in their place and the values stay in memory
(:mod:`anibridge_like.plugins.inline_secrets`); ``secret_key`` is the digests' HMAC key
(:func:`~anibridge_like.plugins.inline_secrets.install_key`; plain SHA-256 without one)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from anibridge_like.keys import key_digest
from anibridge_like.plugins.env import resolve_env
from anibridge_like.plugins.inline_secrets import holds_plain_secret, seal
from anibridge_like.plugins.registry import PLUGIN_KINDS, Registry
from anibridge_like.seed import PluginSeed, Seed
from anibridge_like.seed_guard import refuse_emptying
from anibridge_like.storage.timestamps import now_iso


@dataclass
class ReconcileReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Seed entries not applied because an API-created row holds the name (left untouched)."""

    @property
    def noop(self) -> bool:
        return not (self.added or self.changed or self.removed)


def _kind_column(
    registry: Registry, plugin: PluginSeed, column: str, env: Mapping[str, str]
) -> Any:
    """The value of a kind-specific ``plugin_instances`` column (NULL for kinds without it)."""
    if column not in PLUGIN_KINDS[plugin.kind].columns:
        return None
    if column == "site":  # the catalog site key: the config's ``site``, else the capabilities'
        impl = registry.get(plugin.kind, plugin.implementation)
        config = impl.config_model.model_validate(resolve_env(plugin.config, env))
        site = getattr(config, "site", None)
        return str(site) if site else str(impl.capabilities.site)
    return getattr(plugin, column)


def make_reconcile_unit(
    seed: Seed,
    registry: Registry,
    environ: Mapping[str, str] | None = None,
    *,
    allow_empty: bool = False,
    secret_key: bytes | None = None,
) -> Any:
    """A writer unit applying ``seed`` to the database; returns a ReconcileReport. A seed that
    would remove every library is refused unless ``allow_empty``
    (:func:`anibridge_like.seed_guard.refuse_emptying`)."""
    env = os.environ if environ is None else environ
    lib_rows = {
        lib.slug: (
            lib.name,
            lib.kind,
            json.dumps(lib.categories),
            json.dumps([str(x) for x in lib.languages]),
            key_digest(lib.api_key) if lib.api_key else None,  # stored as a digest
        )
        for lib in seed.libraries
    }
    plugin_rows = {
        p.name: (
            p.implementation,
            p.kind,
            _kind_column(registry, p, "site", env),
            int(p.enabled),
            json.dumps(seal(p.config, secret_key), sort_keys=True),  # no inline secret
            int(p.libraries is None),
            _kind_column(registry, p, "refresh_interval_hours", env),
            _kind_column(registry, p, "refresh_cron", env),
        )
        for p in seed.plugins
    }
    scopes = {p.name: sorted(set(p.libraries or [])) for p in seed.plugins}
    job_rows = {
        (lib.slug, job.name): (
            job.type,
            job.cron,
            job.timezone,
            int(job.enabled),
            json.dumps(job.config, sort_keys=True),
        )
        for lib in seed.libraries
        for job in lib.jobs
    }

    async def unit(conn: aiosqlite.Connection) -> ReconcileReport:
        report = ReconcileReport()
        current = {
            r[0]: tuple(r[1:])
            for r in await conn.execute_fetchall(
                "SELECT slug, name, kind, categories, languages, api_key FROM libraries"
            )
        }
        refuse_emptying(list(current), list(lib_rows), allow_empty)
        for slug in sorted(set(current) - set(lib_rows)):
            await conn.execute("DELETE FROM libraries WHERE slug = ?", (slug,))
            report.removed.append(f"library {slug}")
        for slug, row in lib_rows.items():
            if slug not in current:
                await conn.execute(
                    "INSERT INTO libraries(slug, name, kind, categories, languages, api_key)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (slug, *row),
                )
                report.added.append(f"library {slug}")
            elif current[slug] != row:
                await conn.execute(
                    "UPDATE libraries SET name=?, kind=?, categories=?, languages=?, api_key=?"
                    " WHERE slug=?",
                    (*row, slug),
                )
                report.changed.append(f"library {slug}")
        current_p = {
            r[0]: tuple(r[1:])
            for r in await conn.execute_fetchall(
                "SELECT name, implementation, kind, site, enabled, config, all_libraries,"
                " refresh_interval_hours, refresh_cron FROM plugin_instances"
            )
        }
        scrub = any(holds_plain_secret(json.loads(row[4])) for row in current_p.values())
        if scrub:  # a row from before inline secrets were sealed: zero the clear text it frees
            secure_delete = list(await conn.execute_fetchall("PRAGMA secure_delete"))[0][0]
            await conn.execute("PRAGMA secure_delete = ON")
        current_scope: dict[str, list[str]] = {}
        for name, slug in await conn.execute_fetchall(
            "SELECT p.name, l.slug FROM plugin_instance_libraries s"
            " JOIN plugin_instances p ON p.id = s.instance_id"
            " JOIN libraries l ON l.id = s.library_id ORDER BY l.slug"
        ):
            current_scope.setdefault(name, []).append(slug)
        for name in sorted(set(current_p) - set(plugin_rows)):
            await conn.execute("DELETE FROM plugin_instances WHERE name = ?", (name,))
            report.removed.append(f"plugin {name}")
        for name, prow in plugin_rows.items():
            if name not in current_p:
                await conn.execute(
                    "INSERT INTO plugin_instances(name, implementation, kind, site, enabled,"
                    " config, all_libraries, refresh_interval_hours, refresh_cron)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (name, *prow),
                )
                report.added.append(f"plugin {name}")
            elif current_p[name] != prow or current_scope.get(name, []) != scopes[name]:
                await conn.execute(
                    "UPDATE plugin_instances SET implementation=?, kind=?, site=?, enabled=?,"
                    " config=?, all_libraries=?, refresh_interval_hours=?, refresh_cron=?"
                    " WHERE name=?",
                    (*prow, name),
                )
                report.changed.append(f"plugin {name}")
            else:
                continue
            await conn.execute(
                "DELETE FROM plugin_instance_libraries WHERE instance_id ="
                " (SELECT id FROM plugin_instances WHERE name = ?)",
                (name,),
            )
            await conn.executemany(
                "INSERT INTO plugin_instance_libraries(instance_id, library_id)"
                " SELECT p.id, l.id FROM plugin_instances p, libraries l"
                " WHERE p.name = ? AND l.slug = ?",
                [(name, slug) for slug in scopes[name]],
            )
        if scrub:  # (left on if the unit fails: it only costs zeroing freed space)
            await conn.execute(f"PRAGMA secure_delete = {int(secure_delete)}")
        await _reconcile_jobs(conn, job_rows, report)
        # Always applied (idempotent): removing the last seed override must unpin it too.
        from anibridge_like.catalog.overrides import MappingOverride, apply_overrides

        overrides = [MappingOverride.model_validate(raw) for raw in seed.mapping_overrides]
        if await apply_overrides(conn, overrides):
            report.changed.append("mapping overrides")
        return report

    return unit


_JobKey = tuple[str, str]


async def _reconcile_jobs(
    conn: aiosqlite.Connection, wanted: dict[_JobKey, tuple[Any, ...]], report: ReconcileReport
) -> None:
    """Seed jobs (``managed_by = 'seed'``) added, changed and removed; API-created jobs are
    never touched (a seed job whose name an API job holds is reported as kept)."""
    current: dict[_JobKey, tuple[Any, ...]] = {}
    owners: dict[_JobKey, str] = {}
    for r in await conn.execute_fetchall(
        "SELECT l.slug, j.name, j.type, j.cron, j.timezone, j.enabled, j.config, j.managed_by"
        " FROM jobs j JOIN libraries l ON l.id = j.library_id"
    ):
        key = (r[0], r[1])
        current[key] = (r[2], r[3], r[4], r[5], json.dumps(json.loads(r[6]), sort_keys=True))
        owners[key] = r[7]
    stamp = now_iso()
    for key in sorted(k for k in current if owners[k] == "seed" and k not in wanted):
        await conn.execute(
            "DELETE FROM jobs WHERE name = ? AND library_id = (SELECT id FROM libraries"
            " WHERE slug = ?)",
            (key[1], key[0]),
        )
        report.removed.append(f"job {key[0]}/{key[1]}")
    for key, row in wanted.items():
        label = f"job {key[0]}/{key[1]}"
        if key not in current:
            await conn.execute(
                "INSERT INTO jobs(library_id, type, cron, timezone, enabled, config, name,"
                " managed_by, created_at, updated_at)"
                " SELECT id, ?, ?, ?, ?, ?, ?, 'seed', ?, ? FROM libraries WHERE slug = ?",
                (*row, key[1], stamp, stamp, key[0]),
            )
            report.added.append(label)
        elif owners[key] != "seed":
            report.kept.append(label)
        elif current[key] != row:
            await conn.execute(
                "UPDATE jobs SET type = ?, cron = ?, timezone = ?, enabled = ?, config = ?,"
                " updated_at = ? WHERE name = ? AND library_id = (SELECT id FROM libraries"
                " WHERE slug = ?)",
                (*row, stamp, key[1], key[0]),
            )
            report.changed.append(label)
