"""anibridge_like: a Torznab indexer that answers from a local SQLite index of streaming-site catalogs."""

__version__ = "0.1.0"
