"""Environment settings (``ANIBRIDGE_*``). Every field is described; the README table is
generated from this model (``python -m anibridge_like.docs``) and a test keeps them equal."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings from the environment (prefix ``ANIBRIDGE_``)."""

    model_config = SettingsConfigDict(env_prefix="ANIBRIDGE_", extra="ignore")

    data_dir: Path = Field(
        Path("./data"), description="Directory holding the SQLite database (`anibridge.db`)."
    )
    seed_path: Path | None = Field(
        None,
        description="YAML seed file with libraries and plugin instances; "
        "default `<data_dir>/config.yaml` when that file exists.",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, ge=0, le=65535, description="Port the HTTP server listens on.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Minimum log level."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto",
        description="`json` lines, readable `console` lines, or `auto` (console on a terminal).",
    )
    api_key: SecretStr | None = Field(
        None,
        description="Global Torznab API key (every library). Unset: Torznab needs no key "
        "except a library's own.",
    )
    admin_api_key: SecretStr | None = Field(
        None,
        description="Key for `/api/v1/*` (header `X-Api-Key` or `?apikey=`). "
        "Unset: the admin API and the web UI's admin pages are off (403 naming the setting).",
    )
    reader_connections: int = Field(
        2, ge=1, le=16, description="Read-only SQLite connections serving requests."
    )
    writer_queue_size: int = Field(
        64, ge=1, le=10000, description="Units of work the writer queues before producers wait."
    )
    http_timeout: float = Field(
        20.0, gt=0, description="Default timeout (seconds) of outbound HTTP requests."
    )
    http_user_agent: str = Field(
        "anibridge-like/0.1 (+self-hosted indexer)",
        description="User-Agent header of outbound HTTP requests.",
    )
    timezone: str = Field(
        "UTC", description="Timezone of scheduled jobs' cron expressions (IANA name)."
    )

    # ---- catalog pipeline ---------------------------------------------------------------
    title_batch_size: int = Field(
        1000, ge=1, le=100000, description="Listing items persisted per writer unit."
    )
    title_queue_size: int = Field(
        4, ge=1, le=1000, description="Listing batches buffered between the site and the writer."
    )
    detail_concurrency: int = Field(
        4, ge=1, le=64, description="Detail pages fetched at once per provider instance."
    )
    detail_queue_size: int = Field(
        32, ge=1, le=10000, description="Fetched details buffered before the writer persists them."
    )
    detail_batch_size: int = Field(
        20, ge=1, le=10000, description="Titles' details persisted per writer unit."
    )
    listing_page_timeout_seconds: float = Field(
        600.0,
        gt=0,
        description="Longest wait for one page of a site's title listing "
        "(a one-page listing of 100,000 titles included) before it counts as a timeout.",
    )
    detail_timeout_seconds: float = Field(
        120.0,
        gt=0,
        description="Longest wait for one title's details (all its pages) before "
        "the attempt counts as a timeout.",
    )
    refresh_interval_hours: float = Field(
        24.0,
        gt=0,
        description="Default cadence of an instance's catalog refresh "
        "(a seed instance's `refresh_interval_hours` overrides it).",
    )
    detail_refresh_hours: float = Field(
        72.0, gt=0, description="A title's details are refetched when older than this."
    )
    retry_attempts: int = Field(
        4, ge=0, le=20, description="Retries of a failing site call within one run."
    )
    backoff_base_seconds: float = Field(
        2.0, gt=0, description="First retry delay; doubles per attempt, with jitter."
    )
    backoff_cap_seconds: float = Field(
        300.0, gt=0, description="Longest delay between retries of one call."
    )
    max_failed_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Share of titles whose detail may fail before the "
        "detail stage counts as failed.",
    )
    title_retry_base_seconds: float = Field(
        600.0,
        gt=0,
        description="First delay before a title whose detail fetch failed is "
        "tried again; doubles per consecutive failure up to `stage_backoff_cap_hours`.",
    )
    stage_backoff_cap_hours: float = Field(
        12.0, gt=0, description="Longest delay before a failed stage is attempted again."
    )
    progress_log_seconds: float = Field(
        5.0, gt=0, description="Interval of progress lines while a stage runs."
    )

    # ---- canonical enrichment -----------------------------------------------------------
    metadata_cache_hours: float = Field(
        168.0,
        gt=0,
        description="How long metadata answers (searches, series, movies) stay "
        "cached in the database before the canonical stage asks the service again.",
    )
    metadata_miss_cache_hours: float = Field(
        24.0,
        gt=0,
        description="How long an empty metadata search or an unknown id stays "
        "cached (shorter, so new entries on the service are found).",
    )
    canonical_concurrency: int = Field(
        4, ge=1, le=64, description="Titles the canonical stage enriches at once."
    )
    canonical_batch_size: int = Field(
        50, ge=1, le=10000, description="Titles' mappings persisted per writer unit."
    )

    # ---- wanted lists and recommendations -------------------------------------------------
    wanted_sync_max_pages: int = Field(
        200,
        ge=1,
        le=100000,
        description="Pages one wanted-list sync reads at most; a longer list resumes from its "
        "cursor on the next run.",
    )
    wanted_refresh_hours: float = Field(
        6.0,
        gt=0,
        description="Details of wanted titles are refetched when older than this (a catalog "
        "run is scheduled then), and they are fetched and mapped before other titles.",
    )
    wanted_rss_recent_hours: float = Field(
        168.0,
        gt=0,
        description="Releases of wanted titles newer than this come first in the no-query "
        "Torznab feed (RSS sync).",
    )

    # ---- hardening: limits and key checks -----------------------------------------------
    log_sql: bool = Field(
        False,
        description="Log every SQL statement with its parameters at debug level (aiosqlite's "
        "logger; off by default because parameters can hold keys).",
    )
    max_body_bytes: int = Field(
        65536,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Largest request body accepted (bytes); a longer one is answered 413 "
        "before it is read whole.",
    )
    allow_empty_seed: bool = Field(
        False,
        description="Apply a seed that removes every library the database holds "
        "(`serve --allow-empty`); refused otherwise, so a seed that lost its content "
        "cannot wipe the configuration.",
    )
    max_json_depth: int = Field(
        32, ge=2, le=1000, description="Deepest nesting of a JSON request body (else 400)."
    )
    plugin_isolation: Literal["process", "inline"] = Field(
        "process",
        description="Where provider and metadata plugins fetch and parse pages: `process` = "
        "one worker process beside the daemon (started on first use, restarted if it dies), "
        "so indexing never takes the event loop's time from Torznab requests; `inline` = in "
        "the daemon's own event loop (one process, for debugging).",
    )
    indexing_share_while_serving: float = Field(
        0.1,
        gt=0,
        le=1,
        description="While Torznab requests are being served, the title and detail stages "
        "pause after each persisted batch so that indexing (its steps on the event loop plus "
        "the plugin worker's CPU time) takes at most this share of the time (1 = never "
        "pause); with no requests it runs at full speed.",
    )
    plugin_worker_nice: int = Field(
        19,
        ge=0,
        le=19,
        description="Scheduling priority the plugin worker gives up (a `nice` increment): "
        "when CPU is short, the kernel runs the daemon's Torznab answers (and everything else "
        "on the machine) before indexing. 0 = same priority as the daemon.",
    )

    @field_validator("api_key", "admin_api_key", mode="before")
    @classmethod
    def _key_not_blank(cls, value: object) -> object:
        """An empty or whitespace-only key would open everything: a configuration error."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str) and not value.strip():
            raise ValueError("an empty or whitespace-only key is not allowed (unset it instead)")
        return value.strip() if isinstance(value, str) else value  # a secret file's newline

    # ---- downloads (qBittorrent-compatible API, hosts, STRM) -----------------------------
    download_dir: Path | None = Field(
        None,
        description="Root of finished downloads; files land in `<download_dir>/<category>/`. "
        "Default `<data_dir>/downloads`. Mount it at the same path in Sonarr/Radarr.",
    )
    download_category_folders: dict[str, str] = Field(
        default_factory=dict,
        description="Folder (relative to `download_dir`) per category, JSON object, e.g. "
        '`{"tv-sonarr": "tv"}`; a category not listed uses its own name.',
    )
    download_concurrency: int = Field(
        2, ge=1, le=16, description="Downloads that run at once (the rest wait queued)."
    )
    download_host_order: list[str] = Field(
        default_factory=lambda: ["VOE", "Filemoon", "Vidmoly", "Vidoza", "Streamtape"],
        description="Hoster preference (names as the sites print them, JSON list); hosters "
        "not listed are tried afterwards in page order.",
    )
    download_host_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest wait for one hoster to answer (embed page, and yt-dlp's socket "
        "timeout) before the next one is tried.",
    )
    download_rate_limit: int | None = Field(
        None, ge=1024, description="Bandwidth cap per download in bytes/s (unset: no cap)."
    )
    download_strm_categories: list[str] = Field(
        default_factory=list,
        description="Categories whose grabs are written as `.strm` files (a signed "
        "`/stream/{token}` URL of ours) instead of the media (JSON list).",
    )
    download_progress_flush_seconds: float = Field(
        2.0, gt=0, description="Interval of the one coalesced write of all downloads' progress."
    )
    download_links_max_age_minutes: float = Field(
        20.0,
        gt=0,
        description="Hoster links read from an episode page are reused this long; older ones "
        "(and links whose every hoster failed) are read from the page again.",
    )
    qbittorrent_username: str | None = Field(
        None,
        description="Username of the qBittorrent-compatible API (`/api/v2`). Required, with "
        "the password, when `host` is not a loopback address.",
    )
    qbittorrent_password: SecretStr | None = Field(
        None, description="Password of the qBittorrent-compatible API."
    )
    stream_secret: SecretStr | None = Field(
        None,
        description="Key signing `/stream/{token}` URLs in `.strm` files (and, derived, the "
        "stored digests of inline plugin secrets); default a random key kept in "
        "`<data_dir>/stream_secret`.",
    )
    public_url: str | None = Field(
        None,
        description="Base URL the *arr apps and media players reach this daemon at (e.g. "
        "`http://anibridge:8000` in Docker Compose): printed in the start-up banner, used by "
        "`connect` and written into `.strm` files. Default: the bound address; when bound to "
        "all interfaces, this machine's address (banner, `connect`) or 127.0.0.1 (`.strm`).",
    )

    # ---- first day: keys, request log ---------------------------------------------------
    generate_api_key: bool = Field(
        True,
        description="When `ANIBRIDGE_API_KEY` is unset, generate a Torznab key on first start, "
        "keep it in `<data_dir>/torznab_api_key` and require it (as Jackett and Prowlarr do). "
        "`false`: Torznab is open unless a key is set.",
    )
    request_log: bool = Field(
        True,
        description="Log every HTTP request at info (path without key, parameters, status, "
        "milliseconds, items); `false` logs them at debug.",
    )
    # ---- web UI ----------------------------------------------------------------------------
    web_session_hours: float = Field(
        12.0,
        gt=0,
        le=24 * 30,
        description="How long a web UI login (a session cookie set from the admin key) lasts.",
    )
    admin_key_max_failures: int = Field(
        10,
        ge=1,
        le=10_000,
        description="Wrong admin keys (admin API or web login) one client address may present "
        "within `admin_key_failure_window_seconds`; then its admin requests are answered 429 "
        "until the oldest failure leaves the window.",
    )
    admin_key_failure_window_seconds: float = Field(
        600.0,
        gt=0,
        le=86_400,
        description="The window over which wrong admin keys are counted (seconds).",
    )

    # ---- integration: scans after downloads ---------------------------------------------
    media_trigger_timeout_seconds: float = Field(
        60.0,
        gt=0,
        description="After a download completed, how long the request for a rescan of one "
        "library may take across its media servers (those with `trigger_scan: true`) before "
        "it is given up and logged; the download never waits for it.",
    )

    @property
    def resolved_download_dir(self) -> Path:
        return (self.download_dir or self.data_dir / "downloads").resolve()

    @property
    def database_path(self) -> Path:
        return self.data_dir / "anibridge.db"

    def resolved_seed_path(self) -> Path | None:
        if self.seed_path is not None:
            return self.seed_path
        default = self.data_dir / "config.yaml"
        return default if default.exists() else None


def unknown_env_names(environ: Mapping[str, str]) -> list[str]:
    """``ANIBRIDGE_*`` variables that name no setting, each with the closest setting when one
    is close (``ANIBRIDGE_ADMIN_APIKEY: unknown setting (did you mean ANIBRIDGE_ADMIN_API_KEY?)``).
    Variables the process itself documents elsewhere (:data:`OTHER_ENV_NAMES`) are known."""
    known = {f"ANIBRIDGE_{name.upper()}" for name in Settings.model_fields} | OTHER_ENV_NAMES
    out: list[str] = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("ANIBRIDGE_") or upper in known:
            continue
        suffixes = {k[len("ANIBRIDGE_") :]: k for k in known}
        close = difflib.get_close_matches(upper[len("ANIBRIDGE_") :], sorted(suffixes), n=1)
        hint = f" (did you mean {suffixes[close[0]]}?)" if close else ""
        out.append(f"{name}: unknown setting{hint}")
    return out


OTHER_ENV_NAMES: frozenset[str] = frozenset()
"""``ANIBRIDGE_*`` names that are not settings but are read on purpose (none today)."""
