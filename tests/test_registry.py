from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from anibridge_like.plugins.registry import BUILTINS, Registry, UnknownImplementationError
from anibridge_like.seed import SeedError, parse_seed


@pytest.fixture
def third_party(tmp_path: Path) -> Iterator[str]:
    """An installed-looking distribution declaring a provider in our entry-point group."""
    (tmp_path / "extra_provider_pkg.py").write_text(
        "from tests.plugin_doubles import EchoProvider\n\n"
        "class ExtraProvider(EchoProvider):\n    pass\n"
    )
    info = tmp_path / "extra_provider_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: extra-provider-pkg\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[anibridge_like.providers]\nextra = extra_provider_pkg:ExtraProvider\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield "extra"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("extra_provider_pkg", None)


def test_third_party_provider_is_found_through_entry_points(third_party: str) -> None:
    registry = Registry()
    reg = registry.registration("provider", third_party)
    assert not reg.builtin and reg.target == "extra_provider_pkg:ExtraProvider"
    assert registry.get("provider", third_party).__name__ == "ExtraProvider"
    seed = parse_seed(
        {"plugins": [{"name": "x", "implementation": third_party, "kind": "provider"}]},
        registry,
        environ={},
    )
    assert seed.plugins[0].implementation == third_party


def test_every_builtin_loads_with_capabilities_and_config_model() -> None:
    registry = Registry()
    for kind, names in BUILTINS.items():
        for name in names:
            impl = registry.get(kind, name)
            assert impl.capabilities is not None
            assert impl.config_model.model_config.get("extra") == "forbid", (kind, name)
            assert registry.registration(kind, name).builtin


def test_unknown_implementation_is_a_start_up_error() -> None:
    registry = Registry()
    with pytest.raises(UnknownImplementationError, match="known: aniworld, megakino, sto"):
        registry.get("provider", "crunchy")
    with pytest.raises(SeedError, match="unknown provider implementation 'crunchy'"):
        parse_seed(
            {"plugins": [{"name": "c", "implementation": "crunchy", "kind": "provider"}]},
            registry,
            environ={},
        )
