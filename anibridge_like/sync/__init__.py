"""Wanted lists: sync plugins (``sonarr``, ``radarr``, ``anilist``) and the core that stores what
they list (:mod:`~anibridge_like.sync.runner`, :mod:`~anibridge_like.sync.store`)."""
