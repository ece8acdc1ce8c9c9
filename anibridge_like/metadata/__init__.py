"""Built-in metadata plugins (SkyHook/TVDB, AniList, TMDB); the contract is
:mod:`anibridge_like.plugins.metadata`."""
