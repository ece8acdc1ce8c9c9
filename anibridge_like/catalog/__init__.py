"""The catalog: the staged indexing pipeline (title → detail → canonical), its state and its
service. Start at :mod:`anibridge_like.catalog.pipeline` (the list of stages) and
:mod:`anibridge_like.catalog.service` (scheduling, runs, recovery)."""
