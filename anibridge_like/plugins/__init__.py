"""Plugins: contracts (one module per kind), the error type, the registry and the manager.

Where things go
---------------

* **A new plugin kind** (``host``, ``media_server``, ``sync``, ``recommendation`` …):
  1. its contract — a ``Protocol`` plus dataclasses and declared ``capabilities`` — in a module
     of its own, ``plugins/<kind>.py`` (its docstring is the contract);
  2. **one entry** in :data:`anibridge_like.plugins.registry.PLUGIN_KINDS`
     (``"<kind>": PluginKind(entry_point_group, contract_module, columns)``), and its built-in
     implementations in :data:`~anibridge_like.plugins.registry.BUILTINS`;
  3. nothing else in the core: the seed accepts every kind of the table (its ``kind`` field is
     checked against it), the reconcile stores kind-specific columns only for kinds listing them,
     and :class:`~anibridge_like.plugins.manager.PluginManager` builds every instance of every
     kind. Callers use ``manager.in_scope(kind, library, Contract)`` / ``manager.fan_out(...)``;
     plugin payloads carry ``library_slug`` / ``library_name``
     (:meth:`anibridge_like.libraries.model.Library.payload`).
  4. its conformance suite under ``tests/<kind>/`` and its fake servers under ``tests/fakes``.
* **A new implementation of an existing kind**: a class with ``capabilities`` and
  ``config_model`` in its own package (``providers/``, ``metadata/`` …), listed in ``BUILTINS``
  (third-party: an entry point in the kind's group).

Modules: :mod:`.errors` (the one error type and its policy table), :mod:`.registry` (kinds table,
implementation lookup), :mod:`.env` (``*_env`` secrets), :mod:`.instances` (``plugin_instances``
rows), :mod:`.manager` (built instances, the call boundary, fan-out), :mod:`.provider` and
:mod:`.metadata` (the contracts of today's kinds).
"""
