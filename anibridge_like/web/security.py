"""Who may do what on the web UI: the admin session and CSRF protection.

* **CSRF token**: a random value in the ``abl_csrf`` cookie (HttpOnly, SameSite=Strict), repeated
  as the hidden ``csrf`` field of every form. A POST is accepted only when both are present and
  equal (constant-time) and, when the browser sends ``Origin``, it is this server's origin.
* **Session**: logging in with the admin key (``ANIBRIDGE_ADMIN_API_KEY``) sets ``abl_session`` =
  ``<expiry>.<hmac>``: an HMAC-SHA256 over the expiry and the CSRF token, keyed by a key derived
  from the admin key. Changing the admin key ends every session; logging out clears the cookie.
  The ``X-Api-Key`` header with the admin key also counts as admin (scripts; not CSRF-able).
* Without an admin key configured nobody is admin: the UI is the read-only overview.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from anibridge_like import keys
from anibridge_like.api import auth

CSRF_COOKIE = "abl_csrf"
SESSION_COOKIE = "abl_session"
_TOKEN_BYTES = 24


def admin_key(request: Request) -> str | None:
    """The configured admin key, or None (also for an empty value)."""
    secret = request.app.state.ctx.settings.admin_api_key
    value: str = secret.get_secret_value() if secret is not None else ""
    return value or None


def _signing_key(key: str) -> bytes:
    return hmac.new(key.encode(), b"anibridge-like web session v1", hashlib.sha256).digest()


def _sign(key: str, expiry: int, csrf: str) -> str:
    return hmac.new(_signing_key(key), f"{expiry}.{csrf}".encode(), hashlib.sha256).hexdigest()


def _valid_token(value: str | None) -> bool:
    return bool(value) and len(value or "") <= 64 and (value or "").isalnum()


def csrf_token(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one (set by :func:`remember_csrf`)."""
    cached: str | None = getattr(request.state, "csrf", None)
    if cached is not None:
        return cached
    cookie = request.cookies.get(CSRF_COOKIE)
    token = cookie if cookie is not None and _valid_token(cookie) else secrets.token_hex(16)
    request.state.csrf = token
    return token


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def remember_csrf(request: Request, response: Response, token: str) -> None:
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/",
        )


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", request.url.netloc)


def csrf_ok(request: Request, submitted: object) -> bool:
    """True when the form's token equals the cookie's and the origin (if sent) is ours."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(submitted, str) or not _valid_token(cookie) or not _valid_token(submitted):
        return False
    assert cookie is not None
    return hmac.compare_digest(cookie.encode(), submitted.encode()) and same_origin(request)


def key_matches(request: Request, given: str) -> bool:
    """The admin key check of the admin API (:mod:`anibridge_like.keys`: digests, constant time)."""
    key = admin_key(request)
    if key is None:
        return False
    return keys.key_matches(given.strip(), keys.key_digest(key))


def is_admin(request: Request) -> bool:
    """A valid session cookie (or the admin key in ``X-Api-Key``)."""
    cached: bool | None = getattr(request.state, "admin", None)
    if cached is not None:
        return cached
    request.state.admin = result = _check_admin(request)
    return result


def _check_admin(request: Request) -> bool:
    key = admin_key(request)
    if key is None:
        return False
    if request.headers.get("x-api-key") is not None:  # the admin API's own check and count
        if auth.locked_out(request) is not None:
            return False
        ok = auth.is_admin(request)
        auth.note_key_attempt(request, ok)
        return ok
    raw = request.cookies.get(SESSION_COOKIE, "")
    expiry_text, _, signature = raw.partition(".")
    csrf = request.cookies.get(CSRF_COOKIE)
    if not expiry_text.isdigit() or not signature or not _valid_token(csrf):
        return False
    expiry = int(expiry_text)
    if expiry < time.time():
        return False
    assert csrf is not None
    return hmac.compare_digest(signature.encode(), _sign(key, expiry, csrf).encode())


def start_session(request: Request, response: Response, hours: float) -> None:
    key = admin_key(request)
    assert key is not None
    token = csrf_token(request)
    expiry = int(time.time() + hours * 3600)
    response.set_cookie(
        SESSION_COOKIE,
        f"{expiry}.{_sign(key, expiry, token)}",
        max_age=int(hours * 3600),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    remember_csrf(request, response, token)


def end_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this server (``/…`` but not ``//…``), else ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]
