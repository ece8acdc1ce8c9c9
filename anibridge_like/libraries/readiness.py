"""The one readiness rule of a library: when its Torznab endpoint serves (rather than answering
503 "still being indexed") and when ``/health/catalog`` calls it ready.

A library is **ready** when some enabled provider instance in its scope
(:mod:`anibridge_like.libraries.scope`) has its title listing done (the ``title`` stage was ready
once) **and** either has a release of the library's kind indexed on its site (a title with an
episode in some language: ``titles.newest_seen``) or has its detail stage done. A bare listing is
not enough: Radarr's Test right after the listing would get an empty feed and fail.

Torznab (:func:`anibridge_like.torznab.query.fetch_scope`) and the catalog report
(:func:`anibridge_like.catalog.report.catalog_snapshot`) both use the SQL here; no other module
spells the rule out.
"""

from __future__ import annotations

from anibridge_like.libraries.model import title_kind_sql
from anibridge_like.libraries.scope import serving_sql


def ready_sql(instance: str, library: str) -> str:
    """SQL expression (0/1): the provider ``plugin_instances`` row aliased ``instance`` makes the
    ``libraries`` row aliased ``library`` ready (the caller joins them by the scope rule)."""
    return f"""(EXISTS (SELECT 1 FROM stage_state {instance}_st
               WHERE {instance}_st.instance = {instance}.name AND {instance}_st.stage = 'title'
                 AND {instance}_st.ready_at IS NOT NULL)
       AND (EXISTS (SELECT 1 FROM stage_state {instance}_sd
                    WHERE {instance}_sd.instance = {instance}.name
                      AND {instance}_sd.stage = 'detail' AND {instance}_sd.ready_at IS NOT NULL)
            OR EXISTS (SELECT 1 FROM titles {instance}_rt INDEXED BY titles_newest
                       WHERE {instance}_rt.site = {instance}.site
                         AND {instance}_rt.kind = {title_kind_sql(library)}
                         AND {instance}_rt.gone = 0 AND {instance}_rt.newest_seen IS NOT NULL)))"""


READY_LIBRARIES_SQL = f"""
SELECT DISTINCT l.slug FROM libraries l
JOIN plugin_instances pi ON {serving_sql("pi", "l")}
WHERE {ready_sql("pi", "l")}
"""
"""The slugs of every ready library."""
