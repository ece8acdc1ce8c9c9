"""The web UI for people: server-rendered pages on the same Starlette app.

Module map:

* :mod:`.templating` — the one Jinja2 environment (autoescape on), filters, :func:`render`;
* :mod:`.security` — the admin session cookie (signed, HttpOnly, SameSite=Strict) and the CSRF
  token every form carries (double submit: a cookie and a hidden field, compared constant-time);
* :mod:`.views` — what each page shows, read from the same functions the JSON endpoints call
  (:func:`anibridge_like.catalog.report.catalog_snapshot` for ``/health/catalog``,
  :mod:`anibridge_like.jobs.store`, :mod:`anibridge_like.downloads.store`, the plugin manager's
  already-built instances) — never a second source of truth, never a plugin call while rendering;
* :mod:`.pages` — the read routes (overview, library, jobs, downloads, plugins);
* :mod:`.actions` — the POST routes (login/logout, run-now, dry-run, download delete/retry);
* :mod:`.routes` — the route list mounted by :mod:`anibridge_like.app` (plus ``/static``).

Without a configured admin key only the read-only overview is shown, with how to enable the
rest. The pages work without JavaScript; ``static/app.js`` adds copy buttons and a live refresh
of the page's ``#live`` region while something runs.
"""
