"""A generated catalog followed by a metadata world's titles for the same site — what the fake
sites render in the demo and the mapping tests (see :mod:`anibridge_like.demo.metadata.world`)."""

from __future__ import annotations

from collections.abc import Iterator

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle


class WorldCatalog(GeneratedCatalog):
    """A generated catalog followed by extra titles (the world's, for one site)."""

    def __init__(self, base: GeneratedCatalog, extra: list[GenTitle]) -> None:
        super().__init__(
            base.site,
            base.size,
            base.seed,
            flavor=base.flavor,
            episodes_per_title=base.episodes_per_title,
        )
        self.base = base
        self.base_size = base.size
        self.extra: list[GenTitle] = []
        for j, t in enumerate(extra):
            i = base.size + j
            self.extra.append(_renumbered(t, i))
        self.size = base.size + len(extra)
        self._extra_slugs = {t.slug: t for t in self.extra}

    def __iter__(self) -> Iterator[GenTitle]:
        for i in range(self.size):
            yield self.title(i)

    @property
    def slugs(self) -> list[str]:
        return [*super().slugs, *(t.slug for t in self.extra)]

    def by_slug(self, slug: str) -> GenTitle | None:
        return self._extra_slugs.get(slug) or super().by_slug(slug)

    def headline(self, i: int) -> tuple[str, str, tuple[str, ...], str, int]:
        if i < self.base_size:
            return super().headline(i)
        t = self.extra[i - self.base_size]
        return t.slug, t.title, t.aliases, t.kind, t.year

    def title(self, i: int) -> GenTitle:
        if self.base_size <= i < self.size:
            return self.extra[i - self.base_size]
        return super().title(i) if i < self.base_size else super().title(-1)


def _renumbered(t: GenTitle, i: int) -> GenTitle:
    out = GenTitle(
        index=i,
        site=t.site,
        slug=t.slug,
        title=t.title,
        aliases=t.aliases,
        kind=t.kind,
        year=t.year,
        canonical_title=t.canonical_title,
        numbering=t.numbering,
        tvdb_id=t.tvdb_id,
        imdb_id=t.imdb_id,
        tmdb_id=t.tmdb_id,
        anilist_id=t.anilist_id,
        site_id=1000 + i,
        seed=t.seed,
        episode_target=t.episode_target,
        languages=t.languages,
    )
    out.episodes.extend(t.episodes)
    return out
