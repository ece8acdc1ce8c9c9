"""An in-memory reference provider over :class:`GeneratedCatalog` (the pipeline's test double).

It implements the provider contract exactly — paged listing with offset cursors, details from
the generated truth — and raises :class:`PluginError` on demand, so pipeline tests can inject any
code at any call without a site. Sites live in a module-level table keyed by name; an instance's
config names its site::

    site = register_site("mem", GeneratedCatalog("aniworld", 300), page_size=50)
    site.fail("list", code="upstream", at=2, count=1)         # third listing page fails once
    site.fail("detail", code="invalid_data", slug="some-slug")  # that title is broken
    registry = Registry(extra={"provider": {"memory": MemoryProvider}})
    # plugin_instances row: implementation "memory", config {"site": "mem"}
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import (
    Episode,
    Language,
    ProviderCapabilities,
    TitleDetail,
    TitleItem,
    TitlePage,
)


@dataclass
class Fault:
    op: str
    """``list`` or ``detail``."""
    code: ErrorCode
    at: int | None = None
    """Listing page index (``list``) the fault applies to; None = every page."""
    slug: str | None = None
    """Title slug (``detail``) the fault applies to; None = every title."""
    count: int | None = 1
    """How many calls fail (None = forever)."""
    retry_after: float | None = None
    partial_share: float = 0.5
    """For ``partial`` listing faults: the share of the page's items that still come."""

    def matches(self, op: str, page: int | None, slug: str | None) -> bool:
        if self.op != op or self.count == 0:
            return False
        if self.at is not None and self.at != page:
            return False
        return self.slug is None or self.slug == slug


@dataclass
class MemorySite:
    catalog: GeneratedCatalog
    page_size: int = 0
    """Listing page size; 0 = the whole listing in one page."""
    list_delay: float = 0.0
    detail_delay: float = 0.0
    page_delays: dict[int, float] = field(default_factory=dict)
    """Extra delay before answering listing page N."""
    faults: list[Fault] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    dropped: set[str] = field(default_factory=set)
    """Slugs the listing omits (a title that disappeared from the site)."""
    renamed: dict[str, str] = field(default_factory=dict)
    extra_languages: dict[tuple[str, int, int], set[Language]] = field(default_factory=dict)
    removed_episodes: set[tuple[str, int, int]] = field(default_factory=set)
    external_ids: dict[str, dict[str, str]] = field(default_factory=dict)
    """Opt-in: ids a title's detail page links (slug → ``TitleDetail.external_ids``)."""
    on_list_page: Callable[[int], None] | None = None
    active: Counter[int] = field(default_factory=Counter)
    """Calls in flight per provider object (two instances of one site = two objects)."""
    most_active_instances: int = 0
    """The most provider objects that ever had calls in flight at the same time."""

    def enter(self, who: int) -> None:
        self.active[who] += 1
        busy = sum(1 for v in self.active.values() if v > 0)
        self.most_active_instances = max(self.most_active_instances, busy)

    def leave(self, who: int) -> None:
        self.active[who] -= 1

    def fail(self, op: str, *, code: str, **options: Any) -> Fault:
        fault = Fault(op, ErrorCode(code), **options)
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def _raise_if_faulty(self, op: str, page: int | None, slug: str | None) -> Fault | None:
        for fault in self.faults:
            if fault.matches(op, page, slug):
                if fault.count is not None:
                    fault.count -= 1
                if fault.code is ErrorCode.PARTIAL:
                    return fault
                raise PluginError(
                    fault.code,
                    f"injected {fault.code.value} ({op} {page or slug})",
                    retry_after=fault.retry_after,
                )
        return None

    def slugs(self) -> list[str]:
        return [s for s in self.catalog.slugs if s not in self.dropped]

    def item(self, i: int) -> TitleItem:
        slug, title, aliases, kind, year = self.catalog.headline(i)
        return TitleItem(
            slug=slug,
            title=self.renamed.get(slug, title),
            kind="movie" if kind == "movie" else "series",
            aliases=aliases,
            year=year,
        )

    def detail(self, truth: GenTitle) -> TitleDetail:
        episodes = []
        for ep in truth.episodes:
            key = (truth.slug, ep.season, ep.number)
            if key in self.removed_episodes:
                continue
            languages = frozenset(ep.languages) | frozenset(self.extra_languages.get(key, ()))
            episodes.append(
                Episode(
                    season=ep.season,
                    number=ep.number,
                    kind=ep.kind,
                    titles=dict(ep.titles),
                    languages=languages,
                )
            )
        return TitleDetail(
            slug=truth.slug,
            title=self.renamed.get(truth.slug, truth.title),
            kind=truth.kind,
            aliases=truth.aliases,
            year=truth.year,
            episodes=episodes,
            external_ids=dict(self.external_ids.get(truth.slug, {})),
        )


SITES: dict[str, MemorySite] = {}


def register_site(name: str, catalog: GeneratedCatalog, **options: Any) -> MemorySite:
    site = SITES[name] = MemorySite(catalog, **options)
    return site


class MemoryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: str


class MemoryProvider:
    """The reference provider (see the module docstring)."""

    capabilities: ClassVar[ProviderCapabilities] = ProviderCapabilities(
        site="memory", paged_listing=True, kinds=frozenset({"series", "movie"})
    )
    config_model: ClassVar[type[BaseModel]] = MemoryConfig
    in_process: ClassVar[bool] = True
    """Its site lives in the test's own memory: never run in the plugin worker."""

    def __init__(self, config: MemoryConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.data = SITES[config.site]

    @property
    def site(self) -> str:
        return self.config.site

    async def list_titles(self, cursor: str | None) -> TitlePage:
        self.data.enter(id(self))
        try:
            return await self._list_titles(cursor)
        finally:
            self.data.leave(id(self))

    async def fetch_detail(self, slug: str) -> TitleDetail:
        self.data.enter(id(self))
        try:
            return await self._fetch_detail(slug)
        finally:
            self.data.leave(id(self))

    async def _list_titles(self, cursor: str | None) -> TitlePage:
        data = self.data
        start = int(cursor) if cursor else 0
        size = data.page_size or data.catalog.size
        page = start // size if size else 0
        data.calls["list"] += 1
        data.calls[f"list:{page}"] += 1
        if data.on_list_page is not None:
            data.on_list_page(page)
        if data.list_delay or data.page_delays.get(page):
            await asyncio.sleep(data.list_delay + data.page_delays.get(page, 0.0))
        fault = data._raise_if_faulty("list", page, None)
        end = min(start + size, data.catalog.size)
        items = [
            data.item(i) for i in range(start, end) if data.catalog.slugs[i] not in data.dropped
        ]
        has_more = end < data.catalog.size
        if fault is not None:  # partial: some items, then a cursor into the page
            keep = int(len(items) * fault.partial_share)
            resume = start + keep
            raise PluginError(
                ErrorCode.PARTIAL,
                "injected partial listing",
                items=items[:keep],
                cursor=str(resume),
            )
        return TitlePage(items=items, next_cursor=str(end) if has_more else None, has_more=has_more)

    async def _fetch_detail(self, slug: str) -> TitleDetail:
        data = self.data
        data.calls["detail"] += 1
        data.calls[f"detail:{slug}"] += 1
        if data.detail_delay:
            await asyncio.sleep(data.detail_delay)
        data._raise_if_faulty("detail", None, slug)
        truth = data.catalog.by_slug(slug)
        if truth is None or slug in data.dropped:
            raise PluginError(ErrorCode.NOT_FOUND, f"no title {slug!r}")
        return data.detail(truth)
