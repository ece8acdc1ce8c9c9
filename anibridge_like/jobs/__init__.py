"""Jobs: scheduled (or manual) units of work of registered job types, run by one runner.

::

    jobs row ──► JobRunner (APScheduler job per row, cron/interval in the job's timezone)
                   │ tick / run-now / one-shot retry
                   ▼
                 claim (INSERT job_runs, partial unique index = skip-if-running)
                   ▼
                 job_type(row.type).run(JobContext, dry_run) ──► JobSummary ──► job_runs

Modules: :mod:`.model` (the job-type interface, rows, summaries, run statuses), :mod:`.registry`
(type name → class), :mod:`.cron` (crontab that means what users write; timezones),
:mod:`.store` (``jobs`` / ``job_runs`` reads and writer units), :mod:`.runner` (the one runner),
:mod:`.spec` (a library job as the seed and the admin API write it). The first types live with
their feature: :mod:`anibridge_like.catalog.refresh_jobs` (``catalog_refresh`` per provider
instance, ``library_refresh`` per library). ``jobs`` imports no feature package: types are
registered by ``"module:Class"`` and imported on first use.

Where things go
---------------

**A new job type** (``metadata_refresh``, ``media_scan``, ``wanted_sync`` …):

1. a class in a module of its own — under ``jobs/`` or in the feature's folder
   (``mediaservers/scan_job.py``) — implementing :class:`~.model.JobType`: ``name``,
   ``config_model`` (pydantic, ``extra="forbid"``), ``summary_model`` (a
   :class:`~.model.JobSummary` subclass with the type's counters), ``async plan(ctx)`` (read-only)
   and ``async run(ctx, dry_run=False)``; subclass :class:`~.model.BaseJobType` for the defaults.
   Plugin calls go through ``ctx.app.plugins`` (``in_scope`` / ``fan_out`` / ``call``) with
   ``library=ctx.library`` and ``job=ctx.job.name``; writes through ``ctx.app.writer``.
2. **one entry** in :data:`anibridge_like.jobs.registry.JOB_TYPES`
   (``"<type>": "<module>:<Class>"``).
3. nothing else: the seed's ``libraries[].jobs[]`` and the admin API
   (``/api/v1/libraries/{slug}/jobs``) validate ``config`` with the type's model, the runner
   schedules it, ``/health/catalog`` lists it with its next fire time, and its runs land in
   ``job_runs`` (``GET …/jobs/{id}/runs``).

A type never touches APScheduler or ``job_runs`` and never catches ``Exception`` around its
whole run: the runner's per-run boundary records a crash as ``failed`` with its message.
"""
