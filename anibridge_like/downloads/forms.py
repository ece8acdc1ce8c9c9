"""Request parameters of the qBittorrent API: query string and form body (urlencoded or
multipart) merged, with typed accessors that raise :class:`DownloadInputError` naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from anibridge_like.downloads.paths import DownloadInputError

_HASH = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
MAX_FIELD = 64 * 1024


@dataclass
class Params:
    values: dict[str, str]
    files: set[str] = field(default_factory=set)

    def text(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def optional(self, name: str) -> str | None:
        return self.values.get(name)

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self.values.get(name)
        if raw is None or raw == "":
            return default
        lowered = raw.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise DownloadInputError(f"{name} must be true or false, got {raw[:40]!r}")

    def integer(self, name: str, default: int) -> int:
        raw = self.values.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise DownloadInputError(f"{name} must be an integer, got {raw[:40]!r}") from None

    def hashes(self, name: str = "hashes", *, allow_all: bool = True) -> list[str] | None:
        """Info-hashes separated by ``|`` (lower-cased); ``None`` for ``all``."""
        raw = self.values.get(name, "").strip()
        if allow_all and raw.lower() == "all":
            return None
        if not raw:
            raise DownloadInputError(f"{name} is required")
        out: list[str] = []
        for part in raw.split("|"):
            h = part.strip().lower()
            if not _HASH.fullmatch(h):
                raise DownloadInputError(f"{name}: {part[:80]!r} is not an info-hash")
            out.append(h)
        return out


async def read_params(request: Request) -> Params:
    values: dict[str, str] = dict(request.query_params)
    files: set[str] = set()
    if request.method == "POST":
        try:
            form = await request.form(max_files=4, max_fields=256, max_part_size=1024 * 1024)
        except HTTPException:
            raise
        except (ValueError, UnicodeDecodeError, AssertionError) as exc:
            raise DownloadInputError(f"the request body is not a valid form: {exc}") from exc
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files.add(key)
            elif len(value) > MAX_FIELD:
                raise DownloadInputError(f"field {key[:40]!r} is longer than {MAX_FIELD} bytes")
            else:
                values[key] = value
    return Params(values, files)
