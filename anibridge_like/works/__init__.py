"""Canonical works: the series and movies the index's provider titles map to, with their
descriptive metadata and (for series) the canonical episode list.

::

    canonical stage ──(metadata answers it already fetched)──► store.fill_works  (fill empties)
    metadata_refresh job ──planner.plan──► refresh.refresh ──► store.apply_unit  (overwrite the
                                                                 selected field groups, minus locks)

Modules: :mod:`.fields` (the field groups as data — the one catalogue the API, the job config
and the applier use), :mod:`.values` (contract answers → field values, diffs), :mod:`.store`
(reads and the writer units), :mod:`.planner` (the pure, read-only plan of a refresh),
:mod:`.refresh` (the metadata calls of a refresh, bounded by ``max_concurrency``),
:mod:`.refresh_job` (the ``metadata_refresh`` job type), :mod:`.dry_run` (the preview the API
serves). A work is keyed ``tvdb:<id>`` (series), ``tmdb:<id>`` (movies), ``imdb:<tt…>`` (only an
IMDb id known) — the keys ``media_items.work`` and the gap report already use; the view
``title_works`` points each served provider title at its work.
"""
