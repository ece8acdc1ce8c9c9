"""Torznab answers for every failure, in one table.

Exception tree::

    TorznabError                 a request that is answered with a Newznab ``<error>``
    ├── NewznabError             HTTP 200 + ``<error>``: 100, 200, 201, 202, 203
    │                            (900: the route boundary, for anything unexpected)
    └── CatalogNotReady          HTTP 503 + ``Retry-After`` + a Newznab error body

Clients (Sonarr, Radarr, Prowlarr) raise on any HTTP status >= 400 before they read the body, so
every API error is HTTP 200 with the Newznab code; the one deliberate exception is 503 while the
catalog a request needs has not been indexed yet. Anything unexpected is answered ``900`` by the
route boundary (:func:`anibridge_like.torznab.routes.api`), never a 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from starlette.responses import Response

from anibridge_like.torznab.render import XML_MEDIA_TYPE, render_error

RETRY_AFTER_SECONDS = 30
"""``Retry-After`` of a 503 while a library has no release to answer with yet."""


class NewznabCode(IntEnum):
    INCORRECT_CREDENTIALS = 100
    MISSING_PARAMETER = 200
    INCORRECT_PARAMETER = 201
    NO_SUCH_FUNCTION = 202
    FUNCTION_NOT_AVAILABLE = 203
    UNKNOWN_ERROR = 900


DESCRIPTIONS: dict[NewznabCode, str] = {
    NewznabCode.INCORRECT_CREDENTIALS: "Incorrect user credentials",
    NewznabCode.MISSING_PARAMETER: "Missing parameter",
    NewznabCode.INCORRECT_PARAMETER: "Incorrect parameter",
    NewznabCode.NO_SUCH_FUNCTION: "No such function",
    NewznabCode.FUNCTION_NOT_AVAILABLE: "Function not available",
    NewznabCode.UNKNOWN_ERROR: "Unknown error",
}
"""The Newznab descriptions. Code 100's text is sent unchanged (clients match on it)."""


class TorznabError(Exception):
    """Base of every answered failure."""


class NewznabError(TorznabError):
    def __init__(self, code: NewznabCode, detail: str = "") -> None:
        super().__init__(f"{int(code)} {DESCRIPTIONS[code]}{': ' + detail if detail else ''}")
        self.code = code
        self.detail = detail

    @property
    def description(self) -> str:
        base = DESCRIPTIONS[self.code]
        if self.code is NewznabCode.INCORRECT_CREDENTIALS or not self.detail:
            return base
        return f"{base}: {self.detail}"


class CatalogNotReady(TorznabError):
    def __init__(self, libraries: list[str], retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(f"catalog not ready: {', '.join(libraries)}")
        self.libraries = libraries
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    code: NewznabCode
    description: str
    headers: dict[str, str]


def answer_for(exc: TorznabError) -> Answer:
    """The one table from failure to HTTP answer."""
    if isinstance(exc, NewznabError):
        return Answer(200, exc.code, exc.description, {})
    if isinstance(exc, CatalogNotReady):
        names = ", ".join(exc.libraries) or "catalog"
        return Answer(
            503,
            NewznabCode.UNKNOWN_ERROR,
            f"Catalog not ready yet ({names}): the first titles and their episodes are "
            "still being indexed",
            {"Retry-After": str(exc.retry_after)},
        )
    return Answer(200, NewznabCode.UNKNOWN_ERROR, DESCRIPTIONS[NewznabCode.UNKNOWN_ERROR], {})


def error_response(exc: TorznabError) -> Response:
    answer = answer_for(exc)
    return Response(
        render_error(int(answer.code), answer.description),
        status_code=answer.status,
        headers=answer.headers,
        media_type=XML_MEDIA_TYPE,
    )


def unknown_error_response() -> Response:
    """The answer of the route boundary to an unexpected failure (already logged there)."""
    return error_response(TorznabError("unexpected failure"))
