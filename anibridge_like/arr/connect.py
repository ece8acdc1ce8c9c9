"""``anibridge-like connect sonarr|radarr|prowlarr URL API_KEY``: register every library as a
Torznab indexer through the app's own API, idempotently.

For each resource kind of the app (:mod:`anibridge_like.arr.resources`): read the app's entries
and its schema; for each wanted entry find ours (same implementation and our name, or our
Torznab URL when the user renamed it), then create it from the schema template, update only the
fields we own when they differ, or leave it alone. Entries are saved with ``forceSave`` (an
indexer whose library is still indexing is kept) and then tested by the app itself
(``POST …/test``); its verdict is reported. ``dry_run`` reads but never writes or tests.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from anibridge_like.arr.client import ArrClient, ArrError, Failure, Resource
from anibridge_like.arr.resources import AppSpec, Desired, ResourceKind, Target

Action = Literal["create", "update", "unchanged"]
SECRET_FIELDS = frozenset({"apiKey", "password", "username"})


@dataclass
class Outcome:
    resource: str
    name: str
    action: Action
    body: Resource
    changes: list[str] = field(default_factory=list)
    test: list[Failure] | None = None
    """The app's Test verdict (empty = passed); None when not tested (dry run)."""


def _template(schema: Sequence[Resource], kind: ResourceKind, app: str) -> Resource:
    for entry in schema:
        if entry.get("implementation") != kind.implementation:
            continue
        chosen = entry
        if kind.preset is not None:
            presets = entry.get("presets") or []
            chosen = next((p for p in presets if p.get("name") == kind.preset), entry)
        body = copy.deepcopy(chosen)
        body.pop("presets", None)
        body.pop("id", None)
        return body
    raise ArrError(f"{app} offers no {kind.implementation} {kind.path} (is this {app}?)")


def _field_value(resource: Resource, name: str) -> Any:
    for item in resource.get("fields") or []:
        if item.get("name") == name:
            return item.get("value")
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return bool(a == b or (a in (None, "") and b in (None, "")))


def _apply_fields(body: Resource, desired: Desired, app: str) -> list[str]:
    """Set our fields on ``body``; the names of those that changed."""
    changed = []
    by_name = {item.get("name"): item for item in body.get("fields") or []}
    for name, value in desired.fields.items():
        item = by_name.get(name)
        if item is None:
            raise ArrError(
                f"{app}'s {body.get('implementation')} has no field {name!r}: "
                "an unsupported version of the app?"
            )
        if not _same(item.get("value"), value):
            changed.append(name)
        item["value"] = value
    if body.get("name") != desired.name:
        changed.insert(0, "name")
        body["name"] = desired.name
    return changed


def _ours(existing: Sequence[Resource], kind: ResourceKind, desired: Desired) -> Resource | None:
    mine = [e for e in existing if e.get("implementation") == kind.implementation]
    by_name = next((e for e in mine if e.get("name") == desired.name), None)
    if by_name is not None:
        return by_name
    keys = desired.match_fields
    return next(
        (e for e in mine if all(_field_value(e, k) == desired.fields.get(k) for k in keys)), None
    )


async def _facts(client: ArrClient, app: AppSpec, given: dict[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = dict(given)
    if app.needs_app_profile:
        profiles = await client.entries("appprofile")
        if not profiles:
            raise ArrError(f"{app.name} has no app profile: create one, then run connect again")
        facts["app_profile_id"] = min(int(p["id"]) for p in profiles)
    return facts


async def connect(
    client: ArrClient,
    app: AppSpec,
    targets: Sequence[Target],
    *,
    facts: dict[str, Any],
    dry_run: bool = False,
    kinds: Sequence[str] | None = None,
) -> list[Outcome]:
    """``facts``: see :attr:`ResourceKind.desired`; ``kinds``: only these resource paths."""
    facts = await _facts(client, app, facts)
    outcomes: list[Outcome] = []
    for kind in app.resources:
        if kinds is not None and kind.path not in kinds:
            continue
        existing = await client.entries(kind.path)
        template = _template(await client.schema(kind.path), kind, app.name)
        for desired in kind.desired(app, targets, facts):
            current = _ours(existing, kind, desired)
            if current is None:
                body = copy.deepcopy(template)
                body.update(desired.on_create)
                _apply_fields(body, desired, app.name)
                outcome = Outcome(kind.path, desired.name, "create", body)
            else:
                body = copy.deepcopy(current)
                changes = _apply_fields(body, desired, app.name)
                action: Action = "update" if changes else "unchanged"
                outcome = Outcome(kind.path, desired.name, action, body, changes)
            outcomes.append(outcome)
            if dry_run:
                continue
            if outcome.action == "create":
                outcome.body = await client.create(kind.path, outcome.body)
            elif outcome.action == "update":
                outcome.body = await client.update(kind.path, outcome.body)
            if kind.testable:
                outcome.test = await client.test(kind.path, outcome.body)
    return outcomes


def masked(body: Resource) -> Resource:
    """The body with secret field values replaced (for printing)."""
    shown = copy.deepcopy(body)
    for item in shown.get("fields") or []:
        if item.get("name") in SECRET_FIELDS and item.get("value"):
            item["value"] = "********"
    return shown


def report(app: AppSpec, client: ArrClient, outcomes: Sequence[Outcome], dry_run: bool) -> str:
    lines = []
    for o in outcomes:
        where = f"{client.root}/{o.resource}"
        if dry_run:
            verb = {"create": "POST", "update": "PUT", "unchanged": "nothing to send for"}
            target = where if o.action == "create" else f"{where}/{o.body.get('id')}"
            lines.append(f"would {o.action} {o.resource} {o.name!r}: {verb[o.action]} {target}")
            if o.action != "unchanged":
                changes = f" (changes: {', '.join(o.changes)})" if o.changes else ""
                lines.append(f"  body{changes}: {json.dumps(masked(o.body), sort_keys=True)}")
            continue
        done = {"create": "created", "update": "updated", "unchanged": "unchanged"}[o.action]
        changes = f" ({', '.join(o.changes)})" if o.changes else ""
        lines.append(f"{app.name}: {o.resource} {o.name!r} {done}{changes}")
        if o.test is not None:
            if not o.test:
                lines.append(f"  {app.name}'s test: passed")
            for failure in o.test:
                lines.append(f"  {app.name}'s test: {failure}")
    return "\n".join(lines)
