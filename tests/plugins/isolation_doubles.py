"""Providers for the plugin-isolation tests: importable by name, so the worker can build them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import ClassVar

import httpx
import structlog
from pydantic import BaseModel, ConfigDict

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import (
    Episode,
    Language,
    ProviderCapabilities,
    TitleDetail,
    TitleItem,
    TitlePage,
)


class ProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marker_dir: str = ""
    site: str | None = None


class ProbeProvider:
    """Answers from the process it runs in: ``list_titles`` names that process's pid,
    ``fetch_detail`` misbehaves on request (slug ``boom``, ``missing``, ``slow``)."""

    capabilities: ClassVar[ProviderCapabilities] = ProviderCapabilities(site="probe")
    config_model: ClassVar[type[BaseModel]] = ProbeConfig

    def __init__(self, config: ProbeConfig, client: httpx.AsyncClient) -> None:
        self.config = config

    @property
    def site(self) -> str:
        return self.config.site or self.capabilities.site

    async def list_titles(self, cursor: str | None) -> TitlePage:
        context = structlog.contextvars.get_contextvars()
        items = [
            TitleItem(slug=f"pid-{os.getpid()}", title="pid", aliases=(str(cursor),)),
            TitleItem(slug="context", title=repr(sorted(context.items()))),
        ]
        return TitlePage(items=items, next_cursor="next", has_more=cursor != "next")

    async def fetch_detail(self, slug: str) -> TitleDetail:
        if slug == "boom":
            raise ValueError("the plugin has a bug")
        if slug == "missing":
            raise PluginError(ErrorCode.RATE_LIMITED, "slow down", retry_after=7.5)
        if slug == "slow":
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                Path(self.config.marker_dir, "cancelled").write_text("yes")  # noqa: ASYNC240
                raise
        episode = Episode(
            season=1, number=2, titles={"de": "Zwei"}, languages=frozenset({Language.GERMAN_SUB})
        )
        return TitleDetail(
            slug=slug, title=slug.title(), episodes=[episode], external_ids={"imdb": "tt1"}
        )
