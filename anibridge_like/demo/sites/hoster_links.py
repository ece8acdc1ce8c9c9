"""Hoster offers on the fake sites' episode pages, and the sites' redirects to the fake hosters.

The real sites link hosters through a redirect of their own (evidence: the GitHub source of
the parsers named here): AniWorld's episode page lists one
``li[data-lang-key][data-link-target="/redirect/<id>"]`` per (language, hoster) with the hoster
name in ``h4`` (``phoenixthrush/AniWorld-Downloader``: ``src/aniworld/config.py`` language keys
1 German Dub / 2 English Sub / 3 German Sub / 4 English Dub; ``zerodayip/seriesmovies``: ``a.py``
reads ``li[data-lang-key]``, ``data-link-target`` and ``h4``); s.to's buttons carry
``data-play-url="/r?t=<token>"`` (``Zzackllack/AniBridge``: ``apps/api/app/providers/sto/v2.py``).
The redirect answers 302 to the hoster's embed page — here the fake hosters of
:mod:`anibridge_like.demo.hosters`, at the base URL in the site app's ``state.hosters_url``
(unset: the redirect is a 404, as for a removed link).
"""

from __future__ import annotations

import hashlib
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from anibridge_like.demo.hosters import embed_url
from anibridge_like.plugins.provider import Language

ANIWORLD_LANG_KEYS: dict[Language, int] = {
    Language.GERMAN_DUB: 1,
    Language.ENGLISH_SUB: 2,
    Language.GERMAN_SUB: 3,
    Language.ENGLISH_DUB: 4,
}
_ID_SPAN = 10**8


def link_id(hosters: tuple[str, ...], hoster: str, *parts: object) -> int:
    """A numeric redirect id that names its hoster (``id // 10**8`` indexes ``hosters``)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=6).digest()
    return hosters.index(hoster) * _ID_SPAN + int.from_bytes(digest, "big") % _ID_SPAN


def aniworld_hoster_list(
    hosters: tuple[str, ...], slug: str, season: int, number: int, languages: frozenset[Language]
) -> str:
    """The ``.hosterSiteVideo`` block of an AniWorld episode page."""
    items: list[str] = []
    for language in sorted(languages, key=lambda lang: ANIWORLD_LANG_KEYS.get(lang, 9)):
        key = ANIWORLD_LANG_KEYS.get(language)
        if key is None:
            continue
        for hoster in hosters:
            lid = link_id(hosters, hoster, slug, season, number, language.value)
            items.append(
                f'<li class="col-md-3 col-xs-12 col-sm-6 episodeLink{lid}" data-lang-key="{key}"'
                f' data-link-id="{lid}" data-link-target="/redirect/{lid}"'
                ' data-external-embed="false"><div><a class="watchEpisode" itemprop="url"'
                f' href="/redirect/{lid}" target="_blank"><i class="icon {escape(hoster)}"'
                f' title="Hoster {escape(hoster)}"></i><h4>{escape(hoster)}</h4>'
                '<div class="hosterSiteVideoButton">Video ansehen</div></a></div></li>'
            )
    return f'<div class="hosterSiteVideo"><ul class="row">{"".join(items)}</ul></div>\n'


def redirect_to(request: Request, hoster: str | None, key: str) -> Response:
    base = getattr(request.app.state, "hosters_url", None)
    if not base or hoster is None:
        return HTMLResponse("<h1>404</h1>", status_code=404)
    return RedirectResponse(embed_url(base, hoster, key), status_code=302)


def aniworld_redirect(hosters: tuple[str, ...]):  # type: ignore[no-untyped-def]
    async def handler(request: Request) -> Response:
        lid: int = request.path_params["id"]
        index = lid // _ID_SPAN
        hoster = hosters[index] if index < len(hosters) else None
        return redirect_to(request, hoster, str(lid))

    return handler


def megakino_embed(request: Request, hoster: str, *parts: object) -> str | None:
    """The absolute embed URL a megakino player tab carries (None without fake hosters)."""
    base = getattr(request.app.state, "hosters_url", None)
    if not base:
        return None
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=5).hexdigest()
    return embed_url(base, hoster, digest)
