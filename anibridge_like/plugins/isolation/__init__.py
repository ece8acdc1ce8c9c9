"""Plugin isolation: provider and metadata plugins run in a worker process beside the daemon.

Indexing is HTTP and page parsing; run on the daemon's event loop it took about 75 % of the
loop's time during a bootstrap, and Torznab answers waited for it (issue 12, item 7). With
``plugin_isolation: process`` (the default) the :class:`~.remote.PluginWorker` starts one child
process (:mod:`.worker`) on first use; the plugin manager hands the stages proxies
(:func:`~.remote.remote_plugin`) whose contract methods — the kind's ``remote_methods`` in
:data:`~anibridge_like.plugins.registry.PLUGIN_KINDS` — are answered by a copy of the plugin
built in the child from the same validated config. Only the answers (the contract's
dataclasses) cross back, pickled over a pipe (:mod:`.frames`). The database stays in the daemon:
the stages write what the proxies return through the one writer, as before.
"""
