"""Login for the qBittorrent-compatible API: ``auth/login`` checks the configured username and
password (constant time) and sets a random ``SID`` cookie; every other call needs that cookie.

As in ``Sonarr/Sonarr``'s ``QBittorrentProxyV2.cs`` (``AuthenticateClient``/``ProcessRequest``):
a client without a session gets 403, logs in with ``username``/``password`` form fields and
retries; a login answered with anything but ``Ok.`` (or 401/403) is an authentication failure.
We answer bad credentials with 403 ``Fails.``.

Without configured credentials the API is open only while the daemon listens on loopback;
listening beyond it without credentials, every call is refused (403 with the reason).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import time

from anibridge_like.settings import Settings

SESSION_SECONDS = 24 * 3600
_MAX_SESSIONS = 1024


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Sessions:
    def __init__(self, settings: Settings) -> None:
        self._user = settings.qbittorrent_username
        password = settings.qbittorrent_password
        self._password = password.get_secret_value() if password is not None else None
        self._loopback = is_loopback(settings.host)
        self._sids: dict[str, float] = {}

    @property
    def credentials_set(self) -> bool:
        return bool(self._user) and bool(self._password)

    def refusal(self) -> str | None:
        """Why every call is refused (no credentials beyond loopback), else None."""
        if not self.credentials_set and not self._loopback:
            return (
                "the qBittorrent API needs ANIBRIDGE_QBITTORRENT_USERNAME and "
                "ANIBRIDGE_QBITTORRENT_PASSWORD when the daemon listens beyond loopback"
            )
        return None

    def login(self, username: str, password: str) -> str | None:
        """A new SID for good credentials (any credentials when none are configured)."""
        if self.credentials_set:
            assert self._user is not None and self._password is not None
            user_ok = hmac.compare_digest(username.encode(), self._user.encode())
            pass_ok = hmac.compare_digest(password.encode(), self._password.encode())
            if not (user_ok and pass_ok):
                return None
        now = time.monotonic()
        if len(self._sids) >= _MAX_SESSIONS:
            self._sids = {k: v for k, v in self._sids.items() if v > now}
            while len(self._sids) >= _MAX_SESSIONS:
                self._sids.pop(next(iter(self._sids)))
        sid = secrets.token_urlsafe(24)
        self._sids[sid] = now + SESSION_SECONDS
        return sid

    def logout(self, sid: str | None) -> None:
        if sid:
            self._sids.pop(sid, None)

    def allowed(self, sid: str | None) -> bool:
        if not self.credentials_set:
            return True
        expiry = self._sids.get(sid or "")
        return expiry is not None and expiry > time.monotonic()
