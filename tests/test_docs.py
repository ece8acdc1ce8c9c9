"""Meta-tests: what is documented matches what exists."""

from __future__ import annotations

from pathlib import Path

import yaml

from anibridge_like.docs import replace_block
from anibridge_like.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_readme_settings_table_matches_the_model() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert replace_block(readme) == readme, "README settings table is stale: run `make docs`"


def test_every_setting_has_a_description() -> None:
    missing = [name for name, f in Settings.model_fields.items() if not f.description]
    assert missing == []


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "make test" in readme and "make test" in ci


def test_example_seed_documents_every_seed_key() -> None:
    from anibridge_like.seed import LibrarySeed, PluginSeed, Seed

    text = (ROOT / "config.example.yaml").read_text("utf-8")
    yaml.safe_load(text)
    for model in (Seed, LibrarySeed, PluginSeed):
        for name in model.model_fields:
            assert f"{name}:" in text, f"config.example.yaml does not document {name}"
