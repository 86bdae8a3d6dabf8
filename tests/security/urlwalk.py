"""Every URL pattern of the portal, read from the URL configuration itself (not from a list kept
by hand), so that a new page is tested the moment it is added."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern, e.g. "recertification/entries/<int:pk>/edit/"
    name: str  # "namespace:name"; unnamed patterns are named by their route
    callback: Callable
    arguments: tuple[str, ...]  # converter or regex group names

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def is_api(self) -> bool:
        """The providers' API: bearer tokens, never the session (tests/providers/test_api.py)."""
        return self.route.startswith("api/")

    @property
    def is_provider_area(self) -> bool:
        """The provider area: a provider's users only (tests/providers/test_provider_area.py)."""
        return self.route.startswith("provider/")

    @property
    def csrf_exempt(self) -> bool:
        return bool(getattr(self.callback, "csrf_exempt", False))


def _arguments(pattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    return tuple(pattern.regex.groupindex)


def _walk(patterns, prefix: str, namespaces: tuple[str, ...], inherited: tuple[str, ...]):
    for entry in patterns:
        arguments = inherited + _arguments(entry.pattern)
        if isinstance(entry, URLResolver):
            spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), spaces, arguments)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = ":".join(namespaces + (entry.name,)) if entry.name else route
            yield Route(route=route, name=name, callback=entry.callback, arguments=arguments)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", (), ()))


def member_routes_with_objects() -> Iterator[Route]:
    """Routes of the member's pages whose address names something (a converter argument): not
    the admin, the providers' API or the provider area, whose ownership is tested against
    providers (tests/providers/)."""
    return (
        r
        for r in all_routes()
        if r.arguments and not (r.is_admin or r.is_api or r.is_provider_area)
    )


def admin_routes_with_objects() -> Iterator[Route]:
    return (r for r in all_routes() if r.arguments and r.is_admin)
