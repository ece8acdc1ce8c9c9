"""Wrong admin keys per client address: guessing the key is slowed to a stop.

The admin API (:func:`anibridge_like.api.auth.require_admin`) and the web UI's login form share
one :class:`KeyGuessLimiter` (on ``app.state``). A presented key that does not match counts as a
failure of the request's client address; once an address has ``max_failures`` failures within
``window`` seconds, every admin request from it — with the right key too — is answered 429 with
``Retry-After`` until its oldest counted failure leaves the window. A missing key is not a
guess and is not counted; a right key from an address that is not locked clears its count.
Addresses are remembered in a bounded table (the least recently failing dropped first), so a
flood of addresses cannot grow memory.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_ADDRESSES = 10_000


class KeyGuessLimiter:
    """See the module docstring."""

    def __init__(
        self,
        max_failures: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again (``None``: it may now)."""
        times = self._failures.get(address)
        if times is None or len(times) < self.max_failures:
            return None
        wait = times[0] + self.window - self._clock()
        if wait <= 0:
            return None
        return max(1, math.ceil(wait))

    def failed(self, address: str) -> None:
        now = self._clock()
        times = self._failures.pop(address, None)
        if times is None:
            times = deque(maxlen=self.max_failures)
        while times and times[0] + self.window <= now:
            times.popleft()
        times.append(now)
        self._failures[address] = times  # most recent last
        while len(self._failures) > self._max_addresses:
            self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


def client_address(request: object) -> str:
    """The request's client host (``"unknown"`` when the server gives none)."""
    client = getattr(request, "client", None)
    return str(client.host) if client is not None and client.host else "unknown"
