"""Recommendations: plugins (``anilist``) and the core that resolves, filters and merges their
candidates per library (:mod:`~anibridge_like.recommendations.merge`)."""
