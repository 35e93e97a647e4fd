"""Every service: what moto recomputes for each request from data that never changes in a process,
computed once. Speed, not a gap: the answers are the ones moto computes (tested against it).

Measured with ``benchmarks/trial_profile.py``: for each request moto's dispatcher listed its own
package folder and stat-ed every entry (``list_of_moto_modules``, twice a request), matched the
host against every service's URL patterns, and listed a response class's methods with
``inspect.getmembers``; together about a third of the emulator's CPU per call.
``LAB_EMULATOR_CACHES=0`` leaves moto as it is.
"""

from __future__ import annotations

from typing import Any

from lab import settings

SWITCH = settings.Settings.variable("emulator_caches")


def apply() -> None:
    if not settings.current().emulator_caches:
        return
    _cache_moto_modules()
    _cache_backend_for_host()
    _cache_method_names()


def _cache_moto_modules() -> None:
    """moto's service folders: its installed package's folders, listed once."""
    from moto import backends

    original = backends.list_of_moto_modules
    if getattr(original, "_lab_cached", False):
        return
    modules = tuple(original())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._lab_cached = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules  # type: ignore[assignment]


def _cache_backend_for_host() -> None:
    """The backend a host names: a function of the host and moto's fixed URL patterns (a host no
    pattern matches is asked again, so moto's message about it is printed as before)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host
    if getattr(original, "_lab_cached", False):
        return
    found: dict[tuple[int, str], Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host is None:
            return None
        key = (id(self.backend_url_patterns), host)
        backend = found.get(key)
        if backend is None:
            backend = original(self, host)
            if backend is not None:
                found[key] = backend
        return backend

    get_backend_for_host._lab_cached = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


def _cache_method_names() -> None:
    """A response class's method names, listed again when a class of its MRO gains or loses an
    attribute (a patch applied later)."""
    from moto.core import responses, utils

    original = utils.method_names_from_class
    if getattr(responses.method_names_from_class, "_lab_cached", False):
        return
    listed: dict[Any, tuple[tuple[int, ...], list[str]]] = {}

    def method_names_from_class(clazz: Any) -> list[str]:
        shape = tuple(len(vars(k)) for k in clazz.__mro__)
        cached = listed.get(clazz)
        if cached is None or cached[0] != shape:
            cached = listed[clazz] = (shape, original(clazz))
        return cached[1]

    method_names_from_class._lab_cached = True  # type: ignore[attr-defined]
    responses.method_names_from_class = method_names_from_class  # type: ignore[assignment]
