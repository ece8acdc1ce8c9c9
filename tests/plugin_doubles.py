"""Minimal plugin implementations for seed/registry tests (they never fetch anything)."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict

from anibridge_like.plugins.provider import ProviderCapabilities, TitleDetail, TitlePage


class EchoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base_url: str = "http://127.0.0.1:9"
    site: str | None = None
    token: str | None = None
    max_concurrency: int = 2


class EchoProvider:
    capabilities: ClassVar[ProviderCapabilities] = ProviderCapabilities(site="echo")
    config_model: ClassVar[type[BaseModel]] = EchoConfig

    def __init__(self, config: EchoConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client

    @property
    def site(self) -> str:
        return self.config.site or self.capabilities.site

    async def list_titles(self, cursor: str | None) -> TitlePage:
        return TitlePage(items=[])

    async def fetch_detail(self, slug: str) -> TitleDetail:
        return TitleDetail(slug=slug, title=slug)


class EchoMetadataConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_key: str | None = None


class EchoMetadata:
    capabilities: ClassVar[dict[str, Any]] = {"kinds": ["series"]}
    config_model: ClassVar[type[BaseModel]] = EchoMetadataConfig

    def __init__(self, config: EchoMetadataConfig, client: httpx.AsyncClient) -> None:
        self.config = config


EXTRA = {"provider": {"echo": EchoProvider}, "metadata": {"echometa": EchoMetadata}}
