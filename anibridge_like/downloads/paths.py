"""Where files go: category names, save paths and file names, all confined to the download dir.

Every path a client can influence (``savepath``, a category's ``savePath``, the category name
itself) is resolved (symlinks followed) and must stay inside ``download_dir``; anything else is a
:class:`DownloadInputError` naming the field, answered 400 — never a file elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

_CATEGORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_MAX_NAME_BYTES = 180


class DownloadInputError(ValueError):
    """Bad client input (answered 400 with this message)."""


def check_category(name: str) -> str:
    """A category name as qBittorrent clients send it; '' means none."""
    name = name.strip()
    if name and (not _CATEGORY.fullmatch(name) or ".." in name):
        raise DownloadInputError(
            f"category {name[:80]!r} is not allowed: use 1-64 letters, digits, space, '.', "
            "'_' or '-', starting with a letter or digit"
        )
    return name


def inside(root: Path, candidate: str, field: str) -> Path:
    """``candidate`` (absolute, or relative to ``root``) resolved, if it stays inside ``root``."""
    if not candidate.strip() or "\x00" in candidate or len(candidate) > 1024:
        raise DownloadInputError(f"{field} is empty or not a valid path")
    path = Path(candidate.strip())
    resolved = (path if path.is_absolute() else root / path).resolve()
    if not resolved.is_relative_to(root):
        raise DownloadInputError(
            f"{field} {candidate[:200]!r} is outside the download directory {root}"
        )
    return resolved


def save_dir(
    root: Path,
    category: str,
    *,
    savepath: str | None,
    category_path: str | None,
    folders: Mapping[str, str],
) -> Path:
    """The directory a download lands in: the add's ``savepath``, else the category's own save
    path, else ``<root>/<folder of the category>`` (the category's name unless configured)."""
    if savepath:
        return inside(root, savepath, "savepath")
    if category_path:
        return inside(root, category_path, f"save path of category {category!r}")
    if not category:
        return root
    return inside(root, folders.get(category, category), f"folder of category {category!r}")


def file_stem(title: str) -> str:
    """A release title as a file name: no separators or control characters, no leading dot,
    at most 180 bytes (UTF-8)."""
    cleaned = _UNSAFE.sub(" ", unicodedata.normalize("NFC", title)).strip().lstrip(".").strip()
    cleaned = " ".join(cleaned.split()) or "download"
    while len(cleaned.encode("utf-8")) > _MAX_NAME_BYTES:
        cleaned = cleaned[:-1]
    return cleaned.rstrip(" .") or "download"
