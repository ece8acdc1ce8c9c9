"""Libraries: the Torznab-facing slices of the catalog (``anime``, ``series``, ``movies`` …).

* :mod:`.model` — the one :class:`~.model.Library` model, its kinds and the default Torznab
  categories per kind (defined here and nowhere else).
* :mod:`.scope` — the one scope rule between plugin instances and libraries, in Python
  (:func:`~.scope.in_scope`) and as SQL (:func:`~.scope.scope_sql`,
  :func:`~.scope.shares_library_sql`).
* :mod:`.readiness` — the one readiness rule of a library (Torznab serves, ``/health/catalog``
  says ready), as SQL.
* :mod:`.snapshot` — the libraries as the database holds them, loaded once after every seed
  reconcile (``AppContext.libraries``); nothing reads libraries from the in-memory seed.
"""
