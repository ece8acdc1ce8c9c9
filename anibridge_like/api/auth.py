"""Admin API key check (header ``X-Api-Key`` or query ``apikey``), constant-time."""

from __future__ import annotations

import hmac

from starlette.exceptions import HTTPException
from starlette.requests import Request


def require_admin(request: Request) -> None:
    """Raise 401 unless the request carries the admin API key."""
    ctx = request.app.state.ctx
    expected = ctx.settings.admin_api_key
    given = request.headers.get("x-api-key") or request.query_params.get("apikey") or ""
    if expected is None or not hmac.compare_digest(
        given.encode(), expected.get_secret_value().encode()
    ):
        raise HTTPException(401, "missing or wrong admin API key")
