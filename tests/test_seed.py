from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from anibridge_like.plugins.instances import build_plugin, load_instances
from anibridge_like.plugins.registry import Registry
from anibridge_like.reconcile import make_reconcile_unit
from anibridge_like.seed import SeedError, load_seed, parse_seed
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.plugin_doubles import EXTRA, EchoProvider

REGISTRY = Registry(extra=EXTRA)


def _seed_data() -> dict[str, Any]:
    return {
        "libraries": [
            {"slug": "anime", "kind": "anime", "languages": ["de_dub", "de_sub"]},
            {"slug": "series", "name": "TV", "kind": "series", "api_key": "series-key"},
            {"slug": "movies", "kind": "movies"},
        ],
        "plugins": [
            {
                "name": "echo-anime",
                "implementation": "echo",
                "kind": "provider",
                "libraries": ["anime"],
                "config": {"site": "echo-a"},
            },
            {
                "name": "echo-all",
                "implementation": "echo",
                "kind": "provider",
                "config": {"token_env": "ECHO_TOKEN"},
            },
            {
                "name": "echo-tv",
                "implementation": "echo",
                "kind": "provider",
                "libraries": ["series", "movies"],
                "refresh_interval_hours": 6,
            },
        ],
    }


async def _reconcile(writer: Writer, data: dict[str, Any]) -> Any:
    seed = parse_seed(data, REGISTRY, environ={"ECHO_TOKEN": "t0k"})
    return await writer.run(make_reconcile_unit(seed, REGISTRY, {"ECHO_TOKEN": "t0k"}))


async def test_reconcile_adds_everything_then_is_a_noop(
    writer: Writer, readers: ReaderPool
) -> None:
    report = await _reconcile(writer, _seed_data())
    assert len(report.added) == 6 and not report.changed and not report.removed
    again = await _reconcile(writer, _seed_data())
    assert again.noop
    libs = await readers.fetchall(
        "SELECT slug, name, categories, languages FROM libraries ORDER BY slug"
    )
    assert [(r["slug"], r["name"]) for r in libs] == [
        ("anime", "Anime"),
        ("movies", "Movies"),
        ("series", "TV"),
    ]
    assert libs[0]["categories"] == "[5070]"
    assert libs[0]["languages"] == '["de_dub", "de_sub"]'


async def test_multi_instance_scoping(writer: Writer, readers: ReaderPool) -> None:
    await _reconcile(writer, _seed_data())
    instances = {i.name: i for i in await load_instances(readers, "provider")}
    assert instances["echo-anime"].libraries == ("anime",)
    assert instances["echo-all"].libraries is None
    assert instances["echo-tv"].libraries == ("movies", "series")
    assert instances["echo-tv"].refresh_interval_hours == 6
    assert instances["echo-anime"].site == "echo-a"
    assert instances["echo-all"].site == "echo"
    # the same implementation, different config per instance; secrets come from env
    import httpx

    async with httpx.AsyncClient() as client:
        plugin = build_plugin(REGISTRY, instances["echo-all"], client, {"ECHO_TOKEN": "t0k"})
    assert isinstance(plugin, EchoProvider)
    assert plugin.config.token == "t0k"
    assert "token" not in instances["echo-all"].config  # the stored config keeps the env name


async def test_reconcile_applies_changes_and_removals(writer: Writer, readers: ReaderPool) -> None:
    await _reconcile(writer, _seed_data())
    data = _seed_data()
    data["libraries"][1]["name"] = "Television"
    data["plugins"].pop(1)
    data["plugins"][0]["libraries"] = ["anime", "series"]
    data["plugins"].append({"name": "meta", "implementation": "echometa", "kind": "metadata"})
    report = await _reconcile(writer, data)
    assert report.changed == ["library series", "plugin echo-anime"]
    assert report.removed == ["plugin echo-all"]
    assert report.added == ["plugin meta"]
    instances = {i.name: i for i in await load_instances(readers)}
    assert set(instances) == {"echo-anime", "echo-tv", "meta"}
    assert instances["echo-anime"].libraries == ("anime", "series")
    assert (await _reconcile(writer, data)).noop


async def test_deleting_a_library_narrows_scope_never_widens(
    writer: Writer, readers: ReaderPool
) -> None:
    await _reconcile(writer, _seed_data())
    data = _seed_data()
    data["libraries"] = [lib for lib in data["libraries"] if lib["slug"] != "movies"]
    data["plugins"][2]["libraries"] = ["series"]
    await _reconcile(writer, data)
    tv = {i.name: i for i in await load_instances(readers)}["echo-tv"]
    assert tv.libraries == ("series",)
    # a library vanishing under an instance (cascade) leaves it with an empty scope, not "all"
    await writer.execute("DELETE FROM libraries WHERE slug = 'series'")
    tv = {i.name: i for i in await load_instances(readers)}["echo-tv"]
    assert tv.libraries == ()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["plugins"][0].update(libraries=["animee"]),
            "plugins[0].libraries[0]: unknown library 'animee'",
        ),
        (
            lambda d: d["plugins"][0].update(implementation="nope"),
            "plugins[0].implementation: unknown provider implementation 'nope'",
        ),
        (
            lambda d: d["plugins"].append(dict(d["plugins"][0])),
            "plugins[3].name: duplicate instance 'echo-anime'",
        ),
        (
            lambda d: d["libraries"].append({"slug": "anime", "kind": "anime"}),
            "libraries[3].slug: duplicate library 'anime'",
        ),
        (lambda d: d["libraries"][0].update(kind="cartoons"), "libraries[0].kind:"),
        (lambda d: d["plugins"][1].update(enabled="sometimes"), "plugins[1].enabled:"),
        (
            lambda d: d["plugins"][1]["config"].update(max_concurrency="many"),
            "plugins[1].config.max_concurrency:",
        ),
        (lambda d: d["plugins"][1]["config"].update(colour="blue"), "plugins[1].config.colour:"),
        (lambda d: d.update(libraryz=[]), "libraryz:"),
        (lambda d: d["plugins"][2].update(refresh_cron="every day"), "plugins[2].refresh_cron:"),
        (lambda d: d["libraries"][0].update(categories=[7]), "libraries[0].categories:"),
    ],
)
def test_invalid_seed_names_the_yaml_path(mutate: Any, expected: str) -> None:
    data = _seed_data()
    mutate(data)
    with pytest.raises(SeedError) as info:
        parse_seed(data, REGISTRY, environ={})
    assert any(str(issue).startswith(expected) for issue in info.value.issues), info.value.issues


def test_every_error_is_listed_at_once() -> None:
    data = _seed_data()
    data["plugins"][0]["libraries"] = ["x"]
    data["plugins"][1]["implementation"] = "y"
    data["plugins"][2]["libraries"] = ["z"]
    with pytest.raises(SeedError) as info:
        parse_seed(data, REGISTRY, environ={})
    assert len(info.value.issues) == 3


def test_type_errors_do_not_hide_cross_reference_errors() -> None:
    data = _seed_data()
    data["libraries"][2]["kind"] = "cartoons"  # a type error in one entry …
    data["plugins"][1]["enabled"] = "sometimes"  # … and in another
    data["plugins"][0]["libraries"] = ["nope"]  # … while a valid entry has a bad reference
    data["plugins"][2]["libraries"] = ["series", "movies"]  # the broken library still exists
    with pytest.raises(SeedError) as info:
        parse_seed(data, REGISTRY, environ={})
    paths = sorted(issue.path for issue in info.value.issues)
    assert paths == ["libraries[2].kind", "plugins[0].libraries[0]", "plugins[1].enabled"]


async def test_invalid_seed_is_not_half_applied(writer: Writer, readers: ReaderPool) -> None:
    await _reconcile(writer, _seed_data())
    data = _seed_data()
    data["libraries"].append({"slug": "new", "kind": "series"})
    data["plugins"][0]["libraries"] = ["missing"]
    with pytest.raises(SeedError):
        await _reconcile(writer, data)
    slugs = [r[0] for r in await readers.fetchall("SELECT slug FROM libraries")]
    assert "new" not in slugs


async def test_reconcile_is_one_transaction(writer: Writer, db: Path) -> None:
    """A failure inside the unit (here: a trigger refusing one insert) rolls everything back."""
    await writer.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON plugin_instances WHEN new.name = 'echo-tv'"
        " BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        await _reconcile(writer, _seed_data())
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM libraries").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM plugin_instances").fetchone()[0] == 0


def test_load_seed_reports_yaml_syntax_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("libraries: [\n")
    with pytest.raises(SeedError, match="<yaml>"):
        load_seed(bad, REGISTRY)
    with pytest.raises(SeedError, match="cannot read"):
        load_seed(tmp_path / "absent.yaml", REGISTRY)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(_seed_data()))
    seed = load_seed(good, REGISTRY, environ={})
    assert seed.library("series") is not None
    assert seed.library("series").api_key == "series-key"  # type: ignore[union-attr]


def test_library_key_from_env() -> None:
    data = _seed_data()
    data["libraries"][0]["api_key_env"] = "ANIME_KEY"
    seed = parse_seed(data, REGISTRY, environ={"ANIME_KEY": "k1"})
    assert seed.libraries[0].api_key == "k1"
