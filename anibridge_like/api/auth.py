"""Admin API key check (header ``X-Api-Key`` or query ``apikey``), digest to digest in constant
time (:mod:`anibridge_like.keys`).

===============================================  ======  ==========================================
situation                                        status  body ``error``
===============================================  ======  ==========================================
``ANIBRIDGE_ADMIN_API_KEY`` unset                403     the admin API is disabled (how to enable)
no key presented / empty key                     401     missing admin API key
a wrong key                                      401     wrong admin API key
too many wrong keys from this address            429     try again later (``Retry-After``)
===============================================  ======  ==========================================

Wrong keys are counted per client address (:mod:`anibridge_like.api.lockout`, settings
``admin_key_max_failures`` within ``admin_key_failure_window_seconds``).

An empty or whitespace-only ``ANIBRIDGE_ADMIN_API_KEY`` is refused when the settings load, so an
empty presented key can never match.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from anibridge_like.api.lockout import KeyGuessLimiter, client_address
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


def limiter(request: Request) -> KeyGuessLimiter | None:
    """The app's wrong-key limiter (``None`` in apps built without one)."""
    found: KeyGuessLimiter | None = getattr(request.app.state, "key_limiter", None)
    return found


def locked_out(request: Request) -> int | None:
    """Seconds this request's address must wait after too many wrong keys (``None``: none)."""
    guard = limiter(request)
    return guard.retry_after(client_address(request)) if guard is not None else None


def note_key_attempt(request: Request, ok: bool) -> None:
    """Count a wrong key against the request's address (a right one clears its count)."""
    guard = limiter(request)
    if guard is not None:
        address = client_address(request)
        guard.succeeded(address) if ok else guard.failed(address)


def require_admin(request: Request) -> None:
    """Raise 403 when the admin API is disabled, 429 while the address is locked out after
    too many wrong keys, 401 unless the request carries the key."""
    if request.app.state.ctx.settings.admin_api_key is None:
        raise HTTPException(403, DISABLED)
    if not presented_key(request):
        raise HTTPException(401, "missing admin API key (header X-Api-Key or ?apikey=)")
    wait = locked_out(request)
    if wait is not None:
        raise HTTPException(
            429,
            f"too many wrong admin keys from this address; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    ok = is_admin(request)
    note_key_attempt(request, ok)
    if not ok:
        raise HTTPException(401, "wrong admin API key")
