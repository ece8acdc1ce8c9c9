"""Admin API key check (header ``X-Api-Key`` or query ``apikey``), digest to digest in constant
time (:mod:`anibridge_like.keys`).

===============================================  ======  ==========================================
situation                                        status  body ``error``
===============================================  ======  ==========================================
``ANIBRIDGE_ADMIN_API_KEY`` unset                403     the admin API is disabled (how to enable)
no key presented / empty key                     401     missing admin API key
a wrong key                                      401     wrong admin API key
===============================================  ======  ==========================================

An empty or whitespace-only ``ANIBRIDGE_ADMIN_API_KEY`` is refused when the settings load, so an
empty presented key can never match.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from anibridge_like.keys import key_digest, key_matches

DISABLED = (
    "the admin API is disabled: no admin key is configured "
    "(set ANIBRIDGE_ADMIN_API_KEY and restart)"
)


def presented_key(request: Request) -> str:
    """The key a request presents (header first, then ``?apikey=``), stripped."""
    return (request.headers.get("x-api-key") or request.query_params.get("apikey") or "").strip()


def is_admin(request: Request) -> bool:
    """Whether the request carries the configured admin key (``False`` when none is set)."""
    expected = request.app.state.ctx.settings.admin_api_key
    if expected is None:
        return False
    return key_matches(presented_key(request), key_digest(expected.get_secret_value()))


def require_admin(request: Request) -> None:
    """Raise 403 when the admin API is disabled, 401 unless the request carries the key."""
    if request.app.state.ctx.settings.admin_api_key is None:
        raise HTTPException(403, DISABLED)
    if not presented_key(request):
        raise HTTPException(401, "missing admin API key (header X-Api-Key or ?apikey=)")
    if not is_admin(request):
        raise HTTPException(401, "wrong admin API key")
