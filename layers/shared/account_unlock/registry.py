"""A table of named implementations, each imported the first time it is looked up.

The vendor connectors and the webhook source kinds are listed by name and module path: a cold start
imports only what its requests name (one vendor, one source kind), not every module of the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, TypeVar

T = TypeVar("T")


class Registry(MutableMapping[str, T]):
    """``name → "module:attribute"``, each turned by ``make`` into the value looked up (the attribute
    itself by default), once. Setting a name (tests) puts a value in place of the module's."""

    def __init__(self, paths: Mapping[str, str], make: Callable[[Any], T] | None = None) -> None:
        self.paths = dict(paths)
        self.make = make
        self.loaded: dict[str, T] = {}

    def __getitem__(self, name: str) -> T:
        if name not in self.loaded:
            module, _, attribute = self.paths[name].partition(":")
            found = getattr(importlib.import_module(module), attribute)
            self.loaded[name] = self.make(found) if self.make else found
        return self.loaded[name]

    def __setitem__(self, name: str, value: T) -> None:
        self.paths.setdefault(name, "")
        self.loaded[name] = value

    def __delitem__(self, name: str) -> None:
        del self.paths[name]
        self.loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)
