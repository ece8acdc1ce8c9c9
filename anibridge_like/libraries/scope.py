"""The one scope rule between plugin instances and libraries.

An instance serves **every** library when its ``all_libraries`` flag is set (the seed entry has
no ``libraries:`` list); otherwise exactly the libraries listed in ``plugin_instance_libraries``.
Deleting a library removes its scope rows and so narrows an instance's scope; it never widens it
to all libraries. Two instances *share a library* when some existing library is in both scopes.

Every caller — Python code holding an instance's scope tuple, or SQL over ``plugin_instances`` —
uses the functions here; no other module spells the rule out.
"""

from __future__ import annotations

from collections.abc import Iterable


def in_scope(instance_libraries: tuple[str, ...] | None, library_slug: str) -> bool:
    """Whether an instance with scope ``instance_libraries`` (``None`` = all) serves a library."""
    return instance_libraries is None or library_slug in instance_libraries


def libraries_in_scope(
    instance_libraries: tuple[str, ...] | None, library_slugs: Iterable[str]
) -> list[str]:
    """The slugs of ``library_slugs`` the instance serves, in their order."""
    return [slug for slug in library_slugs if in_scope(instance_libraries, slug)]


def scope_sql(instance: str, library_id: str) -> str:
    """SQL predicate: the ``plugin_instances`` row aliased ``instance`` serves the library whose
    id is the SQL expression ``library_id``."""
    return (
        f"({instance}.all_libraries = 1 OR EXISTS (SELECT 1 FROM plugin_instance_libraries"
        f" {instance}_scope WHERE {instance}_scope.instance_id = {instance}.id"
        f" AND {instance}_scope.library_id = {library_id}))"
    )


def shares_library_sql(first: str, second: str) -> str:
    """SQL predicate: the ``plugin_instances`` rows aliased ``first`` and ``second`` serve at
    least one common library."""
    return (
        f"EXISTS (SELECT 1 FROM libraries {first}_{second}_lib"
        f" WHERE {scope_sql(first, f'{first}_{second}_lib.id')}"
        f" AND {scope_sql(second, f'{first}_{second}_lib.id')})"
    )


def serving_sql(instance: str, library: str) -> str:
    """SQL join condition: ``instance`` is an enabled provider instance with a site whose scope
    covers the ``libraries`` row aliased ``library`` (the instances a library is served from)."""
    return (
        f"{instance}.kind = 'provider' AND {instance}.enabled = 1"
        f" AND {instance}.site IS NOT NULL AND {scope_sql(instance, f'{library}.id')}"
    )
