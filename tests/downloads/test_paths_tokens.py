"""Paths a client can influence stay inside the download dir (property-tested), file names from
release titles are safe, and stream tokens cannot be forged or edited."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anibridge_like.downloads.paths import (
    DownloadInputError,
    check_category,
    file_stem,
    inside,
    save_dir,
)
from anibridge_like.downloads.tokens import BadToken, sign, verify
from anibridge_like.plugins.provider import Language
from anibridge_like.providers.links import EpisodeRef

ROOT = Path("/srv/downloads-root")
PIECES = st.sampled_from(["..", ".", "/", "a", "b c", "\\", "~", "%2e", "\x00", "ä", "/etc", "//"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join) | st.text(max_size=60))
def test_inside_never_returns_a_path_outside_the_root(candidate: str) -> None:
    try:
        path = inside(ROOT, candidate, "savepath")
    except DownloadInputError as exc:
        assert "savepath" in str(exc)
    else:
        assert path.is_relative_to(ROOT)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.dictionaries(st.text(max_size=10), st.text(max_size=20)))
def test_category_folders_stay_inside(category: str, folders: dict[str, str]) -> None:
    try:
        name = check_category(category)
        path = save_dir(ROOT, name, savepath=None, category_path=None, folders=folders)
    except DownloadInputError:
        return
    assert path.is_relative_to(ROOT)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_file_stems_are_single_safe_names(title: str) -> None:
    stem = file_stem(title)
    assert stem and "/" not in stem and "\\" not in stem and "\x00" not in stem
    assert not stem.startswith(".") and len(stem.encode()) <= 180


def test_tokens_round_trip_and_refuse_edits() -> None:
    ref = EpisodeRef("aniworld", "some-show", 1, 5, Language.GERMAN_SUB)
    token = sign(b"key-1", ref)
    assert verify(b"key-1", token) == ref
    with pytest.raises(BadToken):
        verify(b"key-2", token)
    other = sign(b"key-1", EpisodeRef("aniworld", "some-show", 1, 6, Language.GERMAN_SUB))
    with pytest.raises(BadToken):  # payload of one token with the signature of another
        verify(b"key-1", other.split(".")[0] + "." + token.split(".")[1])
    for bad in ("", ".", "abc", "a.b.c", "x" * 3000):
        with pytest.raises(BadToken):
            verify(b"key-1", bad)
